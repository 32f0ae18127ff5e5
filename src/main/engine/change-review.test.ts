import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationView } from '../../shared/mission.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { changeTarget } from './change-review.js';
import { createHarness, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const quiet = () =>
  new SimulatedProvider({ seed: 11, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

/** `git diff --numstat` of a range, as the review's files should read it. */
function numstat(
  repo: string,
  from: string,
  to: string,
): { path: string; additions: number; deletions: number }[] {
  return git(repo, 'diff', '--numstat', '--no-renames', from, to)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [a = '0', d = '0', path = ''] = line.split('\t');
      return { path, additions: Number(a), deletions: Number(d) };
    })
    .sort((x, y) => x.path.localeCompare(y.path));
}

/** Starts a two-coder mission that may run `node --test`, answers everything but the final merge, and answers that. */
async function toFinalMerge(): Promise<{ missionId: string; finalMerge: EscalationView }> {
  h = createHarness(quiet());
  const design = saveDesign(h.ledger, [{ id: 'core', coders: 2 }]);
  const m = h.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI with add and list commands',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['node --test'],
    copyFiles: [],
  });
  await h.engine.start(m.id);
  const start = Date.now();
  for (;;) {
    const open = h.engine.escalations(m.id, true).filter((x) => x.level === 'human');
    const finalMerge = open.find((e) => e.type === 'final_merge');
    if (finalMerge) return { missionId: m.id, finalMerge };
    for (const e of open)
      await h.engine.decide({ id: e.id, decision: 'approve', comment: '', alwaysAllow: false });
    const state = h.engine.get(m.id).mission.state;
    if (state === 'failed' || state === 'cancelled' || Date.now() - start > 60_000) {
      throw new Error(
        `no final merge: the mission is ${state} (${h.errors.map((e) => String(e.error)).join('; ')})`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('change review', () => {
  it("shows a final merge's files, diff, tests, verdicts and cost before it is approved, and the same after", async () => {
    const { missionId, finalMerge } = await toFinalMerge();
    const harness = h!;
    const missionBranch = String(finalMerge.payload['missionBranch']);
    const review = await harness.engine.changeReview({ escalationId: finalMerge.id });

    // Files and counts are git's own, for a change of several files.
    const expected = numstat(harness.repo, 'main', missionBranch);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(review.scope).toBe('final-merge');
    expect(review.files.map(({ path, additions, deletions }) => ({ path, additions, deletions }))).toEqual(
      expected,
    );
    expect(review.additions).toBe(expected.reduce((n, f) => n + f.additions, 0));
    expect(review.head).toBe(git(harness.repo, 'rev-parse', missionBranch));
    expect(review.base).toBe(git(harness.repo, 'rev-parse', 'main'));
    // Each file carries its own patch, whose added lines are its count.
    for (const f of review.files) {
      expect(f.patch.startsWith(`diff --git a/${f.path} b/${f.path}\n`)).toBe(true);
      expect(f.patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length).toBe(
        f.additions,
      );
      expect(f.truncated).toBe(false);
    }
    const onBranch = git(harness.repo, 'show', `${missionBranch}:${review.files[0]!.path}`).split('\n')[0]!;
    expect(review.files[0]!.patch).toContain(`+${onBranch}`);
    expect(review.commits.length).toBeGreaterThanOrEqual(2);

    // The tests that ran: each leader's review, and the mission branch before the final merge.
    const tasks = harness.engine.tasks(missionId);
    const final = review.tests.filter((t) => t.stage === 'final');
    expect(final).toHaveLength(1);
    expect(final[0]).toMatchObject({ command: 'node --test', teamId: null, headCommit: review.head });
    expect(final[0]!.output).toMatch(/# pass \d+/);
    expect(final[0]!.exitCode).toBe(0);
    const reviewed = review.tests.filter((t) => t.stage === 'review');
    expect(new Set(reviewed.map((t) => t.taskId))).toEqual(new Set(tasks.map((t) => t.id)));
    expect(reviewed.every((t) => t.agentId === 'core-lead' && t.teamId === 'core')).toBe(true);

    // The leader approved every task once (no rejections in this run).
    expect(review.verdicts).toHaveLength(tasks.length);
    expect(
      review.verdicts.every((v) => v.verdict === 'approve' && v.attempt === 1 && v.reviewer === 'core-lead'),
    ).toBe(true);
    expect(new Set(review.verdicts.map((v) => v.taskTitle))).toEqual(new Set(tasks.map((t) => t.title)));

    // The cost is the mission's calls in the ledger.
    const rows = harness.ledger.db
      .prepare('SELECT cost_total_nano AS c FROM calls WHERE mission_id = ?')
      .all(missionId) as { c: number }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(review.calls).toBe(rows.length);
    expect(review.costNanoUsd).toBe(rows.reduce((n, r) => n + r.c, 0));
    expect(review.costNanoUsd).toBeGreaterThan(0);

    // Approving merges it; the review of the merged mission shows the same change.
    await harness.engine.decide({ id: finalMerge.id, decision: 'approve', comment: '', alwaysAllow: false });
    await waitFor(() => harness.engine.get(missionId).mission.state === 'done', 15_000, 'the merge');
    const after = await harness.engine.changeReview({ missionId });
    expect(after.files.map((f) => f.path)).toEqual(expected.map((f) => f.path));
    expect(after.head).toBe(git(harness.repo, 'rev-parse', 'main'));
    expect(harness.errors).toEqual([]);
  });

  it("shows one task's merged change and its team's, and refuses what it cannot review", async () => {
    const { missionId } = await toFinalMerge();
    const harness = h!;
    const task = harness.engine.tasks(missionId).find((t) => t.mergedCommit !== null)!;
    const one = await harness.engine.changeReview({ missionId, taskId: task.id });
    expect(one.scope).toBe('task');
    expect(one.files.map(({ path, additions, deletions }) => ({ path, additions, deletions }))).toEqual(
      numstat(harness.repo, `${task.mergedCommit}^1`, task.mergedCommit!),
    );
    expect(one.files.length).toBeGreaterThan(0);
    expect(one.tests.every((t) => t.taskId === task.id)).toBe(true);
    expect(one.verdicts.map((v) => v.taskId)).toEqual([task.id]);
    const taskCost = harness.ledger.db
      .prepare(
        'SELECT coalesce(sum(cost_total_nano), 0) AS c FROM calls WHERE mission_id = ? AND task_id = ?',
      )
      .get(missionId, task.id) as { c: number };
    expect(one.costNanoUsd).toBe(taskCost.c);

    const team = await harness.engine.changeReview({ missionId, teamId: 'core' });
    expect(team.scope).toBe('team-merge');
    expect(team.verdicts.length).toBe(harness.engine.tasks(missionId).length);

    await expect(harness.engine.changeReview({ escalationId: 'nope' })).rejects.toThrow(
      /no escalation "nope"/,
    );
    await expect(harness.engine.changeReview({ missionId, teamId: 'ghosts' })).rejects.toThrow(
      /no team "ghosts"/,
    );
    await expect(harness.engine.changeReview({ missionId, taskId: 'missing' })).rejects.toThrow(
      /no task "missing"/,
    );
  });
});

describe('which change an escalation approves', () => {
  const layout = {
    repo: '/repo',
    baseBranch: 'main',
    missionBranch: 'cr/todo/@mission',
    teams: [{ id: 'core', branch: 'cr/todo/core/@team', worktree: '/wt/core', coders: [] }],
    coders: new Map([
      ['core-c1', { id: 'core-c1', teamId: 'core', branch: 'cr/todo/core/cora', worktree: '/wt/cora' }],
    ]),
    copyFiles: [],
  } as unknown as Parameters<typeof changeTarget>[2];
  const task = { id: 't1', teamId: 'core', title: 'Parser', assignee: 'core-c1', mergedCommit: null };
  const mission = (escalation: Record<string, unknown>) =>
    ({
      mission: { id: 'm1', name: 'Todo', baseBranch: 'main', finalCommit: null },
      teams: [{ id: 'core', name: 'Core', mergedCommit: null }],
      agents: [],
      tasks: [task],
      escalation: { teamId: null, taskId: null, title: 'An item', ...escalation },
    }) as unknown as Parameters<typeof changeTarget>[1];
  const target = (escalation: Record<string, unknown>) =>
    changeTarget({ escalationId: 'e1' }, mission(escalation), layout);

  it('a final merge, or a conflict of it: the mission branch into the base', () => {
    expect(target({ type: 'final_merge' })).toMatchObject({
      scope: 'final-merge',
      baseRef: 'main',
      headRef: 'cr/todo/@mission',
    });
    expect(target({ type: 'merge_conflict', teamId: null })).toMatchObject({ scope: 'final-merge' });
  });

  it("a team's merge conflict: the team branch into the mission branch", () => {
    expect(target({ type: 'merge_conflict', teamId: 'core' })).toMatchObject({
      scope: 'team-merge',
      baseRef: 'cr/todo/@mission',
      headRef: 'cr/todo/core/@team',
      teamId: 'core',
    });
  });

  it("an item about a task: the coder's work on it; an item about no code is refused", () => {
    expect(target({ type: 'dead_letter', teamId: 'core', taskId: 't1' })).toMatchObject({
      scope: 'task',
      baseRef: 'cr/todo/core/@team',
      headRef: 'cr/todo/core/cora',
    });
    expect(() => target({ type: 'plan_approval', title: 'Approve the plan' })).toThrow(
      /"Approve the plan" does not approve a change to code/,
    );
  });
});
