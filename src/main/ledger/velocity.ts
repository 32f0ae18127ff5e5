import type Database from 'better-sqlite3';
import type { EscalationType, MissionState, TaskState, TeamPhaseState } from '../../shared/mission.js';
import { FINAL_MISSION_STATES } from '../../shared/mission.js';
import { currentRounds, isCurrentTask } from '../../shared/plan-rounds.js';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import {
  TASK_BUCKETS,
  type MissionTeamStatus,
  type Ratio,
  type TeamBlocker,
  type TeamStatus,
  type TeamTaskCounts,
} from '../../shared/team-status.js';

/**
 * Team status and velocity, from the ledger. Two layers: {@link computeTeamStatus} is a
 * pure function of plain rows and a clock (tested with numbers known in advance), and
 * {@link teamStatus} reads those rows for one mission.
 *
 * How the figures read the mission log's task transitions (written by the engine's
 * `saveTask`, detail in parentheses):
 * - a submission is a move into `submitted`;
 * - a review approves with `submitted → reviewed`, and rejects with `submitted → ready`
 *   (or `dead_letter`) carrying the reviewer's `feedback`; a move out of `submitted`
 *   without feedback (its coder was killed) is no review;
 * - an approved task is merged into the team branch: `reviewed → merged` is a clean merge,
 *   `reviewed → ready`/`dead_letter` with `feedback` is a merge that conflicted (the task
 *   goes back to be redone on the latest team branch);
 * - the team's own merge into the mission branch conflicted when a `merge_conflict`
 *   escalation of stage `teams` names it (its `teamId`, or the `mergingTeam` of the
 *   resolution a leader of another team was given).
 */

const HOUR_MS = 3_600_000;

/** A team as the figures need it. */
export interface VelocityTeam {
  id: string;
  name: string;
  phaseState: TeamPhaseState;
}

/** A task as the figures need it. */
export interface VelocityTask {
  id: string;
  teamId: string;
  planRound: number;
  state: TaskState;
  assignee: string | null;
}

/** One task state change from the mission log, in log order. */
export interface TaskTransition {
  taskId: string;
  /** Epoch ms. */
  at: number;
  from: TaskState | null;
  to: TaskState;
  /** The move carried a reviewer's (or the merge's) feedback. */
  feedback: boolean;
}

/** One mission state change from the mission log (for its pauses). */
export interface MissionTransition {
  at: number;
  from: MissionState | null;
  to: MissionState;
}

/** An escalation as the figures need it. */
export interface VelocityEscalation {
  id: string;
  /** The team it holds up: its team, or for a team's merge conflict the team being merged. */
  teamId: string | null;
  taskId: string | null;
  agentId: string | null;
  type: EscalationType;
  level: 'leader' | 'human';
  state: 'open' | 'resolved' | 'cancelled';
  title: string;
  /** Epoch ms. */
  createdAt: number;
  decidedAt: number | null;
  /** A `merge_conflict` of a team into the mission branch (stage `teams`). */
  teamMergeConflict: boolean;
}

export interface VelocityInput {
  missionId: string;
  missionState: MissionState;
  /** The mission's plan round (`plan-rounds.ts`). */
  planRound: number;
  /** Epoch ms; null while it runs. */
  endedAt: number | null;
  teams: readonly VelocityTeam[];
  tasks: readonly VelocityTask[];
  transitions: readonly TaskTransition[];
  missionTransitions: readonly MissionTransition[];
  escalations: readonly VelocityEscalation[];
  /** Committed spend of the team's calls, nano-dollars, by team id. */
  costByTeam: ReadonlyMap<string, number>;
}

/** The middle value (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The intervals the mission was paused, each [from, to) in epoch ms (to = `now` for a pause still on). */
export function pausedIntervals(transitions: readonly MissionTransition[], now: number): [number, number][] {
  const out: [number, number][] = [];
  let since: number | null = null;
  for (const t of transitions) {
    if (t.to === 'paused' && since === null) since = t.at;
    else if (t.from === 'paused' && since !== null) {
      out.push([since, t.at]);
      since = null;
    }
  }
  if (since !== null) out.push([since, now]);
  return out;
}

/** Milliseconds of [from, to) outside every interval of `gaps`. */
export function activeMs(from: number, to: number, gaps: readonly [number, number][]): number {
  if (to <= from) return 0;
  let total = to - from;
  for (const [a, b] of gaps) total -= Math.max(0, Math.min(b, to) - Math.max(a, from));
  return Math.max(0, total);
}

const ratio = (count: number, of: number): Ratio => ({ count, of });

