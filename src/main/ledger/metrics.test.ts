import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallsRepository, type CallRecord } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { LedgerMetrics } from './metrics.js';
import { defaultPricer } from './pricing.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const S = 1_000;
const M = 60_000;

let ledger: Ledger;
let metrics: LedgerMetrics;
let repo: CallsRepository;

function call(requestId: string, at: [number, number], r: Partial<CallRecord>): CallRecord {
  return { requestId, modelRequested: 'claude-opus-4-5', status: 'ok', startedAt: T0 + at[0], endedAt: T0 + at[1], ...r };
}

beforeEach(() => {
  ledger = openLedger(':memory:');
  repo = new CallsRepository(ledger.db, defaultPricer());
  metrics = new LedgerMetrics(ledger.db);
  const m1t1 = { missionId: 'm1', teamId: 't1' };
  repo.insertMany([
    // minute 0: 4,500,000 + 10,000
    call('c1', [0, 1 * S], { ...m1t1, agentId: 'a1', modelRequested: 'claude-sonnet-4-5', usage: { inputTokens: 1_000, outputTokens: 100 } }),
    call('c6', [0, 5 * S], { modelRequested: 'claude-haiku-4-5', status: 'cancelled', usage: { inputTokens: 10 } }),
    // minute 1: 2,000,000 + 0
    call('c2', [30 * S, 70 * S], { ...m1t1, agentId: 'a2', modelRequested: 'claude-haiku-4-5', usage: { inputTokens: 2_000 } }),
    call('c3', [80 * S, 90 * S], { missionId: 'm1', teamId: 't2', agentId: 'a3', status: 'error', httpStatus: 500 }),
    // minute 2: 25,500,000 + 5,250,000
    call('c4', [145 * S, 150 * S], { missionId: 'm2', teamId: 't3', agentId: 'a4', usage: { inputTokens: 100, outputTokens: 1_000 } }),
    call('c5', [150 * S, 170 * S], { missionId: 'm2', teamId: 't3', agentId: 'a4', status: 'partial', usage: { inputTokens: 1_000, outputTokens: 10 } }),
  ]);
});

afterEach(() => ledger.close());

