import type { ProviderId } from './contract/app.js';
import type { RuntimeStatus } from './contract/runtimes.js';
import type { ModelPrices } from './design-estimate.js';
import { DEFAULT_MODEL_BY_ROLE, findModel, type ModelId } from './models.js';
import { teamPhases } from './phases.js';
import {
  agentRuntime,
  defaultClaudeCodeSpec,
  type AgentRole,
  type AgentRuntime,
  type ClaudeCodeTool,
} from './team.js';
import { normaliseOwnedPath, pathsOverlap } from './ownership.js';
import { rightSize, type RoleCostRow } from './role-costs.js';

/**
 * Design rules: what the designer checks while a person draws teams, each finding
 * explained in words and, where there is an obvious remedy, paired with a fix the UI can
 * apply in one click. They are advice, not schema: a design that breaks them still
 * saves (the engine's schema decides what is invalid), because a person may be halfway
 * through a change.
 *
 * The functions take the smallest shape they need, so both the renderer's form model and
 * a stored TeamDesign can be checked.
 */

export interface RuleAgent {
  id: string;
  name: string;
  role: AgentRole;
  model: string;
  /** Absent: built-in. */
  runtime?: AgentRuntime | undefined;
  /** Absent or null: the role's defaults (`defaultClaudeCodeSpec`). */
  claudeCode?: { allowedTools: readonly string[] } | null | undefined;
  /** The form's text as typed (commas or new lines between commands)… */
  allowedCommands?: string | readonly string[] | undefined;
  /** …or a stored spec's list. */
  permissions?: { allowedCommands: readonly string[] } | undefined;
}

export interface RuleTeam {
  id: string;
  name: string;
  agents: readonly RuleAgent[];
  /** Owned paths as the form's text (one per line) or a stored spec's list. */
  brief?: { focus: string; owns: string | readonly string[] } | undefined;
  /** Ids of the teams this one starts after. */
  after?: readonly string[] | undefined;
}

export interface RuleDesign {
  teams: readonly RuleTeam[];
}

/** How often one agent finishes its part of a mission without a human stepping in. */
export const DEFAULT_AGENT_SUCCESS_RATE = 0.95;
/** Teams above this many agents (leader included) get the split warning. */
export const MAX_RECOMMENDED_TEAM_SIZE = 5;
/** The team sizes the warning quotes, so a person can see how fast the odds fall. */
const REFERENCE_SIZES = [5, 15] as const;

export type DesignFix =
  | { kind: 'add-leader'; teamId: string }
  | { kind: 'split-team'; teamId: string }
  | { kind: 'set-model'; teamId: string; agentId: string; model: ModelId }
  | { kind: 'set-runtime'; teamId: string; agentId: string; runtime: AgentRuntime }
  | { kind: 'remove-claude-code-tool'; teamId: string; agentId: string; tool: ClaudeCodeTool }
  /** `teamId` starts after `afterId` as well as the teams it already waits for. */
  | { kind: 'start-after'; teamId: string; afterId: string };

export type RuleId =
  | 'no-teams'
  | 'missing-leader'
  | 'leader-only'
  | 'team-too-large'
  | 'model-mismatch'
  | 'right-size'
  | 'retiring-model'
  | 'runtime-unavailable'
  | 'claude-code-simulated'
  | 'claude-code-bash-unchecked'
  | 'owned-paths-overlap'
  | 'team-without-brief';

export interface DesignIssue {
  /** Stable across re-checks of the same design: a React key and a test hook. */
  key: string;
  rule: RuleId;
  severity: 'error' | 'warning' | 'info';
  teamId?: string;
  agentId?: string;
  title: string;
  detail: string;
  fix?: { label: string; fix: DesignFix };
}

