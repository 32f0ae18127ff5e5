import { z } from 'zod';
import { phaseProblem } from './phases.js';
import { teamBrief, type TeamBrief } from './team.js';

/**
 * A mission's brief: each team's share of this mission's goal, the phases (which teams
 * start after which) and the interfaces between teams. The person writes it at launch, or
 * the director drafts it and the person edits and approves it (a `mission_brief`
 * escalation) before any leader plans. Shared by the contract, the engine and the UI.
 */

/** Longest share of one team, in characters. */
export const SHARE_MAX = 4_000;
/** Longest description of the interfaces between teams, in characters. */
export const INTERFACES_MAX = 8_000;

const teamId = z.string().min(1, 'must not be empty').max(64);

/** One team's share of the goal: what this team delivers in this mission. */
export const shareSchema = z.string().trim().max(SHARE_MAX, `a team's share must be at most ${SHARE_MAX} characters`);

export const missionBriefSchema = z.strictObject({
  /** Team id → that team's share of this mission's goal. */
  shares: z.record(teamId, shareSchema),
  /** Team id → the ids of the teams it starts after (its phase). */
  after: z.record(teamId, z.array(teamId).max(16)),
  /** What the teams agree on between them (modules, APIs, files), as text. */
  interfaces: z.string().trim().max(INTERFACES_MAX, `the interfaces must be at most ${INTERFACES_MAX} characters`),
});
export type MissionBrief = z.infer<typeof missionBriefSchema>;

/** Where a `mission_brief` escalation is: the director is drafting, its draft is ready, or it failed. */
export type BriefStatus = 'drafting' | 'ready' | 'failed';

/** The payload of a `mission_brief` escalation, as the engine writes it and the UI reads it. */
export interface MissionBriefPayload {
  status: BriefStatus;
  /** The director's draft (once ready), or the briefs' defaults after a failure, for the person to edit. */
  draft: MissionBrief | null;
  /** Why the director failed, one line, when `status` is `failed`. */
  error: string | null;
  /** The model that drafts it. */
  model: string;
  /** 1 for the first draft, one more for each send-back. */
  round: number;
  /** The person's comment this draft answers (a send-back), if any. */
  comment: string | null;
}

/** Reads a `mission_brief` escalation's payload (from the ledger or an event); null when it is not one. */
export function briefPayload(payload: Record<string, unknown>): MissionBriefPayload | null {
  const status = payload.status;
  if (status !== 'drafting' && status !== 'ready' && status !== 'failed') return null;
  const draft = missionBriefSchema.safeParse(payload.draft);
  return {
    status,
    draft: draft.success ? draft.data : null,
    error: typeof payload.error === 'string' ? payload.error : null,
    model: typeof payload.model === 'string' ? payload.model : '',
    round: typeof payload.round === 'number' ? payload.round : 1,
    comment: typeof payload.comment === 'string' ? payload.comment : null,
  };
}

interface BriefTeam {
  id: string;
  name: string;
  brief?: TeamBrief | undefined;
  after?: readonly string[] | undefined;
}

/** A team's share as a launch form pre-fills it: the team's focus from its brief. */
export function defaultShare(team: BriefTeam): string {
  return teamBrief(team).focus;
}

/** The brief a design implies before anyone edits it: shares from the teams' briefs, phases from their `after`. */
export function defaultBrief(teams: readonly BriefTeam[]): MissionBrief {
  return {
    shares: Object.fromEntries(teams.map((t) => [t.id, defaultShare(t)])),
    after: Object.fromEntries(teams.map((t) => [t.id, [...(t.after ?? [])]])),
    interfaces: '',
  };
}

/**
 * Why `brief` cannot run with these teams (a team it does not know, a team left without a
 * share, phases in a circle), as one line; null when it can. Team names and ids from the
 * brief are quoted and cut, since a model or a person wrote them.
 */
export function briefProblem(brief: MissionBrief, teams: readonly BriefTeam[]): string | null {
  const known = new Map(teams.map((t) => [t.id, t]));
  const names = teams.map((t) => t.id).join(', ');
  for (const id of [...Object.keys(brief.shares), ...Object.keys(brief.after)]) {
    if (!known.has(id)) return `unknown team ${JSON.stringify(id.slice(0, 64))}; the mission's teams are: ${names}`;
  }
  for (const team of teams) {
    if ((brief.shares[team.id] ?? '').trim() === '') return `team "${team.name}" has no share of the goal`;
  }
  const problem = phaseProblem(teams.map((t) => ({ id: t.id, name: t.name, after: brief.after[t.id] ?? [] })));
  return problem ? problem.message : null;
}
