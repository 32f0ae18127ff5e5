import { existsSync } from 'node:fs';
import type { ChangeReviewRequest } from '../../shared/contract/reviews.js';
import { AppError } from '../../shared/result.js';
import type { ChangeReview, ChangeScope, CommitInfo, TestRunView } from '../../shared/review.js';
import { quote } from '../../shared/quote.js';
import type {
  AgentRecord,
  EscalationRecord,
  MissionRecord,
  TaskRecord,
  TeamRecord,
} from '../ledger/mission-tables.js';
import { ReviewQueries } from '../ledger/review-queries.js';
import { TestRunsRepository } from '../ledger/test-runs.js';
import {
  commitsBetween,
  diffRange,
  diffWorkInProgress,
  mergeBaseOf,
  resolveCommit,
  type ChangeDiff,
} from '../workspace/change-diff.js';
import type { Plan } from '../workspace/workspace-plan.js';
import type Database from 'better-sqlite3';

/** What a change review reads of a mission from the ledger. */
export interface ReviewedMission {
  mission: MissionRecord;
  teams: readonly TeamRecord[];
  agents: readonly AgentRecord[];
  tasks: readonly TaskRecord[];
  /** The escalation the review is for, when it is asked for by one. */
  escalation?: EscalationRecord | undefined;
}

/** Where a scope's change starts and ends, and which tasks, tests and calls belong to it. */
interface Target {
  scope: ChangeScope;
  title: string;
  teamId: string | null;
  task: TaskRecord | null;
  baseRef: string;
  headRef: string;
  tasks: readonly TaskRecord[];
}

/**
 * Which change a request is about. An escalation answers for itself: a final merge (or a
 * conflict of it) is the mission branch into the base, a team's merge conflict is the team
 * branch into the mission branch, and any other escalation about a task is that task's
 * work. Throws `invalid_request` for an escalation that approves no code.
 */
export function changeTarget(request: ChangeReviewRequest, m: ReviewedMission, layout: Plan): Target {
  const { mission } = m;
  const esc = m.escalation;
  let teamId: string | null = null;
  let taskId: string | null = null;
  if (esc) {
    if (esc.type === 'final_merge' || (esc.type === 'merge_conflict' && esc.teamId === null)) {
      teamId = null;
    } else if (esc.type === 'merge_conflict') {
      teamId = esc.teamId;
    } else if (esc.taskId) {
      taskId = esc.taskId;
    } else {
      throw new AppError(
        'invalid_request',
        `escalation ${quote(esc.title)} does not approve a change to code`,
      );
    }
  } else if ('missionId' in request) {
    teamId = request.teamId ?? null;
    taskId = request.taskId ?? null;
  }

  if (taskId !== null) {
    const task = m.tasks.find((t) => t.id === taskId);
    if (!task) throw new AppError('not_found', `no task ${quote(taskId)} in mission ${quote(mission.name)}`);
    if (teamId !== null && task.teamId !== teamId) {
      throw new AppError(
        'invalid_request',
        `task ${quote(task.title)} is not a task of team ${quote(teamId)}`,
      );
    }
    const team = layout.teams.find((t) => t.id === task.teamId);
    const coder = task.assignee ? layout.coders.get(task.assignee) : undefined;
    return {
      scope: 'task',
      title: `Task "${task.title}"`,
      teamId: task.teamId,
      task,
      baseRef: task.mergedCommit ? `${task.mergedCommit}^1` : (team?.branch ?? layout.missionBranch),
      headRef: task.mergedCommit ?? coder?.branch ?? team?.branch ?? layout.missionBranch,
      tasks: [task],
    };
  }
  if (teamId !== null) {
    const team = layout.teams.find((t) => t.id === teamId);
    const record = m.teams.find((t) => t.id === teamId);
    if (!team || !record)
      throw new AppError('not_found', `no team ${quote(teamId)} in mission ${quote(mission.name)}`);
    return {
      scope: 'team-merge',
      title: `Team ${record.name} into the mission branch`,
      teamId,
      task: null,
      // Once merged (its branch may be gone since), its merge into the mission branch is its change.
      baseRef: record.mergedCommit ? `${record.mergedCommit}^1` : layout.missionBranch,
      headRef: record.mergedCommit ?? team.branch,
      tasks: m.tasks.filter((t) => t.teamId === teamId),
    };
  }
  return {
    scope: 'final-merge',
    title: `Mission "${mission.name}" into ${mission.baseBranch}`,
    teamId: null,
    task: null,
    baseRef: mission.finalCommit ? `${mission.finalCommit}^1` : layout.baseBranch,
    headRef: mission.finalCommit ?? layout.missionBranch,
    tasks: m.tasks,
  };
}