/** Every team's status and velocity at `now` (epoch ms), in the order of `input.teams`. */
export function computeTeamStatus(input: VelocityInput, now: number): MissionTeamStatus {
  const rounds = currentRounds(input.planRound, input.teams, input.tasks);
  const final = FINAL_MISSION_STATES.includes(input.missionState);
  const end = final ? (input.endedAt ?? now) : now;
  const gaps = pausedIntervals(input.missionTransitions, end);
  // Everything grouped by team once: a mission may have many teams and thousands of log rows.
  const group = <T>(items: readonly T[], key: (item: T) => string | null | undefined): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    for (const item of items) {
      const k = key(item);
      if (k === null || k === undefined) continue;
      const list = out.get(k);
      if (list) list.push(item);
      else out.set(k, [item]);
    }
    return out;
  };
  const teamOfTask = new Map(input.tasks.map((t) => [t.id, t.teamId]));
  const tasksOf = group(input.tasks, (t) => t.teamId);
  const movesOf = group(input.transitions, (m) => teamOfTask.get(m.taskId));
  const escalationsOf = group(input.escalations, (e) => e.teamId);
  const open = input.escalations.filter((e) => e.state === 'open');
  const waitingTasks = new Set(open.map((e) => e.taskId));
  const waitingAgents = new Set(open.map((e) => e.agentId));

  const teams = input.teams.map((team): TeamStatus => {
    const tasks = tasksOf.get(team.id) ?? [];
    const current = tasks.filter((t) => isCurrentTask(t, rounds));
    const teamEscalations = escalationsOf.get(team.id) ?? [];
    const teamOpen = teamEscalations.filter((e) => e.state === 'open').sort((a, b) => a.createdAt - b.createdAt);

    // Counts: a task waits on an open escalation when one names it or its coder.
    const counts: TeamTaskCounts = { assigned: 0, waiting: 0, inProgress: 0, inReview: 0, blocked: 0, done: 0 };
    for (const t of current) {
      let bucket = TASK_BUCKETS[t.state];
      if (bucket === null) continue;
      if (bucket === 'inProgress' && (waitingTasks.has(t.id) || (t.assignee !== null && waitingAgents.has(t.assignee)))) bucket = 'blocked';
      counts[bucket] += 1;
      counts.assigned += 1;
    }

    const blockers: TeamBlocker[] = teamOpen.map((e) => ({
      escalationId: e.id,
      title: e.title,
      type: e.type,
      level: e.level,
      createdAt: new Date(e.createdAt).toISOString(),
      ageMs: Math.max(0, now - e.createdAt),
    }));

    // The log, per task of this team, in order.
    const moves = movesOf.get(team.id) ?? [];
    const submissions = moves.filter((m) => m.to === 'submitted').length;
    const isRejection = (m: TaskTransition) => m.from === 'submitted' && (m.to === 'ready' || m.to === 'dead_letter') && m.feedback;
    const rejected = moves.filter(isRejection).length;
    const firstReview = new Map<string, boolean>();
    for (const m of moves) {
      if (firstReview.has(m.taskId)) continue;
      if (m.from === 'submitted' && m.to === 'reviewed') firstReview.set(m.taskId, true);
      else if (isRejection(m)) firstReview.set(m.taskId, false);
    }
    const approvedFirst = [...firstReview.values()].filter(Boolean).length;

    const mergeMoves = moves.filter((m) => m.to === 'merged');
    const merged = mergeMoves.length;
    const taskConflicts = moves.filter((m) => m.from === 'reviewed' && (m.to === 'ready' || m.to === 'dead_letter') && m.feedback).length;
    const teamConflicted = teamEscalations.some((e) => e.teamMergeConflict);
    const teamMergeTried = team.phaseState === 'merged' || teamConflicted;
    const integration = ratio(merged + (team.phaseState === 'merged' && !teamConflicted ? 1 : 0), merged + taskConflicts + (teamMergeTried ? 1 : 0));

    const decided = teamEscalations.filter((e) => e.state === 'resolved' && e.decidedAt !== null);
    const medianBlockerMs = median(decided.map((e) => e.decidedAt! - e.createdAt));

    // Active time: from the first claim to now, or to the last merge once nothing is left.
    const remaining = current.filter((t) => t.state !== 'merged' && t.state !== 'cancelled').length;
    const firstClaim = moves.find((m) => m.to === 'claimed')?.at ?? null;
    const lastMerge = mergeMoves.at(-1)?.at ?? null;
    const stop = remaining === 0 && lastMerge !== null ? lastMerge : end;
    const active = firstClaim === null ? 0 : activeMs(firstClaim, stop, gaps);
    const mergedPerHour = merged > 0 && active > 0 ? merged / (active / HOUR_MS) : null;

    const cost = input.costByTeam.get(team.id) ?? 0;

    let finishAt: string | null = null;
    let reason: string | null = null;
    if (current.length === 0) reason = 'no tasks planned yet';
    else if (remaining === 0) reason = 'every task is merged';
    else if (final) reason = `the mission is ${input.missionState}`;
    // A pace says nothing about tasks that wait on a person or a leader.
    else if (counts.blocked === remaining) reason = remaining === 1 ? 'the task left is blocked' : 'every task left is blocked';
    else if (mergedPerHour === null) reason = 'nothing merged yet';
    else finishAt = new Date(now + Math.round((remaining / mergedPerHour) * HOUR_MS)).toISOString();

    return {
      teamId: team.id,
      name: team.name,
      counts,
      blockers,
      velocity: {
        merged,
        activeMs: active,
        mergedPerHour,
        medianBlockerMs,
        blockersResolved: decided.length,
        firstReviewApproval: ratio(approvedFirst, firstReview.size),
        rework: ratio(rejected, submissions),
        integration,
        costNanoUsd: cost,
        costPerMergedNanoUsd: merged > 0 ? Math.round(cost / merged) : null,
      },
      eta: { remaining, finishAt, reason },
    };
  });
  return { missionId: input.missionId, at: new Date(now).toISOString(), teams };
}