export interface RuleOptions {
  /** Per-agent success rate in (0, 1]; 0.95 unless the person says otherwise. */
  successRate?: number;
  maxTeamSize?: number;
  /** Today as YYYY-MM-DD, to flag models retiring soon; omitted = no retirement check. */
  today?: string;
  /** The engine's model provider (`app:get-info`); omitted = no provider check. */
  provider?: ProviderId | undefined;
  /** What `runtimes:get-status` answered; omitted = no availability check. */
  runtimes?: readonly RuntimeStatus[] | undefined;
  /** Each model's price now (the price table's); omitted = advice names no price. */
  prices?: ModelPrices | undefined;
  /**
   * What past missions measured per role and model (`costs:by-role`); omitted = no
   * right-size advice. Where a cheaper model did a role as well, the designer says so
   * with the figures.
   */
  roleCosts?: readonly RoleCostRow[] | undefined;
}

/** 1.6667 → "1.7×", 5 → "5×": one decimal, as a person says it. */
function times(ratio: number): string {
  return `${Number(ratio.toFixed(1))}×`;
}

/**
 * How `from` compares with `to` per token, in words derived from the price table
 * ("Claude Opus 4.8 costs 1.7× Claude Sonnet 4.6 per token"), so advice never claims a
 * gap the prices do not show; null when either price is unknown.
 */
export function priceComparison(from: string, to: string, prices: ModelPrices | undefined): string | null {
  const a = prices?.[from];
  const b = prices?.[to];
  if (!a || !b || b.inputUsdPerMTok <= 0 || b.outputUsdPerMTok <= 0) return null;
  const fromLabel = findModel(from)?.label ?? from;
  const toLabel = findModel(to)?.label ?? to;
  const input = a.inputUsdPerMTok / b.inputUsdPerMTok;
  const output = a.outputUsdPerMTok / b.outputUsdPerMTok;
  if (times(input) === times(output)) {
    return input === 1 ? `${fromLabel} costs the same as ${toLabel} per token` : `${fromLabel} costs ${times(input)} ${toLabel} per token`;
  }
  return `${fromLabel} costs ${times(input)} ${toLabel} per input token and ${times(output)} per output token`;
}

/** The chance that all `n` agents succeed when each does independently with `p`. */
export function allSucceedProbability(n: number, p: number = DEFAULT_AGENT_SUCCESS_RATE): number {
  return p ** n;
}

