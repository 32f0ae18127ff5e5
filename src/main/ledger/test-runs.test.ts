import { afterEach, describe, expect, it } from 'vitest';
import { TEST_OUTPUT_MAX } from '../../shared/review.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, saveDesign, type Harness } from '../engine/testing/harness.js';
import { TestRunsRepository } from './test-runs.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

function mission(): { runs: TestRunsRepository; missionId: string } {
  h = createHarness(new SimulatedProvider({ seed: 1, latencyScale: 0 }));
  const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
  const { id } = h.engine.create({
    designId: design.id,
    goal: 'Anything',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  return { runs: new TestRunsRepository(h.ledger.db), missionId: id };
}

const run = (missionId: string, extra: Partial<Parameters<TestRunsRepository['record']>[0]> = {}) => ({
  missionId,
  teamId: 'core',
  taskId: 't1',
  agentId: 'core-lead',
  stage: 'review' as const,
  command: 'npm test',
  exitCode: 0,
  output: '# pass 3\n',
  cwd: '/tmp/wt',
  headCommit: 'a'.repeat(40),
  startedAt: '2026-12-07T10:00:00.000Z',
  endedAt: '2026-12-07T10:00:02.000Z',
  ...extra,
});

describe('TestRunsRepository', () => {
  it('keeps every run by mission, task and team, and the last final one', () => {
    const { runs, missionId } = mission();
    const first = runs.record(run(missionId));
    runs.record(run(missionId, { taskId: 't2', exitCode: 1, output: 'not ok 1\n' }));
    const final = runs.record(
      run(missionId, { stage: 'final', teamId: null, taskId: null, agentId: null, exitCode: null }),
    );
    expect(first).toMatchObject({ id: expect.any(Number), truncated: false, output: '# pass 3\n' });
    expect(runs.list(missionId).map((r) => [r.taskId, r.exitCode])).toEqual([
      ['t1', 0],
      ['t2', 1],
      [null, null],
    ]);
    expect(runs.forTask(missionId, 't2').map((r) => r.output)).toEqual(['not ok 1\n']);
    expect(runs.forTeam(missionId, 'core')).toHaveLength(2);
    expect(runs.lastFinal(missionId)).toEqual(final);
    expect(runs.list('other')).toEqual([]);
  });

  it('keeps the end of a long output, cut to the cap', () => {
    const { runs, missionId } = mission();
    const long = `${'x'.repeat(TEST_OUTPUT_MAX)}\nnot ok 7 - the failure at the end\n`;
    const row = runs.record(run(missionId, { output: long }));
    expect(row.truncated).toBe(true);
    expect(row.output.length).toBeLessThan(TEST_OUTPUT_MAX + 100);
    expect(row.output).toMatch(/^\[\d+ characters cut\]\n/);
    expect(runs.list(missionId)[0]!.output).toContain('not ok 7 - the failure at the end');
  });
});
