import { describe, expect, it } from 'vitest';
import bundled from '../../resources/pricing.json' with { type: 'json' };
import {
  addedPromptNanoPerHour,
  DEFAULT_WORKLOAD,
  MIN_MEASURED_CALLS,
  type MeasuredWorkload,
  describePool,
  estimateDesign,
  pricesAt,
  type EstimateTeam,
} from './design-estimate.js';
import { DEFAULT_POOL_LIMITS, LIMIT_PRESETS } from './limits.js';
import { DEFAULT_MODEL_BY_ROLE } from './models.js';
import { NANO_PER_USD } from './money.js';
import type { PriceTable } from './pricing.js';

const SONNET = { inputUsdPerMTok: 3, outputUsdPerMTok: 15, cacheReadUsdPerMTok: 0.3 };
const OPUS = { inputUsdPerMTok: 5, outputUsdPerMTok: 25, cacheReadUsdPerMTok: 0.5 };
const prices = { [DEFAULT_MODEL_BY_ROLE.coder]: SONNET, [DEFAULT_MODEL_BY_ROLE.leader]: OPUS };

const squad = (id: string, coders: number, budgetNanoUsd: number | null = null): EstimateTeam => ({
  id,
  name: id,
  budgetNanoUsd,
  agents: [
    { id: `${id}-L`, role: 'leader', model: DEFAULT_MODEL_BY_ROLE.leader },
    ...Array.from({ length: coders }, (_, i) => ({
      id: `${id}-c${i}`,
      role: 'coder' as const,
      model: DEFAULT_MODEL_BY_ROLE.coder,
    })),
  ],
});

describe('pricesAt', () => {
  it('takes the latest row that has started', () => {
    const table = {
      rows: [
        {
          model: 'm',
          effectiveFrom: '2025-01-01',
          inputUsdPerMTok: 1,
          outputUsdPerMTok: 2,
          cacheReadUsdPerMTok: 0.1,
        },
        {
          model: 'm',
          effectiveFrom: '2025-06-01',
          inputUsdPerMTok: 3,
          outputUsdPerMTok: 4,
          cacheReadUsdPerMTok: 0.3,
        },
        {
          model: 'm',
          effectiveFrom: '2099-01-01',
          inputUsdPerMTok: 9,
          outputUsdPerMTok: 9,
          cacheReadUsdPerMTok: 9,
        },
      ],
    } as unknown as PriceTable;
    expect(pricesAt(table, Date.parse('2025-07-01'))).toEqual({
      m: { inputUsdPerMTok: 3, outputUsdPerMTok: 4, cacheReadUsdPerMTok: 0.3 },
    });
  });

  it('prices every default model from the bundled table', () => {
    const now = pricesAt(bundled as PriceTable, Date.parse('2026-01-01'));
    for (const model of Object.values(DEFAULT_MODEL_BY_ROLE)) expect(now[model]).toBeDefined();
  });
});

