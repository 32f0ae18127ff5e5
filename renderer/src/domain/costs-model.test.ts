import { describe, expect, it } from 'vitest';
import type { BreakdownRow, CostNames } from '../../../src/shared/costs.js';
import type { PoolState } from '../../../src/shared/limits.js';
import { zeroTotals } from '../testing/fixtures.js';
import {
  agentRows,
  alertTarget,
  budgetLevel,
  chartPoints,
  formatCount,
  formatMinutes,
  formatMs,
  formatPercent,
  formatRate,
  nextSort,
  poolGauges,
  poolStatus,
  seriesColors,
  sortAgentRows,
  teamLabel,
} from './costs-model.js';

const names: CostNames = {
  missions: { m1: 'Changelog' },
  teams: { alpha: 'Alpha squad' },
  agents: {
    a1: { name: 'Ada', teamKey: 'alpha', role: 'coder', model: 'claude-sonnet-4-6' },
    a2: { name: 'Bo', teamKey: 'alpha', role: 'leader', model: 'claude-opus-4-8' },
  },
};

function row(key: string | null, over: Partial<BreakdownRow>): BreakdownRow {
  return { key, ...zeroTotals(), ...over };
}

describe('formatting', () => {
  it('says amounts the way people read them', () => {
    expect(formatRate(240_000_000)).toBe('$0.24/min');
    expect(formatRate(1_500_000)).toBe('$0.0015/min');
    expect([980, 34_500, 1_200_000, 3_000_000_000].map(formatCount)).toEqual(['980', '34.5k', '1.2M', '3B']);
    expect([null, 850, 2_340, 65_000].map(formatMs)).toEqual(['—', '850 ms', '2.3 s', '1 min 05 s']);
    expect([0, 0.004, 0.12, 1].map(formatPercent)).toEqual(['0%', '0.4%', '12%', '100%']);
    expect([45, 200, 60 * 50].map(formatMinutes)).toEqual(['45 min', '3 h 20 min', '2 d 2 h']);
    expect(teamLabel('other', names)).toBe('Other teams');
    expect(teamLabel('alpha', names)).toBe('Alpha squad');
    expect(teamLabel('zeta', names)).toBe('zeta');
  });
});

describe('the chart', () => {
  const minute = (i: number, alpha: number, other = 0) => ({
    minute: i * 60_000,
    totalNano: alpha + other,
    calls: alpha + other > 0 ? 1 : 0,
    byTeam: { alpha, other },
  });

  it('turns nano-dollars per team into dollars per minute', () => {
    const points = chartPoints({
      seriesTeams: ['alpha', 'other'],
      series: [minute(1, 1_000_000_000, 500_000_000), minute(2, 0)],
    });
    expect(points).toEqual([
      { minute: 60_000, alpha: 1, other: 0.5 },
      { minute: 120_000, alpha: 0, other: 0 },
    ]);
  });

  it('accumulates in cumulative mode, and trims quiet minutes before the first call', () => {
    const series = [
      ...Array.from({ length: 50 }, (_, i) => minute(i, 0)),
      minute(50, 2 * 1e9),
      ...Array.from({ length: 9 }, (_, i) => minute(51 + i, 1e9)),
    ];
    const points = chartPoints({ seriesTeams: ['alpha'], series }, 'cumulative');
    expect(points).toHaveLength(11);
    expect(points[0]).toEqual({ minute: 49 * 60_000, alpha: 0 });
    expect(points.at(-1)).toEqual({ minute: 59 * 60_000, alpha: 11 });
    // Never fewer than ten minutes, even when the first call is in the last one.
    expect(
      chartPoints({
        seriesTeams: ['alpha'],
        series: [...Array.from({ length: 59 }, (_, i) => minute(i, 0)), minute(59, 1)],
      }),
    ).toHaveLength(10);
  });

  it("keeps a team's colour whatever its rank, and never gives two teams one colour", () => {
    expect(seriesColors(['m1/alpha', 'm2/beta'])['m1/alpha']).toBe(seriesColors(['m2/beta', 'm1/alpha'])['m1/alpha']);
    expect(seriesColors(['m1/alpha', 'other']).other).toBe('#868e96');
    // Seven teams and `other`: the hashes of these keys collide (the old colour-by-hash gave
    // several of them one colour), the probe gives each its own.
    const keys = ['m1/t1', 'm2/t1', 'm3/t1', 'm4/t1', 'm5/t1', 'm6/t1', 'm7/t1', 'other'];
    const colors = seriesColors(keys);
    expect(new Set(keys.map((k) => colors[k])).size).toBe(keys.length);
  });
});

