import type { CommandRequest } from '../../../src/shared/contract.js';
import { defaultShare } from '../../../src/shared/mission-brief.js';
import { MAX_BUDGET_USD } from '../../../src/shared/money.js';
import { teamPhases } from '../../../src/shared/phases.js';
import type { TeamDesign } from '../../../src/shared/team.js';

/**
 * The launch form as typed: the budget and the command list stay text so "12." or a
 * half-written list survive a re-render; they are parsed only when the mission launches.
 */
export interface LaunchForm {
  designId: string;
  goal: string;
  name: string;
  repoPath: string;
  baseBranch: string;
  budgetUsd: string;
  skipPlanApproval: boolean;
  /** A coder's write outside its task's owned paths goes to its leader as a question, rather than being refused. */
  askLeaderOnStrayWrites: boolean;
  /** One command per line (commas also separate). */
  allowedCommands: string;
  /** Ask the director to draft each team's share; the person approves the draft before any leader plans. */
  director: boolean;
  /**
   * Team id → the person's text for that team's share, only for the fields they typed in;
   * a field not in here shows (and means) the team brief's focus, see {@link shareRows}.
   */
  shares: Record<string, string>;
}

export type LaunchField = 'designId' | 'goal' | 'repoPath' | 'baseBranch' | 'budgetUsd' | 'allowedCommands';
export type LaunchErrors = Partial<Record<LaunchField, string>>;

export function emptyLaunchForm(designId = ''): LaunchForm {
  return {
    designId,
    goal: '',
    name: '',
    repoPath: '',
    baseBranch: 'main',
    budgetUsd: '',
    skipPlanApproval: false,
    askLeaderOnStrayWrites: false,
    allowedCommands: '',
    director: false,
    shares: {},
  };
}

export function parseCommandList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\n,]/)
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    ),
  ];
}

/** One team's share field on the launch form: its phase and its brief's focus (the pre-fill). */
export interface ShareRow {
  teamId: string;
  name: string;
  /** 1 = starts at once. */
  phase: number;
  /** Names of the teams it starts after. */
  afterNames: string[];
  /** The team brief's focus: what the field shows until the person edits it. */
  briefShare: string;
}

/** The share fields of a design, in phase order (then the design's order), as the launch form lists them. */
export function shareRows(design: Pick<TeamDesign, 'teams'>): ShareRow[] {
  const phases = teamPhases(design.teams);
  const names = new Map(design.teams.map((t) => [t.id, t.name]));
  return design.teams
    .map((team, order) => ({
      order,
      row: {
        teamId: team.id,
        name: team.name,
        phase: phases.get(team.id) ?? 1,
        afterNames: (team.after ?? []).map((id) => names.get(id) ?? id),
        briefShare: defaultShare(team),
      },
    }))
    .sort((a, b) => a.row.phase - b.row.phase || a.order - b.order)
    .map(({ row }) => row);
}

/** Team id → its brief's focus: what each share field means until the person edits it. */
export function briefShares(design: Pick<TeamDesign, 'teams'>): Record<string, string> {
  return Object.fromEntries(design.teams.map((t) => [t.id, defaultShare(t)]));
}

/** What a team's share field shows: the person's text once they typed, else the brief's focus. */
export function shareText(form: Pick<LaunchForm, 'shares'>, row: Pick<ShareRow, 'teamId' | 'briefShare'>): string {
  return form.shares[row.teamId] ?? row.briefShare;
}

/**
 * Checks what can be checked here and builds the request; the engine checks the repository.
 * `briefDefaults` (team id → brief focus, {@link briefShares}) are the pre-fills: only
 * shares the person changed from them are sent. A mission without a share of its own for a
 * team plans from the team's brief, which its design snapshot keeps, so sending the
 * unchanged focus again would say nothing new, and the mission's `share` stays "what the
 * person wrote for this mission". A field emptied goes back to the brief the same way.
 */
export function launchRequest(
  form: LaunchForm,
  briefDefaults: Record<string, string> = {},
): { ok: true; request: CommandRequest<'missions:create'> } | { ok: false; errors: LaunchErrors } {
  const errors: LaunchErrors = {};
  if (form.designId === '') errors.designId = 'Choose the team design that will do the work.';
  if (form.goal.trim() === '') errors.goal = 'Say what the teams should achieve.';
  if (form.repoPath.trim() === '') errors.repoPath = 'Give the folder of a git repository on this computer.';
  if (form.baseBranch.trim() === '') errors.baseBranch = 'Give the branch the work starts from and merges into.';
  let budgetUsd: number | undefined;
  const budget = form.budgetUsd.trim().replace(/^\$/, '').replace(/,/g, '');
  if (budget !== '') {
    const value = Number(budget);
    if (!/^\d+(\.\d{0,9})?$/.test(budget) || !Number.isFinite(value)) {
      errors.budgetUsd = 'Enter an amount in dollars, like 25 or 7.50, or leave it empty for no limit.';
    } else if (value > MAX_BUDGET_USD) {
      errors.budgetUsd = `The largest budget is $${MAX_BUDGET_USD.toLocaleString('en-US')}.`;
    } else {
      budgetUsd = value;
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    request: {
      designId: form.designId,
      goal: form.goal.trim(),
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
      repoPath: form.repoPath.trim(),
      baseBranch: form.baseBranch.trim(),
      ...(budgetUsd === undefined ? {} : { budgetUsd }),
      skipPlanApproval: form.skipPlanApproval,
      allowedCommands: parseCommandList(form.allowedCommands),
      // The director drafts the shares, or the person's own (non-empty) shares are sent.
      ...(form.director ? { director: true } : teamShares(form.shares, briefDefaults)),
      // Only a choice away from the default is sent, so the person's saved defaults apply otherwise.
      ...(form.askLeaderOnStrayWrites ? { settings: { ownership: 'ask_leader' as const } } : {}),
    },
  };
}

function teamShares(shares: Record<string, string>, briefDefaults: Record<string, string>): { teamShares?: Record<string, string> } {
  const given = Object.entries(shares)
    .map(([id, text]) => [id, text.trim()] as const)
    .filter(([id, text]) => text !== '' && text !== (briefDefaults[id] ?? '').trim());
  return given.length === 0 ? {} : { teamShares: Object.fromEntries(given) };
}

/** Which field an engine error is about, so the message can sit next to it. */
export function fieldOfError(message: string): LaunchField | null {
  const text = message.toLowerCase();
  if (/base branch|valid branch name|basebranch/.test(text)) return 'baseBranch';
  if (/repository|git repo|repopath|worktree folder/.test(text)) return 'repoPath';
  if (/design|team "/.test(text)) return 'designId';
  if (/budget/.test(text)) return 'budgetUsd';
  if (/allowedcommands/.test(text)) return 'allowedCommands';
  if (/goal/.test(text)) return 'goal';
  return null;
}

/**
 * The engine names the repository in every branch error; beside the branch field, under
 * the repository's own field, that path is noise and only pushes the useful part (the
 * branches there are) out of sight.
 */
export function errorForField(field: LaunchField, message: string): string {
  return field === 'baseBranch' ? message.replace(/ in .+?; its branches are:/, '; its branches are:') : message;
}
