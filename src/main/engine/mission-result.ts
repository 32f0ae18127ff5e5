import type { MissionResultKind } from '../../shared/mission.js';
import {
  resultHeadline,
  type MissionResult,
  type MissionResultCoder,
  type MissionResultCommit,
  type MissionResultFile,
  type MissionResultTask,
  type MissionResultTeam,
} from '../../shared/mission-result.js';
import { currentRounds, isCurrentTask } from '../../shared/plan-rounds.js';
import { pullRequestUrlOf } from '../../shared/pull-request.js';
import { MissionResultsStore } from '../ledger/mission-results.js';
import { PullRequestRepository } from '../ledger/pull-request-repository.js';
import type { LogRow, MissionRecord, MissionStore, TaskRecord } from '../ledger/mission-repository.js';
import { git } from '../workspace/git.js';

/**
 * A mission's result (`missions:get-result`, the last object of `run --json`), read from
 * the ledger: teams with their leaders' summaries and files, tasks, cost and time per team
 * and task (from the raw calls, which carry mission, team and task), escalations with their
 * decisions, the final test run; and the agents' commits from git: each merged task's
 * commits are the ones its merge brought into the team branch (`merge^1..merge^2`), so
 * each is attributed to its task's team and coder. Where git cannot answer (the repository
 * or the commits are gone), the tasks' merge commits stand in, and `commitsSource` says so.
 */

const TERMINAL_TASK_STATES = new Set(['merged', 'dead_letter', 'cancelled']);
const STARTED_TASK_STATES = new Set(['claimed', 'in_progress']);

function span(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** When each task started (first claimed) and ended (last terminal state), and each team's phase, from the log. */
function timesFromLog(log: readonly LogRow[]) {
  const tasks = new Map<string, { start: string | null; end: string | null }>();
  const teams = new Map<string, { start: string | null; end: string | null }>();
  for (const row of log) {
    if (row.kind === 'task') {
      const t = tasks.get(row.subjectId) ?? { start: null, end: null };
      if (!t.start && row.toState && STARTED_TASK_STATES.has(row.toState)) t.start = row.at;
      if (row.toState && TERMINAL_TASK_STATES.has(row.toState)) t.end = row.at;
      tasks.set(row.subjectId, t);
    } else if (row.kind === 'note' && row.detail.phase === true) {
      const t = teams.get(row.subjectId) ?? { start: null, end: null };
      if (row.toState === 'active' && !t.start) t.start = row.at;
      if (row.toState === 'merged') t.end = row.at;
      teams.set(row.subjectId, t);
    }
  }
  return { tasks, teams };
}

const SEP = '\x1f';
const REC = '\x1e';

/** The non-merge commits a task's merge brought in, oldest first; throws when git cannot say. */
async function taskCommits(
  repo: string,
  mergeCommit: string,
): Promise<{ sha: string; author: string; at: string; subject: string }[]> {
  const out = await git(
    [
      'log',
      '--no-merges',
      '--reverse',
      `--format=%H${SEP}%an${SEP}%aI${SEP}%s${REC}`,
      `${mergeCommit}^1..${mergeCommit}^2`,
    ],
    { cwd: repo, internal: true, timeoutMs: 15_000 },
  );
  return out.stdout
    .split(REC)
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => {
      const [sha = '', author = '', at = '', subject = ''] = r.split(SEP);
      return { sha, author, at, subject };
    });
}

/**
 * Lines added and deleted per file by each merged team, from its start to its merge
 * (`git diff --numstat`); a binary file counts null, and a team git cannot answer for
 * (its commits gone) is left out.
 */
async function lineCounts(
  repo: string,
  teams: readonly { id: string; startCommit: string | null; mergedCommit: string | null }[],
): Promise<Map<string, Map<string, { additions: number | null; deletions: number | null }>>> {
  const out = new Map<string, Map<string, { additions: number | null; deletions: number | null }>>();
  await Promise.all(
    teams.map(async (team) => {
      if (!team.startCommit || !team.mergedCommit) return;
      try {
        const res = await git(
          ['diff', '--numstat', '-z', '--no-renames', team.startCommit, team.mergedCommit],
          { cwd: repo, internal: true, timeoutMs: 15_000 },
        );
        const counts = new Map<string, { additions: number | null; deletions: number | null }>();
        for (const entry of res.stdout.split('\0')) {
          const m = /^(\d+|-)\t(\d+|-)\t(.+)$/s.exec(entry);
          if (!m?.[3]) continue;
          counts.set(m[3], {
            additions: m[1] === '-' ? null : Number(m[1]),
            deletions: m[2] === '-' ? null : Number(m[2]),
          });
        }
        out.set(team.id, counts);
      } catch {
        // The commits are gone: the files are still listed, without their line counts.
      }
    }),
  );
  return out;
}