/** 0.7738 → "77%": whole percents, rounded, because the inputs are rough themselves. */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** "0.95^6 ≈ 74%": the arithmetic behind the split warning, spelled out. */
export function successArithmetic(n: number, p: number = DEFAULT_AGENT_SUCCESS_RATE): string {
  return `${p}^${n} ≈ ${percent(allSucceedProbability(n, p))}`;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * Checks a design and returns its issues, errors first. Pure: same design, same list.
 */
export function checkDesign(design: RuleDesign, options: RuleOptions = {}): DesignIssue[] {
  const p = options.successRate ?? DEFAULT_AGENT_SUCCESS_RATE;
  const maxSize = options.maxTeamSize ?? MAX_RECOMMENDED_TEAM_SIZE;
  const issues: DesignIssue[] = [];

  if (design.teams.length === 0) {
    issues.push({
      key: 'no-teams',
      rule: 'no-teams',
      severity: 'warning',
      title: 'This design has no teams',
      detail:
        'Add a team, or drag a leader from the palette onto the board, to give the design someone to take a mission.',
    });
  }

  for (const team of design.teams) {
    const leaders = team.agents.filter((a) => a.role === 'leader');
    const others = team.agents.filter((a) => a.role !== 'leader');
    const name = team.name.trim() || 'Unnamed team';

    if (leaders.length === 0 && others.length > 0) {
      const coders = others.filter((a) => a.role === 'coder').length;
      const who = coders === others.length ? plural(coders, 'coder') : plural(others.length, 'agent');
      issues.push({
        key: `missing-leader:${team.id}`,
        rule: 'missing-leader',
        severity: 'error',
        teamId: team.id,
        title: `“${name}” has no leader`,
        detail: `Its ${who} would have nobody to take tasks from or report to. Add a leader, or move them into a team that has one.`,
        fix: { label: 'Add a leader', fix: { kind: 'add-leader', teamId: team.id } },
      });
    }

    if (leaders.length > 0 && others.length === 0) {
      issues.push({
        key: `leader-only:${team.id}`,
        rule: 'leader-only',
        severity: 'info',
        teamId: team.id,
        title: `“${name}” is a leader on their own`,
        detail:
          'A leader delegates; with no coders it will do every task itself, at leader prices. Drag a coder onto the team.',
      });
    }

    const n = team.agents.length;
    if (n > maxSize) {
      const refs = REFERENCE_SIZES.filter((size) => size !== n)
        .map((size) => `${size} agents: ${successArithmetic(size, p)}`)
        .join('; ');
      issues.push({
        key: `team-too-large:${team.id}`,
        rule: 'team-too-large',
        severity: 'warning',
        teamId: team.id,
        title: `“${name}” has ${n} agents (more than ${maxSize})`,
        detail:
          `If each agent succeeds ${percent(p)} of the time, all ${n} succeed only ${successArithmetic(n, p)} of the time ` +
          `(${refs}). Smaller teams fail less often together, and their leader reviews less at once.`,
        fix: { label: 'Split into two teams', fix: { kind: 'split-team', teamId: team.id } },
      });
    }

    for (const agent of team.agents) {
      const model = findModel(agent.model);
      if (!model) continue;
      const cheaper = options.roleCosts ? rightSize(agent.role, agent.model, options.roleCosts) : null;
      const cheaperModel = cheaper ? findModel(cheaper.to) : undefined;
      if (cheaper && cheaperModel) {
        // Measured advice replaces the rule of thumb: it names figures from this ledger.
        issues.push({
          key: `right-size:${agent.id}`,
          rule: 'right-size',
          severity: agent.role === 'coder' && model.pool === 'opus' ? 'warning' : 'info',
          teamId: team.id,
          agentId: agent.id,
          title: `“${agent.name}” could run on ${cheaperModel.label} for less`,
          detail: `In your past missions ${cheaper.text}. ${cheaperModel.label} did this role as well for less; switch unless this agent's tasks are harder than usual.`,
          fix: {
            label: `Use ${cheaperModel.label}`,
            fix: { kind: 'set-model', teamId: team.id, agentId: agent.id, model: cheaperModel.id as ModelId },
          },
        });
      } else if (agent.role === 'coder' && model.pool === 'opus') {
        const to = DEFAULT_MODEL_BY_ROLE.coder;
        issues.push({
          key: `model-mismatch:${agent.id}`,
          rule: 'model-mismatch',
          severity: 'warning',
          teamId: team.id,
          agentId: agent.id,
          title: `Coder “${agent.name}” runs on ${model.label}`,
          detail: `Coders do well-scoped edits their leader planned; ${
            priceComparison(agent.model, to, options.prices) ?? `${model.label} is priced above ${findModel(to)?.label ?? to}`
          } and draws on the scarcer Opus rate limits. ${findModel(to)?.label ?? to} is the usual choice for coders.`,
          fix: {
            label: `Use ${findModel(to)?.label ?? to}`,
            fix: { kind: 'set-model', teamId: team.id, agentId: agent.id, model: to },
          },
        });
      }
      if (agent.role === 'leader' && model.pool === 'haiku') {
        const to = DEFAULT_MODEL_BY_ROLE.leader;
        issues.push({
          key: `model-mismatch:${agent.id}`,
          rule: 'model-mismatch',
          severity: 'warning',
          teamId: team.id,
          agentId: agent.id,
          title: `Leader “${agent.name}” runs on ${model.label}`,
          detail: `A leader plans the work, reviews every coder and decides what to escalate; a small model there saves cents and costs whole tasks. ${findModel(to)?.label ?? to} is the usual choice for leaders.`,
          fix: {
            label: `Use ${findModel(to)?.label ?? to}`,
            fix: { kind: 'set-model', teamId: team.id, agentId: agent.id, model: to },
          },
        });
      }
      if (options.today && model.retiresOn && model.retiresOn >= options.today) {
        issues.push({
          key: `retiring-model:${agent.id}`,
          rule: 'retiring-model',
          severity: 'info',
          teamId: team.id,
          agentId: agent.id,
          title: `“${agent.name}” uses ${model.label}, retired on ${model.retiresOn}`,
          detail:
            'Missions that run past that date will fail to call it; choose a newer model of the same class.',
        });
      }
    }

    for (const agent of team.agents) issues.push(...runtimeIssues(team.id, agent, options));

    if (design.teams.length > 1 && (team.brief?.focus ?? '').trim() === '') {
      issues.push({
        key: `team-without-brief:${team.id}`,
        rule: 'team-without-brief',
        severity: 'info',
        teamId: team.id,
        title: `“${name}” has no brief`,
        detail:
          'With several teams, each leader plans from its own team’s brief and reads the others’, so the goal is split between teams instead of planned twice or by nobody. Say in a few lines what this team is for, e.g. “Infrastructure: database schema, config service, auth middleware”.',
      });
    }
  }

  issues.push(...overlapIssues(design.teams));

  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => SEVERITY_ORDER[a.issue.severity] - SEVERITY_ORDER[b.issue.severity] || a.i - b.i)
    .map(({ issue }) => issue);
}

