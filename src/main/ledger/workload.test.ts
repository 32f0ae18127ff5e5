import { afterEach, describe, expect, it } from 'vitest';
import {
  estimateDesign,
  MIN_MEASURED_CALLS,
  type EstimateTeam,
  type ModelPrices,
} from '../../shared/design-estimate.js';
import { DEFAULT_POOL_LIMITS } from '../../shared/limits.js';
import { NANO_PER_USD } from '../../shared/money.js';
import type { CallRecord } from './calls-repository.js';
import { missionsFixture, type MissionsFixture } from './testing/missions-fixture.js';
import { measuredWorkload } from './workload.js';

let f: MissionsFixture | undefined;
afterEach(() => {
  f?.cleanup();
  f = undefined;
});

const LEADER = 'claude-opus-4-8';
const CODER = 'claude-sonnet-4-6';
const PRICES: ModelPrices = {
  [LEADER]: { inputUsdPerMTok: 5, outputUsdPerMTok: 25, cacheReadUsdPerMTok: 0.5, cacheWrite5mUsdPerMTok: 6.25 },
  [CODER]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15, cacheReadUsdPerMTok: 0.3, cacheWrite5mUsdPerMTok: 3.75 },
};
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

/** A mission of one team: a leader on Opus, two coders on Sonnet. */
function mission(): { missionId: string; calls: MissionsFixture['calls'] } {
  f = missionsFixture();
  f.mission('m1', '2026-01-15T10:00:00.000Z', [
    { id: 'core-lead', teamId: 'core', role: 'leader', model: LEADER },
    { id: 'core-c1', teamId: 'core', role: 'coder', model: CODER },
    { id: 'core-c2', teamId: 'core', role: 'coder', model: CODER },
  ]);
  return { missionId: 'm1', calls: f.calls };
}

/** `n` calls of one agent, `everyMs` apart, each lasting `durationMs`. */
function calls(
  missionId: string,
  agentId: string,
  role: string,
  model: string,
  n: number,
  everyMs: number,
  durationMs: number,
  usage: CallRecord['usage'],
  status: CallRecord['status'] = 'ok',
): CallRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: `${agentId}-${status}-${i}`,
    missionId,
    teamId: 'core',
    agentId,
    role,
    modelRequested: model,
    startedAt: T0 + i * everyMs,
    endedAt: T0 + i * everyMs + durationMs,
    status,
    usage,
  }));
}

const team = (): EstimateTeam => ({
  id: 'core',
  name: 'core',
  agents: [
    { id: 'core-lead', role: 'leader', model: LEADER },
    { id: 'core-c1', role: 'coder', model: CODER },
    { id: 'core-c2', role: 'coder', model: CODER },
  ],
});

