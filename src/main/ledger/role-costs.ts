import type Database from 'better-sqlite3';
import type { RoleCostRow } from '../../shared/role-costs.js';
import { AGENT_ROLES, type AgentRole } from '../../shared/team.js';
import { WORKLOAD_MISSIONS } from './workload.js';

/**
 * "/cost per role": spend, tokens and cost per merged task by role and model, with the
 * first-review approval rate and rework of the submissions each made.
 *
 * Attribution, from the mission log (each task transition is a row):
 * - a task is its last claimant's (`to_state = 'claimed'`, detail `agentId`) when it is
 *   merged; leaders and reviewers claim no task, so theirs are their team's merged tasks;
 * - a submission is a move into `submitted`; a review verdict is a move out of it: to
 *   `reviewed` approves, to `ready` or `dead_letter` with the reviewer's `feedback`
 *   rejects (without feedback its coder was killed: no review); both belong to the agent
 *   whose claim came before them (the team status in `velocity.ts` reads the log alike);
 * - a task's first verdict counts toward first-review approval; rework is the share of
 *   submissions rejected.
 */

/** Roles that do not claim tasks: their merged tasks are their team's. */
const TEAM_ROLES: readonly AgentRole[] = ['leader', 'reviewer'];

interface AgentRaw {
  mission_id: string;
  agent_id: string;
  team_id: string;
  role: string;
  model: string;
  calls: number;
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
  spend: number;
}

interface LogRaw {
  mission_id: string;
  subject_id: string;
  from_state: string | null;
  to_state: string | null;
  detail_json: string;
}

/** The missions in scope: one, or the most recent `WORKLOAD_MISSIONS`. */
const SCOPE = `
  recent AS (
    SELECT id FROM missions WHERE @missionId IS NULL OR id = @missionId
    ORDER BY created_at DESC, id DESC LIMIT @missions
  )`;

// Every agent of the missions in scope, with its calls' sums (zero for an agent that made
// none), from the call_totals roll-up (a row per mission, team, agent and model), so the
// query stays cheap however many calls the missions made.
const AGENTS_SQL = `
  WITH ${SCOPE},
  spend AS (
    SELECT t.mission_id, t.agent_id, sum(t.calls) AS calls,
           sum(t.input_tokens) AS input, sum(t.cache_read_tokens) AS cache_read,
           sum(t.cache_creation_5m_tokens + t.cache_creation_1h_tokens) AS cache_write,
           sum(t.output_tokens) AS output, sum(t.cost_total_nano) AS spend
    FROM recent r JOIN call_totals t ON t.mission_id = r.id
    WHERE t.agent_id <> ''
    GROUP BY t.mission_id, t.agent_id
  )
  SELECT a.mission_id, a.id AS agent_id, a.team_id, a.role, a.model,
         coalesce(s.calls, 0) AS calls, coalesce(s.input, 0) AS input,
         coalesce(s.cache_read, 0) AS cache_read, coalesce(s.cache_write, 0) AS cache_write,
         coalesce(s.output, 0) AS output, coalesce(s.spend, 0) AS spend
  FROM recent r
  JOIN mission_agents a ON a.mission_id = r.id
  LEFT JOIN spend s ON s.mission_id = a.mission_id AND s.agent_id = a.id`;

const LOG_SQL = `
  WITH ${SCOPE}
  SELECT l.mission_id, l.subject_id, l.from_state, l.to_state, l.detail_json
  FROM recent r JOIN mission_log l ON l.mission_id = r.id
  WHERE l.kind = 'task' AND (l.to_state IN ('claimed', 'merged', 'submitted') OR l.from_state = 'submitted')
  ORDER BY l.id`;

const key = (missionId: string, id: string) => `${missionId}\n${id}`;

function detailOf(detailJson: string): { agentId?: unknown; feedback?: unknown } {
  try {
    return JSON.parse(detailJson) as { agentId?: unknown; feedback?: unknown };
  } catch {
    return {};
  }
}

/**
 * Per role and model, over one mission or the most recent `WORKLOAD_MISSIONS`: what the
 * agents spent and used, the merged tasks they account for, and how their submissions
 * fared at review. Ordered by spend, dearest first.
 */