/** A team's owned paths from either the form's text or a stored spec's list. */
function ownedPaths(team: RuleTeam): string[] {
  const owns = team.brief?.owns ?? [];
  const list = typeof owns === 'string' ? owns.split('\n') : owns;
  return list.map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * True when two owned paths can name the same file: equal, or one is a folder holding
 * the other ("db/" and "db/schema.sql"). "db" and "dbx/" do not overlap. The one rule of
 * `ownership.ts`, which the engine applies to plans and writes.
 */
export const ownedPathsOverlap = pathsOverlap;

/**
 * Teams of one phase work at the same time: if they own overlapping paths, their leaders
 * plan the same files and their branches conflict at integration. One issue per pair of
 * teams, naming the first overlap; the fix puts the second team after the first (always
 * safe: two teams of one phase never wait on each other, so no circle can form).
 */
function overlapIssues(teams: readonly RuleTeam[]): DesignIssue[] {
  const phases = teamPhases(teams.map((t) => ({ id: t.id, name: t.name, after: t.after })));
  const issues: DesignIssue[] = [];
  const named = (t: RuleTeam) => `“${t.name.trim() || 'Unnamed team'}”`;
  for (const [i, first] of teams.entries()) {
    const firstPaths = ownedPaths(first);
    if (firstPaths.length === 0) continue;
    for (const second of teams.slice(i + 1)) {
      const phase = phases.get(first.id);
      if (phase === undefined || phases.get(second.id) !== phase) continue;
      const pairs = firstPaths.flatMap((p) =>
        ownedPaths(second)
          .filter((q) => ownedPathsOverlap(p, q))
          .map((q) => [p, q] as const),
      );
      const [pair] = pairs;
      if (!pair) continue;
      const [p, q] = pair;
      const more = pairs.length > 1 ? ` (and ${plural(pairs.length - 1, 'more overlap')})` : '';
      issues.push({
        key: `owned-paths-overlap:${first.id}:${second.id}`,
        rule: 'owned-paths-overlap',
        severity: 'warning',
        teamId: second.id,
        title:
          normaliseOwnedPath(p) === normaliseOwnedPath(q)
            ? `${named(first)} and ${named(second)} both own ${p}${more}`
            : `${named(first)} owns ${p} and ${named(second)} owns ${q}${more}`,
        detail: `Both teams are in phase ${phase} and work at the same time, so their leaders may plan the same files twice and their branches conflict when they are merged. Give the path to one team only, or let ${named(second)} start after ${named(first)} and build on its work.`,
        fix: {
          label: `Start ${named(second)} after ${named(first)}`,
          fix: { kind: 'start-after', teamId: second.id, afterId: first.id },
        },
      });
    }
  }
  return issues;
}

/** The commands an agent may run without asking, from either the form or a stored spec. */
function allowedCommandCount(agent: RuleAgent): number {
  const commands = agent.allowedCommands ?? agent.permissions?.allowedCommands ?? [];
  const list = typeof commands === 'string' ? commands.split(/[,\n]/) : commands;
  return list.filter((c) => c.trim().length > 0).length;
}

function runtimeIssues(teamId: string, agent: RuleAgent, options: RuleOptions): DesignIssue[] {
  const runtime = agentRuntime(agent);
  if (runtime === 'built-in') return [];
  const issues: DesignIssue[] = [];
  const who = `“${agent.name.trim() || 'Unnamed agent'}”`;
  const toBuiltIn = {
    label: 'Switch to built-in',
    fix: { kind: 'set-runtime', teamId, agentId: agent.id, runtime: 'built-in' } as const,
  };

  const status = options.runtimes?.find((r) => r.runtime === runtime);
  if (status && !status.available) {
    issues.push({
      key: `runtime-unavailable:${agent.id}`,
      rule: 'runtime-unavailable',
      severity: 'error',
      teamId,
      agentId: agent.id,
      title: `${who} runs on Claude Code, which cannot start on this machine`,
      detail: `${status.reason ?? 'Claude Code did not answer'}. A mission would fail to start this agent: switch it to the built-in runtime, or install Claude Code for this platform and restart Control Room.`,
      fix: toBuiltIn,
    });
  }

  if (options.provider === 'simulated') {
    issues.push({
      key: `claude-code-simulated:${agent.id}`,
      rule: 'claude-code-simulated',
      severity: 'warning',
      teamId,
      agentId: agent.id,
      title: `${who} runs on Claude Code, but the provider is simulated`,
      detail:
        'The simulated provider invents model answers for Control Room’s own loop; a Claude Code session is a separate program with its own loop and tools, so a simulated mission says little about how this agent will really work. Switch it to built-in while you try the design out, or choose the Anthropic provider in Settings.',
      fix: toBuiltIn,
    });
  }

  const tools = agent.claudeCode?.allowedTools ?? defaultClaudeCodeSpec(agent.role).allowedTools;
  if (tools.includes('Bash') && allowedCommandCount(agent) === 0) {
    issues.push({
      key: `claude-code-bash-unchecked:${agent.id}`,
      rule: 'claude-code-bash-unchecked',
      severity: 'warning',
      teamId,
      agentId: agent.id,
      title: `${who} may use Bash but has no allowed commands`,
      detail:
        'Claude Code’s Bash is still checked against the agent’s allowed commands, and it has none: every command it runs will wait in the Inbox for a person. List the commands it may run on its own (for example npm test, git status), or take Bash away.',
      fix: {
        label: 'Take Bash away',
        fix: { kind: 'remove-claude-code-tool', teamId, agentId: agent.id, tool: 'Bash' },
      },
    });
  }
  return issues;
}

export interface SplitPlan {
  /** Agent ids that stay in the original team (its leader first). */
  stay: string[];
  /** Agent ids that move to the new team. */
  move: string[];
  /** True when the new team needs a leader of its own (the original had one). */
  needsLeader: boolean;
}

/**
 * Halves a team: the leader stays, the other agents are divided in order, the larger
 * half staying. When the original team had a leader the new one gets a leader too, so
 * the split never creates the "coders without a leader" problem it is meant to help with.
 */
export function planSplit(team: RuleTeam): SplitPlan {
  const leaders = team.agents.filter((a) => a.role === 'leader').map((a) => a.id);
  const others = team.agents.filter((a) => a.role !== 'leader').map((a) => a.id);
  const keep = Math.ceil(others.length / 2);
  return {
    stay: [...leaders, ...others.slice(0, keep)],
    move: others.slice(keep),
    needsLeader: leaders.length > 0,
  };
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