describe('estimateDesign', () => {
  it('multiplies calls by tokens by price, per team and in total', () => {
    const e = estimateDesign({ teams: [squad('A', 1)], prices, limits: DEFAULT_POOL_LIMITS });
    const lead = DEFAULT_WORKLOAD.leader;
    const coder = DEFAULT_WORKLOAD.coder;
    const usd =
      (lead.callsPerHour *
        (lead.inputTokensPerCall * 5 + lead.cachedInputTokensPerCall * 0.5 + lead.outputTokensPerCall * 25) +
        coder.callsPerHour *
          (coder.inputTokensPerCall * 3 +
            coder.cachedInputTokensPerCall * 0.3 +
            coder.outputTokensPerCall * 15)) /
      1e6;
    expect(e.nanoPerHour / NANO_PER_USD).toBeCloseTo(usd, 6);
    expect(e.teams[0]!.nanoPerHour).toBe(e.nanoPerHour);
    expect(e.limitedNanoPerHour).toBe(e.nanoPerHour);
    expect(e.unpriced).toEqual([]);
  });

  it('sums per-minute demand per pool and names the binding limit', () => {
    const e = estimateDesign({ teams: [squad('A', 4), squad('B', 4)], prices, limits: DEFAULT_POOL_LIMITS });
    const sonnet = e.pools.find((p) => p.pool === 'sonnet')!;
    expect(sonnet.agents).toBe(8);
    expect(sonnet.use.rpm.need).toBeCloseTo(8, 6);
    expect(sonnet.use.otpm.need).toBeCloseTo(8 * 1_200, 6);
    expect(sonnet.use.otpm.utilisation).toBeCloseTo((8 * 1_200) / 90_000, 6);
    expect(sonnet.binding).toBe('otpm');
    expect(sonnet.workShare).toBe(1);
  });

  it('scales spend down by the queueing when a pool is over its limit', () => {
    const tier1 = LIMIT_PRESETS[0]!.pools;
    const e = estimateDesign({ teams: [squad('A', 8, 10 * NANO_PER_USD)], prices, limits: tier1 });
    const sonnet = e.pools.find((p) => p.pool === 'sonnet')!;
    expect(sonnet.utilisation).toBeGreaterThan(1);
    expect(sonnet.workShare).toBeCloseTo(1 / sonnet.utilisation, 9);
    expect(e.limitedNanoPerHour).toBeLessThan(e.nanoPerHour);
    expect(e.binding?.pool).toBe(e.pools.reduce((a, b) => (b.utilisation > a.utilisation ? b : a)).pool);
    expect(e.teams[0]!.budgetHours).toBeCloseTo((10 * NANO_PER_USD) / e.teams[0]!.limitedNanoPerHour, 9);
    expect(describePool(sonnet, 'Tier 1')).toBe(
      "Sonnet pool: your design needs ~133% of Tier 1's input TPM: expect queueing (its agents can work about 45 minutes of each hour)",
    );
  });

  it('leaves unpriced models out and says which', () => {
    const e = estimateDesign({
      teams: [{ id: 'A', name: 'A', agents: [{ id: 'r', role: 'researcher', model: 'claude-haiku-4-5' }] }],
      prices,
      limits: DEFAULT_POOL_LIMITS,
    });
    expect(e.nanoPerHour).toBe(0);
    expect(e.unpriced).toEqual(['claude-haiku-4-5']);
    expect(e.pools.map((p) => p.pool)).toEqual(['haiku']);
  });

  it('describes a pool with room to spare', () => {
    const e = estimateDesign({ teams: [squad('A', 1)], prices, limits: DEFAULT_POOL_LIMITS });
    expect(describePool(e.pools[0]!, 'Tier 2')).toMatch(/room to spare$/);
  });

  it('is empty for an empty design', () => {
    const e = estimateDesign({ teams: [], prices, limits: DEFAULT_POOL_LIMITS });
    expect(e).toEqual({
      teams: [],
      nanoPerHour: 0,
      limitedNanoPerHour: 0,
      pools: [],
      binding: null,
      unpriced: [],
      workload: [],
    });
  });
});

describe('measured workloads', () => {
  const measuredCoder = (calls: number): MeasuredWorkload => ({
    role: 'coder',
    model: DEFAULT_MODEL_BY_ROLE.coder,
    calls,
    agents: 2,
    agentHours: 1,
    callsPerHour: 30,
    inputTokensPerCall: 2_000,
    cachedInputTokensPerCall: 40_000,
    cacheWrite5mTokensPerCall: 1_000,
    cacheWrite1hTokensPerCall: 100,
    outputTokensPerCall: 800,
  });

  it('uses a role on a model only from MIN_MEASURED_CALLS calls up', () => {
    const few = estimateDesign({ teams: [squad('A', 1)], prices, limits: DEFAULT_POOL_LIMITS, measured: [measuredCoder(MIN_MEASURED_CALLS - 1)] });
    const today = estimateDesign({ teams: [squad('A', 1)], prices, limits: DEFAULT_POOL_LIMITS });
    expect(few).toEqual(today);
    const enough = estimateDesign({ teams: [squad('A', 1)], prices, limits: DEFAULT_POOL_LIMITS, measured: [measuredCoder(MIN_MEASURED_CALLS)] });
    // Sonnet without cache-write prices: writes at 1.25× (5 min) and 2× (1 h) the input price.
    // 30 × (2,000 × 3 + 40,000 × 0.3 + 1,000 × 3.75 + 100 × 6 + 800 × 15) / 1e6 = 30 × 34,350 / 1e6 = $1.0305/h.
    const lead = today.nanoPerHour - Math.round(2.25 * NANO_PER_USD);
    expect(enough.nanoPerHour).toBe(lead + Math.round(1.0305 * NANO_PER_USD));
    expect(enough.workload.find((w) => w.role === 'coder')?.cacheWriteTokensPerCall).toEqual({
      value: 1_100,
      source: 'measured',
      calls: MIN_MEASURED_CALLS,
    });
  });

  it("prices a prompt's added tokens at each agent's calls per hour", () => {
    const agents = squad('A', 2).agents;
    // Leader 20 calls/h on Opus, coders 60 calls/h on Sonnet; 10,000 tokens more per call:
    // cached: (20 × 0.5 + 2 × 60 × 0.3) × 10,000 / 1e6 = $0.46/h; uncached: (20 × 5 + 120 × 3) × 0.01 = $4.60/h.
    const added = addedPromptNanoPerHour(10_000, agents, prices);
    expect(added.callsPerHour).toBe(140);
    expect(added.cachedNanoPerHour).toBe(Math.round(0.46 * NANO_PER_USD));
    expect(added.uncachedNanoPerHour).toBe(Math.round(4.6 * NANO_PER_USD));
  });
});