export function roleCosts(db: Database.Database, options: { missionId?: string } = {}): RoleCostRow[] {
  const params = { missionId: options.missionId ?? null, missions: options.missionId ? 1 : WORKLOAD_MISSIONS };
  const agents = db.prepare(AGENTS_SQL).all(params) as AgentRaw[];
  const log = db.prepare(LOG_SQL).all(params) as LogRaw[];

  const agentOf = new Map(agents.map((a) => [key(a.mission_id, a.agent_id), a]));
  const lastClaim = new Map<string, string>();
  const judged = new Set<string>();
  const merged = new Map<string, number>();
  const teamMerged = new Map<string, number>();
  const reviewed = new Map<string, number>();
  const approved = new Map<string, number>();
  const rejected = new Map<string, number>();
  const submitted = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  for (const row of log) {
    const task = key(row.mission_id, row.subject_id);
    if (row.to_state === 'claimed') {
      const { agentId } = detailOf(row.detail_json);
      if (typeof agentId === 'string') lastClaim.set(task, key(row.mission_id, agentId));
      continue;
    }
    const coder = lastClaim.get(task);
    if (!coder) continue;
    if (row.to_state === 'submitted') bump(submitted, coder);
    const rejects =
      (row.to_state === 'ready' || row.to_state === 'dead_letter') && typeof detailOf(row.detail_json).feedback === 'string';
    if (row.from_state === 'submitted' && (row.to_state === 'reviewed' || rejects)) {
      const approves = row.to_state === 'reviewed';
      if (!judged.has(task)) {
        judged.add(task);
        bump(reviewed, coder);
        if (approves) bump(approved, coder);
      }
      if (!approves) bump(rejected, coder);
    }
    if (row.to_state === 'merged') {
      bump(merged, coder);
      const team = agentOf.get(coder)?.team_id;
      if (team !== undefined) bump(teamMerged, key(row.mission_id, team));
    }
  }

  const out = new Map<string, RoleCostRow>();
  for (const a of agents) {
    if (!(AGENT_ROLES as readonly string[]).includes(a.role)) continue;
    const role = a.role as AgentRole;
    const k = key(a.mission_id, a.agent_id);
    const group = `${role}\n${a.model}`;
    const row =
      out.get(group) ??
      ({
        role,
        model: a.model,
        agents: 0,
        calls: 0,
        inputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 0,
        spendNano: 0,
        mergedTasks: 0,
        costPerMergedTaskNano: null,
        reviewedTasks: 0,
        firstReviewApproved: 0,
        firstReviewApprovalRate: null,
        submissions: 0,
        rejections: 0,
        reworkRate: null,
      } satisfies RoleCostRow);
    row.agents += 1;
    row.calls += a.calls;
    row.inputTokens += a.input;
    row.cacheReadTokens += a.cache_read;
    row.cacheWriteTokens += a.cache_write;
    row.outputTokens += a.output;
    row.spendNano += a.spend;
    row.mergedTasks += TEAM_ROLES.includes(role)
      ? (teamMerged.get(key(a.mission_id, a.team_id)) ?? 0)
      : (merged.get(k) ?? 0);
    row.reviewedTasks += reviewed.get(k) ?? 0;
    row.firstReviewApproved += approved.get(k) ?? 0;
    row.submissions += submitted.get(k) ?? 0;
    row.rejections += rejected.get(k) ?? 0;
    out.set(group, row);
  }

  return [...out.values()]
    .filter((r) => r.calls > 0 || r.mergedTasks > 0)
    .map((r) => ({
      ...r,
      costPerMergedTaskNano: r.mergedTasks > 0 ? Math.round(r.spendNano / r.mergedTasks) : null,
      firstReviewApprovalRate: r.reviewedTasks > 0 ? r.firstReviewApproved / r.reviewedTasks : null,
      reworkRate: r.submissions > 0 ? r.rejections / r.submissions : null,
    }))
    .sort((a, b) => b.spendNano - a.spendNano || a.role.localeCompare(b.role) || a.model.localeCompare(b.model));
}