/**
 * Builds the review of a change: the files and per-file diffs from git, the tests that ran
 * on it, the leaders' verdicts on its tasks and what its model calls cost, from the ledger.
 * Reads only: nothing in the repository or the ledger changes.
 */
export async function buildChangeReview(
  db: Database.Database,
  request: ChangeReviewRequest,
  m: ReviewedMission,
  layout: Plan,
): Promise<ChangeReview> {
  const target = changeTarget(request, m, layout);
  const repo = layout.repo;
  const { base, head, diff, commits } = await changeOf(target, layout);

  const runs = new TestRunsRepository(db);
  const queries = new ReviewQueries(db);
  const missionId = m.mission.id;
  let tests: TestRunView[];
  if (target.scope === 'task' && target.task) tests = runs.forTask(missionId, target.task.id);
  else if (target.scope === 'team-merge' && target.teamId) tests = runs.forTeam(missionId, target.teamId);
  else tests = runs.list(missionId);
  // Newest first, the mission branch's own runs before the reviews' (they test everything together).
  tests = [...tests].sort((a, b) => Number(b.stage === 'final') - Number(a.stage === 'final') || b.id - a.id);

  const titles = new Map(target.tasks.map((t) => [t.id, t.title]));
  const names = new Map(m.agents.map((a) => [a.id, a.name]));
  const cost =
    target.scope === 'final-merge'
      ? queries.cost({ missionId })
      : target.scope === 'team-merge'
        ? queries.cost({ missionId, teamId: target.teamId })
        : queries.cost({ missionId, taskIds: target.tasks.map((t) => t.id) });

  return {
    missionId,
    scope: target.scope,
    title: target.title,
    teamId: target.teamId,
    taskId: target.task?.id ?? null,
    baseRef: target.baseRef,
    headRef: target.headRef,
    base,
    head,
    files: diff.files,
    additions: diff.additions,
    deletions: diff.deletions,
    truncated: diff.truncated,
    commits,
    tests,
    verdicts: queries.verdicts(missionId, titles, names),
    costNanoUsd: cost.costNanoUsd,
    calls: cost.calls,
  };

  async function changeOf(
    t: Target,
    plan: Plan,
  ): Promise<{ base: string; head: string; diff: ChangeDiff; commits: CommitInfo[] }> {
    const headCommit = await resolveCommit(repo, t.headRef);
    const startCommit = await resolveCommit(repo, t.baseRef);
    if (!headCommit || !startCommit) {
      throw new AppError(
        'not_found',
        `the branches of ${t.title.toLowerCase()} are gone from ${repo} (${t.baseRef}, ${t.headRef})`,
      );
    }
    // A merged task or mission: its merge commit's first parent is where it started.
    const merged =
      t.scope === 'task'
        ? Boolean(t.task?.mergedCommit)
        : t.scope === 'final-merge'
          ? Boolean(m.mission.finalCommit)
          : Boolean(m.teams.find((team) => team.id === t.teamId)?.mergedCommit);
    const base = merged ? startCommit : ((await mergeBaseOf(repo, startCommit, headCommit)) ?? startCommit);
    const commits = await commitsBetween(repo, base, merged ? `${headCommit}^2` : headCommit).catch(() => []);
    // A task still in the coder's hands: its worktree holds work not committed yet.
    const coder =
      t.scope === 'task' && !merged && t.task?.assignee ? plan.coders.get(t.task.assignee) : undefined;
    const diff =
      coder && existsSync(coder.worktree)
        ? await diffWorkInProgress(coder.worktree, base, { exclude: plan.copyFiles })
        : await diffRange(repo, base, headCommit);
    return { base, head: headCommit, diff, commits };
  }
}
