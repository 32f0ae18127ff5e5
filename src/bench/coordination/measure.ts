import { execFileSync } from 'node:child_process';
import type Database from 'better-sqlite3';
import type { MissionDetail, MissionTeamView } from '../../shared/mission.js';
import { findOverlaps } from '../../shared/ownership.js';

/**
 * The figures of one finished mission, read back from its ledger and its repository
 * after the run (nothing is taken from the engine's own summaries where the ledger or
 * git can say it independently). Instants: `mission_log.at` and the escalations' times
 * are ISO strings with milliseconds, `calls.*_at` epoch milliseconds; all are the same
 * wall clock, so they are compared as epoch milliseconds.
 */

/** What one phase waited for between the end of its predecessor's work and its own first planning call. */
export interface PhaseWait {
  phase: number;
  teams: string[];
  /** The previous phase's last task merged into its team branch (epoch ms). */
  from: number;
  /** This phase's first leader call started (epoch ms). */
  to: number;
  /** from → the mission entering `integrating`: the scheduler noticing the phase is done. */
  untilIntegrating: number;
  /** Integrating → the previous phase's last team merged into the mission branch. */
  merging: number;
  /** Last team merged → the mission back in `planning` (this phase's branches moved to the mission branch). */
  startingBranches: number;
  /** Planning → this phase's first leader call started. */
  untilFirstCall: number;
}

/** One phase's integration: from the mission entering `integrating` to the phase's last team merged into the mission branch. */
export interface PhaseIntegration {
  phase: number;
  ms: number;
  teamsMerged: number;
}

export interface DuplicateWork {
  /** Pairs of tasks of different teams whose owned paths overlap. */
  taskPairs: { a: string; b: string; path: string }[];
  /** Files changed on more than one team's branch, with the teams. */
  sharedFiles: { file: string; teams: string[] }[];
  /** Files each team changed (from its start commit to its branch's merged tip). */
  filesPerTeam: Record<string, number>;
}

