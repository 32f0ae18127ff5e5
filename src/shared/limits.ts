import { z } from 'zod';
import type { ModelPool } from './models.js';
import type { AgentRole } from './team.js';

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

// The rate limiter's snapshot (src/main/limiter), as the UI reads it.

/**
 * Who is calling: an agent role, the mission's director (one call that drafts each team's
 * share before any leader plans), or background work such as context compaction.
 */
export type CallRole = AgentRole | 'director' | 'background';

/** The three buckets of a pool. */
export type BucketName = 'requests' | 'input' | 'output';

export const BUCKET_NAMES: readonly BucketName[] = ['requests', 'input', 'output'];

export type StopReason = 'spend-limit' | 'rate-limit-without-retry-after';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Snapshot of one bucket. */
export interface BucketState {
  /** The per-minute limit in force (configured, or learned from headers). */
  limit: number;
  limitSource: 'configured' | 'headers';
  /** limit * the pool's current rate factor. */
  effectiveLimit: number;
  capacity: number;
  /** Available now; negative while in debt. */
  level: number;
  /** (capacity - level) / capacity, at least 0; above 1 while in debt. */
  utilization: number;
  /**
   * Granted over the last minute: calls in flight at their reservation, settled ones at
   * their real usage. The bucket's level refills continuously (one request is back within
   * milliseconds at thousands of RPM), so this, against `effectiveLimit`, is how busy the
   * pool is; `utilization` is how close the next call is to waiting.
   */
  usedLastMinute: number;
  /** Lets a UI interpolate the level between snapshots. */
  refillPerMs: number;
  serverRemaining: number | null;
  serverResetAt: number | null;
}

/** Snapshot of one pool. */
export interface PoolState {
  pool: ModelPool;
  buckets: Record<BucketName, BucketState>;
  /** Current fraction of the limits in use (ramp-up and acceleration back-off). */
  rateFactor: number;
  /** All calls waiting on this pool: queued + parked + retrying. */
  queueDepth: number;
  waiting: {
    /** In the pool queue. */
    queued: number;
    /** Held back by their agent's in-flight cap. */
    parked: number;
    /** Sitting out a retry back-off. */
    retrying: number;
  };
  inFlight: number;
  pausedUntil: number | null;
  breaker: { state: BreakerState; consecutiveFailures: number; openUntil: number | null };
  stopped: { reason: StopReason; message: string; since: number } | null;
}

/** A plain, JSON-serialisable snapshot of the limiter. */
export interface LimiterState {
  at: number;
  pools: Record<ModelPool, PoolState>;
  /** Current output reservation per role, before the max_tokens cap. */
  outputEstimates: Partial<Record<CallRole, number>>;
}