describe('LedgerMetrics', () => {
  it('totals everything, and by mission and time range', () => {
    expect(metrics.totals()).toMatchObject({
      calls: 6,
      okCalls: 3,
      errorCalls: 1,
      cancelledCalls: 1,
      partialCalls: 1,
      inputTokens: 4_110,
      outputTokens: 1_110,
      costTotalNano: 37_260_000,
    });
    expect(metrics.totals({ missionId: 'm2' }).costTotalNano).toBe(30_750_000);
    expect(metrics.totals({ from: T0 + M, to: T0 + 2 * M }).calls).toBe(2);
    // Ranges snap outward to whole minutes.
    expect(metrics.totals({ from: T0 + M + 59 * S, to: T0 + 2 * M + 1 }).calls).toBe(4);
    expect(metrics.totals({ missionId: 'nope' })).toMatchObject({ calls: 0, costTotalNano: 0 });
  });

  it('breaks down by mission, team, agent and model, dearest first', () => {
    expect(metrics.breakdown('mission').map((r) => [r.key, r.costTotalNano, r.calls])).toEqual([
      ['m2', 30_750_000, 2],
      ['m1', 6_500_000, 3],
      [null, 10_000, 1],
    ]);
    expect(metrics.breakdown('team', { missionId: 'm1' }).map((r) => [r.key, r.costTotalNano])).toEqual([
      ['m1/t1', 6_500_000],
      ['m1/t2', 0],
    ]);
    expect(metrics.breakdown('model').map((r) => [r.key, r.costTotalNano])).toEqual([
      ['claude-opus-4-5', 30_750_000],
      ['claude-sonnet-4-5', 4_500_000],
      ['claude-haiku-4-5', 2_010_000],
    ]);
    expect(metrics.breakdown('agent', { from: T0 + M, to: T0 + 2 * M }).map((r) => [r.key, r.costTotalNano])).toEqual([
      ['m1/a2', 2_000_000],
      ['m1/a3', 0],
    ]);
  });

  it("keeps two missions' teams and agents apart when their design gave them the same ids", () => {
    // m3 was made from m1's design: its team t1 and agent a1 are not m1's.
    repo.insertMany([call('c7', [0, 2 * S], { missionId: 'm3', teamId: 't1', agentId: 'a1', usage: { inputTokens: 100 } })]);
    const teams = metrics.breakdown('team').map((r) => r.key);
    expect(teams.filter((k) => k?.endsWith('/t1'))).toEqual(expect.arrayContaining(['m1/t1', 'm3/t1']));
    expect(new Set(teams).size).toBe(teams.length);
    expect(metrics.breakdown('agent').map((r) => r.key)).toEqual(expect.arrayContaining(['m1/a1', 'm3/a1']));
    const minute0 = metrics.teamSeries({ from: T0, to: T0 + M }).map((r) => r.teamKey);
    expect(minute0).toEqual([null, 'm1/t1', 'm3/t1']);
  });

  it('gives a dense per-minute series', () => {
    const series = metrics.timeSeries({ from: T0, to: T0 + 4 * M });
    expect(series.map((p) => [p.minute - T0, p.calls, p.errorCalls, p.costNano])).toEqual([
      [0, 2, 0, 4_510_000],
      [M, 2, 1, 2_000_000],
      [2 * M, 2, 1, 30_750_000],
      [3 * M, 0, 0, 0],
    ]);
    expect(metrics.timeSeries({ from: T0, to: T0 + 3 * M, missionId: 'm1' }).map((p) => p.calls)).toEqual([1, 2, 0]);
    expect(() => metrics.timeSeries({ from: T0, to: T0 + 8 * 24 * 60 * M })).toThrow(/at most/);
  });

  it('computes burn rate, projection and throughput over whole minutes', () => {
    const now = T0 + 3 * M + 10 * S;
    expect(metrics.burnRate({ now, windowMinutes: 3 })).toEqual({
      from: T0,
      to: T0 + 3 * M,
      windowMinutes: 3,
      costNano: 37_260_000,
      nanoPerMinute: 12_420_000,
    });
    expect(metrics.projection({ now, windowMinutes: 3, remainingBudgetNano: 124_200_000, missionEndAt: now + 30 * M })).toEqual({
      nanoPerMinute: 12_420_000,
      minutesToExhaustion: 10,
      exhaustionAt: now + 10 * M,
      projectedSpendToEndNano: 372_600_000,
      exceedsBudget: true,
    });
    expect(metrics.projection({ now: T0 + 60 * M, windowMinutes: 5, remainingBudgetNano: 1 })).toMatchObject({
      nanoPerMinute: 0,
      minutesToExhaustion: null,
      exhaustionAt: null,
    });
    expect(metrics.throughput({ now, windowMinutes: 3 })).toEqual({
      windowMinutes: 3,
      callsPerMinute: 2,
      inputTokensPerMinute: 4_110 / 3,
      outputTokensPerMinute: 1_110 / 3,
      tokensPerMinute: 5_220 / 3,
    });
  });

  it('computes error rates overall, per mission and per pool', () => {
    expect(metrics.errorRate()).toEqual({ calls: 6, errors: 2, rate: 2 / 6 });
    expect(metrics.errorRate({ missionId: 'm1' })).toEqual({ calls: 3, errors: 1, rate: 1 / 3 });
    expect(metrics.errorRate({ pool: 'opus' })).toEqual({ calls: 3, errors: 2, rate: 2 / 3 });
    expect(metrics.errorRate({ missionId: 'none' })).toEqual({ calls: 0, errors: 0, rate: 0 });
  });

  it('estimates latency percentiles of completed calls from the histogram', () => {
    // Completed calls took 1 s, 40 s and 5 s.
    const all = metrics.latency();
    expect(all).toMatchObject({ count: 3, p95Ms: 40_000, p99Ms: 40_000, maxMs: 40_000, meanMs: 46_000 / 3 });
    expect(all.p50Ms).toBeGreaterThanOrEqual(5_000);
    expect(all.p50Ms).toBeLessThanOrEqual(5_250);
    expect(metrics.latency({ pool: 'haiku' })).toMatchObject({ count: 1, p50Ms: 40_000 });
    expect(metrics.latency({ missionId: 'm2', from: T0 + 2 * M, to: T0 + 3 * M })).toMatchObject({ count: 1, p99Ms: 5_000 });
    expect(metrics.latency({ from: T0 + 10 * M })).toEqual({ count: 0, p50Ms: null, p95Ms: null, p99Ms: null, meanMs: null, maxMs: null });
  });

  it('stays within 5% of exact nearest-rank percentiles on many calls', () => {
    const durations = Array.from({ length: 2_000 }, (_, i) => Math.floor(200 + ((i * 7919) % 1_000) ** 1.6));
    repo.insertMany(durations.map((d, i) => call(`l${i}`, [10 * M + i, 10 * M + i + d], { missionId: 'lat' })));
    const sorted = [...durations].sort((a, b) => a - b);
    const exact = (p: number) => sorted[Math.ceil(p * sorted.length) - 1]!;
    const got = metrics.latency({ missionId: 'lat' });
    for (const [p, value] of [[0.5, got.p50Ms], [0.95, got.p95Ms], [0.99, got.p99Ms]] as const) {
      expect(value).toBeGreaterThanOrEqual(exact(p));
      expect(value).toBeLessThanOrEqual(Math.ceil(exact(p) * 1.05) + 1);
    }
  });

  it('splits spend per minute and team, sparse, for the stacked chart', () => {
    expect(metrics.teamSeries({ from: T0, to: T0 + 3 * M })).toEqual([
      { minute: T0, teamKey: null, calls: 1, costNano: 10_000 },
      { minute: T0, teamKey: 'm1/t1', calls: 1, costNano: 4_500_000 },
      { minute: T0 + M, teamKey: 'm1/t1', calls: 1, costNano: 2_000_000 },
      { minute: T0 + M, teamKey: 'm1/t2', calls: 1, costNano: 0 },
      { minute: T0 + 2 * M, teamKey: 'm2/t3', calls: 2, costNano: 30_750_000 },
    ]);
    expect(metrics.teamSeries({ missionId: 'm1', from: T0 + M, to: T0 + 2 * M }).map((r) => r.teamKey)).toEqual(['m1/t1', 'm1/t2']);
    expect(() => metrics.teamSeries({ from: 0, to: 8 * 24 * 60 * M })).toThrow(/at most/);
  });
});