describe('the per-agent table', () => {
  const rows = agentRows(
    [
      row('a1', {
        calls: 10,
        costTotalNano: 300,
        errorCalls: 1,
        partialCalls: 1,
        cacheReadTokens: 5,
        cacheCreation5mTokens: 2,
      }),
      row('a2', { calls: 2, costTotalNano: 700 }),
      row(null, { calls: 1, costTotalNano: 0 }),
    ],
    names,
    1_000,
  );

  it('names agents, teams and models, and counts errors and cache tokens', () => {
    expect(rows[0]).toMatchObject({
      name: 'Ada',
      team: 'Alpha squad',
      model: 'Claude Sonnet 4.6',
      errors: 2,
      cacheTokens: 7,
      share: 0.3,
    });
    expect(rows[2]).toMatchObject({ name: 'Background work', team: '—' });
  });

  it('sorts by any column, numbers biggest first, text A to Z, and flips on a second click', () => {
    const byCost = sortAgentRows(rows, { key: 'costNano', dir: 'desc' });
    expect(byCost.map((r) => r.name)).toEqual(['Bo', 'Ada', 'Background work']);
    expect(nextSort({ key: 'costNano', dir: 'desc' }, 'name')).toEqual({ key: 'name', dir: 'asc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'calls')).toEqual({ key: 'calls', dir: 'desc' });
    expect(sortAgentRows(rows, { key: 'name', dir: 'asc' }).map((r) => r.name)).toEqual([
      'Ada',
      'Background work',
      'Bo',
    ]);
    expect(sortAgentRows(rows, { key: 'calls', dir: 'asc' }).map((r) => r.calls)).toEqual([1, 2, 10]);
  });
});

describe('budgets and pools', () => {
  it('grades a budget by what is spent, and counts what calls in flight hold', () => {
    expect(budgetLevel({ capNano: 100, spentNano: 50, reservedNano: 10 })).toEqual({
      used: 0.5,
      committed: 0.6,
      tone: 'ok',
      leftNano: 50,
    });
    expect(budgetLevel({ capNano: 100, spentNano: 85, reservedNano: 0 }).tone).toBe('warn');
    expect(budgetLevel({ capNano: 100, spentNano: 120, reservedNano: 0 })).toMatchObject({
      tone: 'critical',
      leftNano: 0,
    });
    expect(budgetLevel({ capNano: 0, spentNano: 0, reservedNano: 0 }).used).toBe(0);
  });

  const bucket = (utilization: number, usedLastMinute = utilization * 1_000) => ({
    limit: 1_000,
    limitSource: 'headers' as const,
    effectiveLimit: 1_000,
    capacity: 1_000,
    level: 1_000 * (1 - utilization),
    utilization,
    usedLastMinute,
    refillPerMs: 1,
    serverRemaining: null,
    serverResetAt: null,
  });
  const pool = (over: Partial<PoolState> = {}): PoolState => ({
    pool: 'opus',
    buckets: { requests: bucket(0.5), input: bucket(0.9), output: bucket(1.2) },
    rateFactor: 1,
    queueDepth: 0,
    waiting: { queued: 0, parked: 0, retrying: 0 },
    inFlight: 0,
    pausedUntil: null,
    breaker: { state: 'closed', consecutiveFailures: 0, openUntil: null },
    stopped: null,
    ...over,
  });

  it('draws each bucket as a gauge, clamped, with debt flagged', () => {
    expect(poolGauges(pool()).map((g) => [g.bucket, g.fill, g.used, g.debt, g.tone])).toEqual([
      ['requests', 0.5, 500, false, 'ok'],
      ['input', 0.9, 900, false, 'warn'],
      ['output', 1, 1_200, true, 'critical'],
    ]);
  });

  it("reads the minute's use, not the level of a bucket that refilled between calls", () => {
    // 17 calls in the last minute of a 1k RPM pool; the bucket is full again.
    const [requests] = poolGauges(pool({ buckets: { requests: bucket(0, 170), input: bucket(0, 0), output: bucket(0, 0) } }));
    expect(requests).toMatchObject({ used: 170, limit: 1_000, fill: 0.17, tone: 'ok' });
    expect(formatPercent(requests!.fill)).toBe('17%');
    // A burst that empties the bucket still shows, though the minute is light.
    expect(poolGauges(pool({ buckets: { requests: bucket(0.97, 40), input: bucket(0), output: bucket(0) } }))[0]).toMatchObject({
      used: 40,
      tone: 'critical',
    });
  });

  it('tells stopped, breaker, paused and running apart', () => {
    expect(
      poolStatus(pool({ stopped: { reason: 'spend-limit', message: 'Spend limit reached', since: 0 } }), 0),
    ).toMatchObject({
      condition: 'stopped',
      detail: 'Spend limit reached',
    });
    expect(
      poolStatus(pool({ breaker: { state: 'open', consecutiveFailures: 5, openUntil: 30_000 } }), 0).detail,
    ).toBe('5 failures in a row; trying again in 30.0 s');
    expect(poolStatus(pool({ pausedUntil: 2_000 }), 1_000).condition).toBe('paused');
    expect(poolStatus(pool({ pausedUntil: 0 }), 1_000).condition).toBe('running');
  });
});

describe('alert targets', () => {
  it('leads to the agent, team, mission or pool an alert is about', () => {
    expect(alertTarget({ cause: { missionId: 'm1', agentId: 'a1' } }, null)).toMatchObject({
      kind: 'agent',
      missionId: 'm1',
      agentId: 'a1',
    });
    expect(alertTarget({ cause: { teamId: 't1' } }, 'm9')).toMatchObject({
      kind: 'team',
      missionId: 'm9',
      teamId: 't1',
    });
    expect(alertTarget({ cause: { missionId: 'm1' } }, null)).toMatchObject({
      kind: 'mission',
      missionId: 'm1',
    });
    expect(alertTarget({ cause: { pool: 'haiku' } }, null)).toMatchObject({ kind: 'pool', pool: 'haiku' });
    expect(alertTarget({ cause: {} }, null)).toBeNull();
  });
});