/** Builds the result of mission `m` from the ledger (and git, for the commits). */
export async function buildMissionResult(
  store: MissionStore,
  m: MissionRecord,
  missionBranch: string | null,
): Promise<MissionResult> {
  const results = new MissionResultsStore(store.db);
  const teamRows = store.teams(m.id);
  const allTasks = store.tasks(m.id);
  const rounds = currentRounds(m.planRound, teamRows, allTasks);
  const tasks = allTasks.filter((t) => isCurrentTask(t, rounds));
  const agents = store.agents(m.id);
  const agentName = new Map(agents.map((a) => [a.id, a.name]));
  const summaries = new Map(results.teamSummaries(m.id).map((s) => [s.teamId, s]));
  const times = timesFromLog(store.log_(m.id));

  // Cost per (team, task), from the raw calls: teams and tasks add up to the mission's total.
  const costRows = results.taskCosts(m.id);
  const taskCost = new Map<string, { cost: number; calls: number }>();
  const teamCost = new Map<string, { cost: number; calls: number }>();
  let totalCost = 0;
  let totalCalls = 0;
  for (const r of costRows) {
    totalCost += r.costNano;
    totalCalls += r.calls;
    if (r.taskId !== '') {
      const t = taskCost.get(r.taskId) ?? { cost: 0, calls: 0 };
      taskCost.set(r.taskId, { cost: t.cost + r.costNano, calls: t.calls + r.calls });
    }
    if (r.teamId !== '') {
      const t = teamCost.get(r.teamId) ?? { cost: 0, calls: 0 };
      teamCost.set(r.teamId, { cost: t.cost + r.costNano, calls: t.calls + r.calls });
    }
  }

  const taskViews: MissionResultTask[] = tasks.map((t) => {
    const c = taskCost.get(t.id) ?? { cost: 0, calls: 0 };
    const time = times.tasks.get(t.id) ?? { start: null, end: null };
    return {
      id: t.id,
      teamId: t.teamId,
      key: t.key,
      title: t.title,
      state: t.state,
      assignee: t.assignee ? (agentName.get(t.assignee) ?? t.assignee) : null,
      attempts: t.attempts,
      submissionSummary: t.submissionSummary,
      mergedCommit: t.mergedCommit,
      costNanoUsd: c.cost,
      calls: c.calls,
      startedAt: time.start,
      endedAt: time.end,
      durationMs: span(time.start, time.end),
    };
  });

  const teams: MissionResultTeam[] = teamRows.map((team) => {
    const own = taskViews.filter((t) => t.teamId === team.id);
    const c = teamCost.get(team.id) ?? { cost: 0, calls: 0 };
    const logged = times.teams.get(team.id) ?? { start: null, end: null };
    // A team of the first phase is active from the start: no phase row, the mission's start.
    const time = { start: logged.start ?? m.startedAt, end: logged.end };
    const s = summaries.get(team.id);
    return {
      id: team.id,
      name: team.name,
      phaseState: team.phaseState,
      mergedCommit: team.mergedCommit,
      // A team merged before leaders summarised (migration 0012) keeps what its merge recorded.
      summary: s?.summary ?? team.delivery?.summary ?? null,
      summarySource: s?.source ?? (team.delivery ? 'fallback' : null),
      summaryNote: s
        ? s.note
        : team.delivery
          ? 'merged before leaders wrote summaries; this is what its merge recorded'
          : null,
      files: team.delivery?.files ?? [],
      tasksMerged: own.filter((t) => t.state === 'merged').length,
      tasksTotal: own.length,
      costNanoUsd: c.cost,
      untaskedCostNanoUsd: c.cost - own.reduce((n, t) => n + t.costNanoUsd, 0),
      calls: c.calls,
      startedAt: time.start,
      endedAt: time.end,
      durationMs: span(time.start, time.end),
    };
  });
  const teamName = new Map(teamRows.map((t) => [t.id, t.name]));

  const files = new Map<string, MissionResultFile>();
  const stats = await lineCounts(m.repoPath, teamRows);
  for (const team of teams) {
    for (const path of team.files) {
      const f = files.get(path) ?? { path, teams: [], additions: null, deletions: null };
      f.teams.push(team.name);
      const counted = stats.get(team.id)?.get(path);
      if (counted) {
        f.additions = counted.additions === null ? null : (f.additions ?? 0) + counted.additions;
        f.deletions = counted.deletions === null ? null : (f.deletions ?? 0) + counted.deletions;
      }
      files.set(path, f);
    }
  }

  const merged = tasks.filter((t) => t.state === 'merged' && t.mergedCommit);
  const { commits, source } = await agentCommits(m.repoPath, merged);

  const coders: MissionResultCoder[] = agents
    .filter((a) => a.role === 'coder')
    .map((a) => ({
      agentId: a.id,
      name: a.name,
      teamId: a.teamId,
      commits: commits.filter((c) => c.agentId === a.id).length,
      tasksMerged: merged.filter((t) => t.assignee === a.id).length,
      costNanoUsd: 0,
    }));
  const usage = new Map(store.agentUsage(m.id).map((u) => [u.agentId, u.costNano]));
  for (const c of coders) c.costNanoUsd = usage.get(c.agentId) ?? 0;

  const escalations = store.escalations(m.id);
  const finalMerge = escalations.filter((e) => e.type === 'final_merge' && e.state === 'resolved').at(-1);
  const tests = results.finalTestRun(m.id);
  const kind: MissionResultKind | null = m.resultKind;

  return {
    missionId: m.id,
    name: m.name,
    goal: m.goal,
    state: m.state,
    resultKind: kind,
    headline: resultHeadline({ state: m.state, resultKind: kind, baseBranch: m.baseBranch }),
    outcome: m.outcome,
    baseBranch: m.baseBranch,
    missionBranch,
    finalCommit: m.finalCommit,
    // The final merge answered by a pull request names it; one opened after a declined merge is only in its table.
    pullRequestUrl:
      (finalMerge ? pullRequestUrlOf(finalMerge.comment) : null) ?? new PullRequestRepository(store.db).list(m.id)[0]?.url ?? null,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    durationMs: span(m.startedAt, m.endedAt),
    files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)),
    teams,
    tasks: taskViews,
    commits,
    commitsSource: source,
    coders,
    cost: {
      totalNanoUsd: totalCost,
      unattributedNanoUsd: totalCost - teams.reduce((n, t) => n + t.costNanoUsd, 0),
      calls: totalCalls,
    },
    finalTests: tests
      ? {
          command: tests.command,
          exitCode: tests.exitCode,
          passed: tests.exitCode === 0,
          output: tests.output,
          truncated: tests.truncated,
          headCommit: tests.headCommit,
          endedAt: tests.endedAt,
        }
      : null,
    escalations: escalations.map((e) => ({
      id: e.id,
      type: e.type,
      title: e.title,
      level: e.level,
      state: e.state,
      decision: e.decision,
      decidedBy: e.decidedBy,
      comment: e.comment,
      teamId: e.teamId,
      taskId: e.taskId,
      createdAt: e.createdAt,
      decidedAt: e.decidedAt,
    })),
  };

  async function agentCommits(
    repo: string,
    mergedTasks: readonly TaskRecord[],
  ): Promise<{ commits: MissionResultCommit[]; source: 'git' | 'tasks' }> {
    try {
      const lists = await Promise.all(mergedTasks.map((t) => taskCommits(repo, t.mergedCommit ?? '')));
      const out: MissionResultCommit[] = [];
      const seen = new Set<string>();
      mergedTasks.forEach((t, i) => {
        for (const c of lists[i] ?? []) {
          if (seen.has(c.sha)) continue;
          seen.add(c.sha);
          out.push({
            sha: c.sha,
            subject: c.subject,
            author: c.author,
            agentId: t.assignee,
            teamId: t.teamId,
            at: c.at || null,
          });
        }
      });
      return { commits: out.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? '')), source: 'git' };
    } catch {
      // The repository or its commits are gone: each merged task's merge commit stands in.
      return {
        commits: mergedTasks.map((t) => ({
          sha: t.mergedCommit ?? '',
          subject: t.title,
          author: (t.assignee ? agentName.get(t.assignee) : null) ?? teamName.get(t.teamId) ?? 'unknown',
          agentId: t.assignee,
          teamId: t.teamId,
          at: t.updatedAt,
        })),
        source: 'tasks',
      };
    }
  }
}
