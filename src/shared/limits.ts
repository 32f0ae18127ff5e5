import { z } from 'zod';
import type { ModelPool } from './models.js';

/**
 * Rate limits per model pool, as Anthropic publishes them per usage tier. They are a
 * starting point: the limiter replaces them with the real values from the rate-limit
 * headers of the first responses, so a wrong preset costs a slower start, not 429s.
 */
export const poolLimitsSchema = z.strictObject({
  rpm: z.number().int().min(1).max(1_000_000),
  itpm: z.number().int().min(1).max(1_000_000_000),
  otpm: z.number().int().min(1).max(1_000_000_000),
});
export type PoolLimitsSetting = z.infer<typeof poolLimitsSchema>;

export const allPoolLimitsSchema = z.strictObject({
  opus: poolLimitsSchema,
  sonnet: poolLimitsSchema,
  haiku: poolLimitsSchema,
});
export type AllPoolLimits = Record<ModelPool, PoolLimitsSetting>;

export interface LimitPreset {
  id: string;
  label: string;
  pools: AllPoolLimits;
}

const same = (rpm: number, itpm: number, otpm: number, haiku: [number, number]): AllPoolLimits => ({
  opus: { rpm, itpm, otpm },
  sonnet: { rpm, itpm, otpm },
  haiku: { rpm, itpm: haiku[0], otpm: haiku[1] },
});

export const LIMIT_PRESETS: readonly LimitPreset[] = [
  { id: 'tier-1', label: 'Tier 1', pools: same(50, 30_000, 8_000, [50_000, 10_000]) },
  { id: 'tier-2', label: 'Tier 2', pools: same(1_000, 450_000, 90_000, [450_000, 90_000]) },
  { id: 'tier-3', label: 'Tier 3', pools: same(2_000, 800_000, 160_000, [1_000_000, 200_000]) },
  { id: 'tier-4', label: 'Tier 4', pools: same(4_000, 2_000_000, 400_000, [4_000_000, 800_000]) },
];

export const DEFAULT_POOL_LIMITS: AllPoolLimits = LIMIT_PRESETS[1]!.pools;