// ------------------------------------------------------------------ the ledger's rows

const ms = (iso: string): number => Date.parse(iso);

interface RawEscalation {
  id: string;
  team_id: string | null;
  task_id: string | null;
  agent_id: string | null;
  type: EscalationType;
  level: 'leader' | 'human';
  state: 'open' | 'resolved' | 'cancelled';
  title: string;
  created_at: string;
  decided_at: string | null;
  stage: string | null;
  merging_team: string | null;
}

/** Reads what {@link computeTeamStatus} needs for one mission. Throws `not_found` for an unknown mission. */
export function readVelocityInput(db: Database.Database, missionId: string): VelocityInput {
  const mission = db
    .prepare('SELECT state, plan_round AS planRound, ended_at AS endedAt FROM missions WHERE id = ?')
    .get(missionId) as { state: MissionState; planRound: number; endedAt: string | null } | undefined;
  if (!mission) throw new AppError('not_found', `no mission ${quote(missionId)}`);
  const teams = db
    .prepare('SELECT id, name, phase_state AS phaseState FROM mission_teams WHERE mission_id = ? ORDER BY sort_order, id')
    .all(missionId) as VelocityTeam[];
  const tasks = db
    .prepare('SELECT id, team_id AS teamId, plan_round AS planRound, state, assignee FROM mission_tasks WHERE mission_id = ? ORDER BY sort_order, id')
    .all(missionId) as VelocityTask[];
  const transitions = (
    db
      .prepare(
        `SELECT subject_id AS taskId, at, from_state AS "from", to_state AS "to",
                json_extract(detail_json, '$.feedback') IS NOT NULL AS feedback
           FROM mission_log WHERE mission_id = ? AND kind = 'task' AND to_state IS NOT NULL ORDER BY id`,
      )
      .all(missionId) as { taskId: string; at: string; from: TaskState | null; to: TaskState; feedback: number }[]
  ).map((r) => ({ ...r, at: ms(r.at), feedback: r.feedback === 1 }));
  const missionTransitions = (
    db
      .prepare(`SELECT at, from_state AS "from", to_state AS "to" FROM mission_log WHERE mission_id = ? AND kind = 'mission' AND to_state IS NOT NULL ORDER BY id`)
      .all(missionId) as { at: string; from: MissionState | null; to: MissionState }[]
  ).map((r) => ({ ...r, at: ms(r.at) }));
  const escalations = (
    db
      .prepare(
        `SELECT id, team_id, task_id, agent_id, type, level, state, title, created_at, decided_at,
                json_extract(payload_json, '$.stage') AS stage,
                json_extract(payload_json, '$.resolution.mergingTeam') AS merging_team
           FROM escalations WHERE mission_id = ? ORDER BY created_at, id`,
      )
      .all(missionId) as RawEscalation[]
  ).map((e): VelocityEscalation => {
    const teamMergeConflict = e.type === 'merge_conflict' && e.stage === 'teams';
    return {
      id: e.id,
      // A leader of another team may resolve a team's conflict: the conflict holds up the team being merged.
      teamId: teamMergeConflict ? (e.merging_team ?? e.team_id) : e.team_id,
      taskId: e.task_id,
      agentId: e.agent_id,
      type: e.type,
      level: e.level,
      state: e.state,
      title: e.title,
      createdAt: ms(e.created_at),
      decidedAt: e.decided_at === null ? null : ms(e.decided_at),
      teamMergeConflict,
    };
  });
  const costByTeam = new Map(
    (
      db
        // The all-time roll-up (migration 0002's triggers keep it with every call row): a few
        // rows per agent instead of every call of the mission. No team is stored as ''.
        .prepare(`SELECT team_id AS teamId, sum(cost_total_nano) AS cost FROM call_totals WHERE mission_id = ? AND team_id <> '' GROUP BY team_id`)
        .all(missionId) as { teamId: string; cost: number }[]
    ).map((r) => [r.teamId, Number(r.cost)]),
  );
  return {
    missionId,
    missionState: mission.state,
    planRound: mission.planRound,
    endedAt: mission.endedAt === null ? null : ms(mission.endedAt),
    teams,
    tasks,
    transitions,
    missionTransitions,
    escalations,
    costByTeam,
  };
}

/** Every team's status and velocity for one mission, at `now` (epoch ms). Throws `not_found` for an unknown mission. */
export function teamStatus(db: Database.Database, missionId: string, now: number): MissionTeamStatus {
  return computeTeamStatus(readVelocityInput(db, missionId), now);
}
