import { afterEach, describe, expect, it } from 'vitest';
import type { MissionSummary } from '../../shared/mission.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, saveDesign, waitFor, type Harness } from './testing/harness.js';

/**
 * The plan the person approves is the plan that runs, and progress counts that plan only.
 * Coders named as the designer names them ("Coder 1") used to make the simulated leader's
 * create_task calls fail and its retries drop their dependencies, so a plan summarised as
 * "feature-2 (after feature-1)" ran both at once. After "Ask for changes" the summary's
 * counts were the old and the new plan together, or lost an earlier phase's merged work.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const sim = (seed: number) => new SimulatedProvider({ seed, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });
const named = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Coder ${i + 1}` }));

function launch(harness: Harness, teams: Parameters<typeof saveDesign>[1]): string {
  const design = saveDesign(harness.ledger, teams);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: false,
    allowedCommands: [],
    copyFiles: [],
    director: false,
  }).id;
}

const summaryOf = (harness: Harness, missionId: string): MissionSummary => {
  const found = harness.engine.list().find((m) => m.id === missionId);
  if (!found) throw new Error('mission not listed');
  return found;
};
const total = (s: Pick<MissionSummary, 'taskCounts'>): number => Object.values(s.taskCounts).reduce((n, c) => n + (c ?? 0), 0);

describe("a plan's dependencies", () => {
  it('are the ones the approved summary names, and a dependent task starts only once its dependency is merged', async () => {
    h = createHarness(sim(1));
    const missionId = launch(h, [{ id: 'core', coders: 3, coderExtras: named(3) }]);
    await h.engine.start(missionId);
    await waitFor(() => h?.engine.get(missionId).mission.state === 'awaiting_plan_approval', 30_000, 'the plan');

    const detail = h.engine.get(missionId);
    const summary = detail.teams[0]?.planSummary ?? '';
    const tasks = detail.tasks;
    expect(tasks.some((t) => t.dependsOn.length > 0)).toBe(true);
    for (const t of tasks) {
      const line = summary.split('\n').find((l) => l.startsWith(`- ${t.key}:`));
      expect(line, `the summary's line for ${t.key}`).toBeDefined();
      const claimed = /\(after ([^)]*)\)$/.exec(line ?? '')?.[1]?.split(', ') ?? [];
      expect(t.dependsOn).toEqual(claimed);
      // The assignee the summary names is a coder of the team.
      const who = / -> (.+?)(?: \(after|$)/.exec(line ?? '')?.[1];
      if (who) expect(['Coder 1', 'Coder 2', 'Coder 3']).toContain(who);
    }

    await driveToEnd(h, missionId);
    expect(h.engine.get(missionId).mission.state).toBe('done');
    // In the ledger's order, each dependent task was claimed after its dependencies were merged.
    const rows = h.ledger.db
      .prepare("SELECT id, subject_id AS task, to_state AS state FROM mission_log WHERE mission_id = ? AND kind = 'task' ORDER BY id")
      .all(missionId) as { id: number; task: string; state: string }[];
    const first = (taskId: string, state: string): number => rows.find((r) => r.task === taskId && r.state === state)?.id ?? Number.NaN;
    for (const t of tasks) {
      for (const key of t.dependsOn) {
        const dep = tasks.find((d) => d.key === key);
        expect(first(t.id, 'claimed')).toBeGreaterThan(first(dep?.id ?? '', 'merged'));
      }
    }
  });
});

describe('progress after "Ask for changes"', () => {
  it('counts only the current plan, and keeps a merged earlier phase in the count when a later phase is re-planned', async () => {
    h = createHarness(sim(2));
    const missionId = launch(h, [
      { id: 'a', coders: 2, brief: { focus: 'Storage', owns: ['src/storage'] } },
      { id: 'c', coders: 2, brief: { focus: 'Interface', owns: ['src/cli'] }, after: ['a'] },
    ]);
    await h.engine.start(missionId);
    const approval = () => h?.engine.escalations(missionId, true).find((e) => e.type === 'plan_approval');

    // Phase 1 (team a): sent back once, then approved. Only the new round counts.
    const first = await waitFor(approval, 30_000, "a's plan");
    const firstCount = total(summaryOf(h, missionId));
    await h.engine.decide({ id: first.id, decision: 'reply', comment: 'Again, please.', alwaysAllow: false });
    expect(summaryOf(h, missionId)).toMatchObject({ planRound: 1, taskCounts: {} });
    const second = await waitFor(() => (approval()?.id !== first.id ? approval() : undefined), 30_000, "a's new plan");
    const a = h.engine.get(missionId).tasks.filter((t) => t.teamId === 'a');
    expect(a.filter((t) => t.planRound === 0).every((t) => t.state === 'cancelled')).toBe(true);
    const aNew = a.filter((t) => t.planRound === 1).length;
    expect(total(summaryOf(h, missionId))).toBe(aNew);
    expect(h.engine.get(missionId).mission.taskCounts.cancelled).toBeUndefined();
    expect(firstCount).toBeGreaterThan(0);
    await h.engine.decide({ id: second.id, decision: 'approve', comment: '', alwaysAllow: false });

    // Phase 2 (team c) plans once a is merged; its plan is sent back too.
    const third = await waitFor(() => (approval() && approval()?.id !== second.id ? approval() : undefined), 60_000, "c's plan");
    await h.engine.decide({ id: third.id, decision: 'reply', comment: 'Smaller.', alwaysAllow: false });
    // a's merged plan still counts: progress never falls back to "0 of c's new plan".
    const during = summaryOf(h, missionId);
    expect(during.planRound).toBe(2);
    expect(during.taskCounts).toEqual({ merged: aNew });

    await driveToEnd(h, missionId);
    const detail = h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    const cCurrent = detail.tasks.filter((t) => t.teamId === 'c' && t.planRound === 2).length;
    // The same figures whether the mission is loaded (its runtime) or read from the ledger after a restart.
    expect(detail.mission.taskCounts).toEqual({ merged: aNew + cCurrent });
    h.reopen(sim(2));
    expect(summaryOf(h, missionId).taskCounts).toEqual({ merged: aNew + cCurrent });
  });
});