export interface CoordinationFigures {
  wallMs: number;
  director: { stageMs: number; callMs: number; calls: number };
  phaseWaits: PhaseWait[];
  integrations: PhaseIntegration[];
  finalMerge: { askedToApprovedMs: number; approvedToDoneMs: number };
  duplicates: DuplicateWork;
  conflicts: { total: number; reachedPerson: number };
  /** Escalations the person (here: the auto-approver) answered, by type. */
  personAnswered: Record<string, number>;
  ledger: {
    calls: number;
    callsByRole: Record<string, number>;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    costNano: number;
  };
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

interface LogRow {
  at: string;
  kind: string;
  subject_id: string;
  from_state: string | null;
  to_state: string | null;
  detail_json: string;
}

/** Reads every figure of the mission `detail` (finished) from the ledger `db` and the repository `repo`. */
export function measureMission(db: Database.Database, repo: string, detail: MissionDetail): CoordinationFigures {
  const missionId = detail.mission.id;
  const missionRow = db.prepare('SELECT started_at, ended_at FROM missions WHERE id = ?').get(missionId) as { started_at: string | null; ended_at: string | null };
  const started = ms(missionRow.started_at);
  const ended = ms(missionRow.ended_at);
  const log = db.prepare('SELECT at, kind, subject_id, from_state, to_state, detail_json FROM mission_log WHERE mission_id = ? ORDER BY id').all(missionId) as LogRow[];
  const missionStates = log.filter((r) => r.kind === 'mission').map((r) => ({ at: ms(r.at), to: r.to_state ?? '' }));

  const phaseOf = new Map(detail.teams.map((t) => [t.id, t.phase]));
  const phases = [...new Set(detail.teams.map((t) => t.phase))].sort((a, b) => a - b);
  const teamsOf = (phase: number): MissionTeamView[] => detail.teams.filter((t) => t.phase === phase);
  const taskTeam = new Map(detail.tasks.map((t) => [t.id, t.teamId]));

  // When each phase's last task merged into its team branch.
  const lastTaskMerged = new Map<number, number>();
  for (const r of log) {
    if (r.kind !== 'task' || r.to_state !== 'merged') continue;
    const phase = phaseOf.get(taskTeam.get(r.subject_id) ?? '');
    if (phase === undefined) continue;
    lastTaskMerged.set(phase, Math.max(lastTaskMerged.get(phase) ?? 0, ms(r.at)));
  }
  // When each team was merged into the mission branch (the phase runner's note).
  const teamMerged = new Map<string, number>();
  for (const r of log) if (r.kind === 'note' && r.to_state === 'merged' && phaseOf.has(r.subject_id)) teamMerged.set(r.subject_id, ms(r.at));

  // Each team's leader's first call: its first planning call (leaders call only once their phase has started).
  const firstLeaderCall = new Map<string, number>();
  const leaderCalls = db
    .prepare("SELECT team_id AS team, min(started_at) AS at FROM calls WHERE mission_id = ? AND role = 'leader' GROUP BY team_id")
    .all(missionId) as { team: string; at: number }[];
  for (const row of leaderCalls) firstLeaderCall.set(row.team, row.at);

  const after = (t: number, to: string) => missionStates.find((s) => s.at >= t && s.to === to)?.at ?? NaN;
  const phaseWaits: PhaseWait[] = [];
  const integrations: PhaseIntegration[] = [];
  for (const phase of phases) {
    const from = lastTaskMerged.get(phase) ?? NaN;
    const integrating = after(from, 'integrating');
    const teams = teamsOf(phase);
    const merged = Math.max(...teams.map((t) => teamMerged.get(t.id) ?? NaN));
    integrations.push({ phase, ms: merged - integrating, teamsMerged: teams.filter((t) => teamMerged.has(t.id)).length });
    const next = phases.find((p) => p > phase);
    if (next === undefined) continue;
    const nextTeams = teamsOf(next);
    const to = Math.min(...nextTeams.map((t) => firstLeaderCall.get(t.id) ?? NaN));
    const planning = after(merged, 'planning');
    phaseWaits.push({
      phase: next,
      teams: nextTeams.map((t) => t.name),
      from,
      to,
      untilIntegrating: integrating - from,
      merging: merged - integrating,
      startingBranches: planning - merged,
      untilFirstCall: to - planning,
    });
  }

  const finalMergeRow = db
    .prepare("SELECT created_at, decided_at FROM escalations WHERE mission_id = ? AND type = 'final_merge' AND decision = 'approve' ORDER BY created_at DESC LIMIT 1")
    .get(missionId) as { created_at: string; decided_at: string } | undefined;

  const briefApproved = db
    .prepare("SELECT decided_at FROM escalations WHERE mission_id = ? AND type = 'mission_brief' AND decision = 'approve' ORDER BY decided_at DESC LIMIT 1")
    .pluck()
    .get(missionId) as string | undefined;
  const directorCalls = db
    .prepare("SELECT count(*) AS n, coalesce(sum(ended_at - started_at), 0) AS ms FROM calls WHERE mission_id = ? AND role = 'director'")
    .get(missionId) as { n: number; ms: number };

  const person = db
    .prepare("SELECT type, count(*) AS n FROM escalations WHERE mission_id = ? AND level = 'human' AND decided_by = 'human' GROUP BY type ORDER BY type")
    .all(missionId) as { type: string; n: number }[];
  const conflicts = db
    .prepare("SELECT count(*) AS total, coalesce(sum(level = 'human'), 0) AS human FROM escalations WHERE mission_id = ? AND type = 'merge_conflict'")
    .get(missionId) as { total: number; human: number };

  const totals = db
    .prepare(
      `SELECT count(*) AS calls, coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
              coalesce(sum(cache_read_tokens), 0) AS cacheRead,
              coalesce(sum(cache_creation_5m_tokens + cache_creation_1h_tokens), 0) AS cacheWrite,
              coalesce(sum(cost_total_nano), 0) AS cost
       FROM calls WHERE mission_id = ?`,
    )
    .get(missionId) as { calls: number; input: number; output: number; cacheRead: number; cacheWrite: number; cost: number };
  const byRole = db.prepare('SELECT coalesce(role, \'?\') AS role, count(*) AS n FROM calls WHERE mission_id = ? GROUP BY role ORDER BY role').all(missionId) as {
    role: string;
    n: number;
  }[];

  return {
    wallMs: ended - started,
    director: { stageMs: ms(briefApproved) - started, callMs: directorCalls.ms, calls: directorCalls.n },
    phaseWaits,
    integrations,
    finalMerge: {
      askedToApprovedMs: ms(finalMergeRow?.decided_at) - ms(finalMergeRow?.created_at),
      approvedToDoneMs: ended - ms(finalMergeRow?.decided_at),
    },
    duplicates: duplicateWork(repo, detail),
    conflicts: { total: conflicts.total, reachedPerson: conflicts.human },
    personAnswered: Object.fromEntries(person.map((p) => [p.type, p.n])),
    ledger: {
      calls: totals.calls,
      callsByRole: Object.fromEntries(byRole.map((r) => [r.role, r.n])),
      inputTokens: totals.input,
      outputTokens: totals.output,
      cacheReadTokens: totals.cacheRead,
      cacheWriteTokens: totals.cacheWrite,
      costNano: totals.cost,
    },
  };
}

/**
 * Duplicate work two ways: planned (tasks of different teams owning overlapping paths, by
 * the one ownership rule of `shared/ownership.ts`) and done (files changed on more than
 * one team's branch, from git: each team's start commit to the tip of its branch that was
 * merged: the second parent of its merge commit, as teams merge with --no-ff).
 */
function duplicateWork(repo: string, detail: MissionDetail): DuplicateWork {
  const owners = detail.tasks.map((t) => ({ id: `${t.teamId}/${t.key}`, team: t.teamId, owns: t.owns }));
  const taskPairs = findOverlaps(owners, (a, b) => a.team !== b.team).map((o) => ({ a: o.a.id, b: o.b.id, path: o.pathA }));

  const teamsByFile = new Map<string, string[]>();
  const filesPerTeam: Record<string, number> = {};
  for (const team of detail.teams) {
    if (!team.startCommit || !team.mergedCommit) continue;
    const parents = git(repo, 'rev-list', '--parents', '-n', '1', team.mergedCommit).split(' ').slice(1);
    const tip = parents[1] ?? team.mergedCommit;
    const files = git(repo, 'diff', '--name-only', '--no-renames', team.startCommit, tip).split('\n').filter(Boolean);
    filesPerTeam[team.name] = files.length;
    for (const file of files) teamsByFile.set(file, [...(teamsByFile.get(file) ?? []), team.name]);
  }
  const sharedFiles = [...teamsByFile].filter(([, teams]) => teams.length > 1).map(([file, teams]) => ({ file, teams }));
  return { taskPairs, sharedFiles, filesPerTeam };
}
