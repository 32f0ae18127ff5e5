import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from './calls-repository.js';
import { roleCosts } from './role-costs.js';
import { missionsFixture, type MissionsFixture } from './testing/missions-fixture.js';

let f: MissionsFixture | undefined;
afterEach(() => {
  f?.cleanup();
  f = undefined;
});

const OPUS = 'claude-opus-4-8';
const SONNET = 'claude-sonnet-4-6';
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

const call = (missionId: string, agentId: string, i: number, usage: CallRecord['usage']): CallRecord => ({
  requestId: `${missionId}-${agentId}-${i}`,
  missionId,
  teamId: 'core',
  agentId,
  modelRequested: agentId === 'c1' ? SONNET : OPUS,
  startedAt: T0 + i * 1_000,
  endedAt: T0 + i * 1_000 + 500,
  status: 'ok',
  usage,
});

describe('roleCosts', () => {
  it('sums spend and tokens per role and model, per merged task, with first-review approval and rework', () => {
    f = missionsFixture();
    f.mission('m1', '2026-01-15T10:00:00.000Z', [
      { id: 'lead', teamId: 'core', role: 'leader', model: OPUS },
      { id: 'c1', teamId: 'core', role: 'coder', model: SONNET },
      { id: 'c2', teamId: 'core', role: 'coder', model: OPUS },
    ]);
    const records = [
      call('m1', 'lead', 0, { inputTokens: 3_000, outputTokens: 400 }),
      call('m1', 'lead', 1, { inputTokens: 1_000, cacheReadTokens: 9_000, outputTokens: 200 }),
      call('m1', 'c1', 2, { inputTokens: 2_000, cacheCreation5mTokens: 700, outputTokens: 100 }),
      call('m1', 'c2', 3, { inputTokens: 5_000, cacheCreation1hTokens: 300, outputTokens: 900 }),
    ];
    f.calls.insertMany(records);
    const spend = (agentId: string) =>
      records.filter((r) => r.agentId === agentId).reduce((n, r) => n + f!.calls.price(r).totalNano, 0);

    // t1: c1's work approved at its first review and merged.
    f.log('m1', 't1', 'ready', 'claimed', { agentId: 'c1' });
    f.log('m1', 't1', 'in_progress', 'submitted');
    f.log('m1', 't1', 'submitted', 'reviewed', { by: 'lead' });
    f.log('m1', 't1', 'reviewed', 'merged');
    // t2: c1's submission rejected, then c2 took it over and it was approved and merged.
    f.log('m1', 't2', 'ready', 'claimed', { agentId: 'c1' });
    f.log('m1', 't2', 'in_progress', 'submitted');
    f.log('m1', 't2', 'submitted', 'ready', { feedback: 'no tests' });
    f.log('m1', 't2', 'ready', 'claimed', { agentId: 'c2' });
    f.log('m1', 't2', 'in_progress', 'submitted');
    f.log('m1', 't2', 'submitted', 'reviewed', { by: 'lead' });
    f.log('m1', 't2', 'reviewed', 'merged');
    // t3: c2 rejected twice, the second time to the dead letters.
    f.log('m1', 't3', 'ready', 'claimed', { agentId: 'c2' });
    f.log('m1', 't3', 'in_progress', 'submitted');
    f.log('m1', 't3', 'submitted', 'ready', { feedback: 'wrong file' });
    f.log('m1', 't3', 'ready', 'claimed', { agentId: 'c2' });
    f.log('m1', 't3', 'in_progress', 'submitted');
    f.log('m1', 't3', 'submitted', 'dead_letter', { feedback: 'still wrong' });
    // t4: c2 submitted, then was killed: the task went back without a review.
    f.log('m1', 't4', 'ready', 'claimed', { agentId: 'c2' });
    f.log('m1', 't4', 'in_progress', 'submitted');
    f.log('m1', 't4', 'submitted', 'ready', { reason: 'coder killed' });

    const rows = roleCosts(f.ledger.db);
    const of = (role: string, model: string) => rows.find((r) => r.role === role && r.model === model);
    expect(of('coder', SONNET)).toEqual({
      role: 'coder',
      model: SONNET,
      agents: 1,
      calls: 1,
      inputTokens: 2_000,
      cacheReadTokens: 0,
      cacheWriteTokens: 700,
      outputTokens: 100,
      spendNano: spend('c1'),
      // t1 only: t2 was merged from c2's claim.
      mergedTasks: 1,
      costPerMergedTaskNano: spend('c1'),
      // First verdicts: t1 approved, t2 rejected.
      reviewedTasks: 2,
      firstReviewApproved: 1,
      firstReviewApprovalRate: 0.5,
      // Submitted t1 and t2, one of the two sent back.
      submissions: 2,
      rejections: 1,
      reworkRate: 0.5,
    });
    expect(of('coder', OPUS)).toMatchObject({
      agents: 1,
      cacheWriteTokens: 300,
      mergedTasks: 1,
      costPerMergedTaskNano: spend('c2'),
      // t2's first verdict was c1's; t3's first verdict was a rejection of c2's work; t4 had none.
      reviewedTasks: 1,
      firstReviewApproved: 0,
      firstReviewApprovalRate: 0,
      // t2 once, t3 twice, t4 once; t3's two were sent back.
      submissions: 4,
      rejections: 2,
      reworkRate: 0.5,
    });
    // The leader claims nothing: its merged tasks are its team's (t1 and t2).
    expect(of('leader', OPUS)).toMatchObject({
      calls: 2,
      inputTokens: 4_000,
      cacheReadTokens: 9_000,
      outputTokens: 600,
      spendNano: spend('lead'),
      mergedTasks: 2,
      costPerMergedTaskNano: Math.round(spend('lead') / 2),
      reviewedTasks: 0,
      firstReviewApprovalRate: null,
      reworkRate: null,
    });
    expect(rows.map((r) => r.spendNano)).toEqual([...rows.map((r) => r.spendNano)].sort((a, b) => b - a));
  });

  it('scopes to one mission when asked, and is empty for a ledger without missions', () => {
    f = missionsFixture();
    expect(roleCosts(f.ledger.db)).toEqual([]);
    f.mission('m1', '2026-01-15T10:00:00.000Z', [{ id: 'c1', teamId: 'core', role: 'coder', model: SONNET }]);
    f.mission('m2', '2026-01-16T10:00:00.000Z', [{ id: 'c1', teamId: 'core', role: 'coder', model: SONNET }]);
    f.calls.insertMany([call('m1', 'c1', 0, { inputTokens: 10 }), call('m2', 'c1', 1, { inputTokens: 20 }), call('m2', 'c1', 2, { inputTokens: 40 })]);
    expect(roleCosts(f.ledger.db).map((r) => [r.agents, r.calls, r.inputTokens])).toEqual([[2, 3, 70]]);
    expect(roleCosts(f.ledger.db, { missionId: 'm2' }).map((r) => [r.agents, r.calls, r.inputTokens])).toEqual([[1, 2, 60]]);
  });
});