describe('the measured workload and the estimate built on it', () => {
  it('equals the figures computed by hand from known missions', () => {
    const { missionId, calls: repo } = mission();
    repo.insertMany([
      // c1: 12 calls a minute apart, 10 s each, ending in minutes 0 to 11: 12 minutes, 720 s.
      ...calls(missionId, 'core-c1', 'coder', CODER, 12, 60_000, 10_000, {
        inputTokens: 1_000,
        cacheReadTokens: 20_000,
        cacheCreation5mTokens: 500,
        outputTokens: 300,
      }),
      // A failed attempt billed nothing and is no part of the workload.
      ...calls(missionId, 'core-c1', 'coder', CODER, 1, 0, 5_000, { inputTokens: 0 }, 'error'),
      // c2: 10 calls two minutes apart, 20 s each, ending in minutes 0 to 18: 19 minutes, 1,140 s.
      ...calls(missionId, 'core-c2', 'coder', CODER, 10, 120_000, 20_000, {
        inputTokens: 2_000,
        cacheReadTokens: 10_000,
        outputTokens: 500,
      }),
      // The leader: 5 calls, too few to measure.
      ...calls(missionId, 'core-lead', 'leader', LEADER, 5, 300_000, 30_000, { inputTokens: 4_000, outputTokens: 900 }),
    ]);

    const measured = measuredWorkload(f!.ledger.db);
    const coder = measured.find((m) => m.role === 'coder')!;
    // 22 calls over 720 + 1,140 = 1,860 s = 0.51667 agent-hours.
    expect(coder.calls).toBe(22);
    expect(coder.agents).toBe(2);
    expect(coder.agentHours).toBeCloseTo(1_860 / 3_600, 12);
    expect(coder.callsPerHour).toBeCloseTo((22 * 3_600) / 1_860, 9); // 42.58
    expect(coder.inputTokensPerCall).toBeCloseTo((12 * 1_000 + 10 * 2_000) / 22, 9); // 1,454.5
    expect(coder.cachedInputTokensPerCall).toBeCloseTo((12 * 20_000 + 10 * 10_000) / 22, 9); // 15,454.5
    expect(coder.cacheWrite5mTokensPerCall).toBeCloseTo((12 * 500) / 22, 9); // 272.7
    expect(coder.cacheWrite1hTokensPerCall).toBe(0);
    expect(coder.outputTokensPerCall).toBeCloseTo((12 * 300 + 10 * 500) / 22, 9); // 390.9
    const leader = measured.find((m) => m.role === 'leader')!;
    expect(leader).toMatchObject({ model: LEADER, calls: 5, agents: 1 });
    expect(leader.calls).toBeLessThan(MIN_MEASURED_CALLS);

    const e = estimateDesign({ teams: [team()], prices: PRICES, limits: DEFAULT_POOL_LIMITS, measured });
    // A coder-hour, measured: the coders' whole usage over their 1,860 s, priced, scaled to an hour:
    //   (32,000 in × $3 + 340,000 cache reads × $0.30 + 6,000 cache writes × $3.75 + 8,600 out × $15) / 1e6
    //   = (96,000 + 102,000 + 22,500 + 129,000) / 1e6 = $0.3495 per 1,860 s → × 3,600 / 1,860 = $0.676452/h.
    const coderNano = Math.round(((0.3495 * 3_600) / 1_860) * NANO_PER_USD);
    // The leader, assumed (today's default): 20 calls × (6,000 × $5 + 24,000 × $0.50 + 1,500 × $25) / 1e6 = $1.59/h.
    const leaderNano = Math.round(1.59 * NANO_PER_USD);
    expect(e.nanoPerHour).toBe(leaderNano + 2 * coderNano);
    expect(Math.abs(coderNano - 676_451_613)).toBeLessThanOrEqual(1);

    // Sonnet's input TPM: two coders × 42.58 calls/h × (1,454.5 fresh + 272.7 written) tokens / 60.
    const sonnet = e.pools.find((p) => p.pool === 'sonnet')!;
    expect(sonnet.use.itpm.need).toBeCloseTo((2 * (32_000 + 6_000) * (3_600 / 1_860)) / 60, 6);
    expect(sonnet.use.rpm.need).toBeCloseTo((2 * 22 * (3_600 / 1_860)) / 60, 9);

    const coderFigures = e.workload.find((w) => w.role === 'coder')!;
    expect(coderFigures.callsPerHour).toEqual({ value: coder.callsPerHour, source: 'measured', calls: 22 });
    expect(coderFigures.cachedInputTokensPerCall).toMatchObject({ source: 'measured', calls: 22 });
    expect(e.workload.find((w) => w.role === 'leader')!.callsPerHour).toEqual({ value: 20, source: 'assumed' });
  });

  it("with an empty ledger is today's estimate, every figure assumed", () => {
    mission();
    const measured = measuredWorkload(f!.ledger.db);
    expect(measured).toEqual([]);
    const withHistory = estimateDesign({ teams: [team()], prices: PRICES, limits: DEFAULT_POOL_LIMITS, measured });
    const today = estimateDesign({ teams: [team()], prices: PRICES, limits: DEFAULT_POOL_LIMITS });
    expect(withHistory).toEqual(today);
    // Today's defaults: leader $1.59/h; coder 60 × (5,000 × $3 + 15,000 × $0.30 + 1,200 × $15) / 1e6 = $2.25/h.
    expect(today.nanoPerHour).toBe(Math.round((1.59 + 2 * 2.25) * NANO_PER_USD));
    const sources = today.workload.flatMap((w) =>
      [w.callsPerHour, w.inputTokensPerCall, w.cachedInputTokensPerCall, w.cacheWriteTokensPerCall, w.outputTokensPerCall].map(
        (f) => f.source,
      ),
    );
    expect(sources.length).toBe(10);
    expect(new Set(sources)).toEqual(new Set(['assumed']));
  });
});
