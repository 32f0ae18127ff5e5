import type { CallRole, StopReason } from '../../shared/limits.js';
import type { ModelPool } from '../../shared/models.js';
import type { Clock } from './clock.js';
import type { HeaderSource } from './headers.js';

// The snapshot types are plain data the UI reads, so they live in src/shared; they are
// re-exported here so the limiter's callers keep one import.
export {
  BUCKET_NAMES,
  type BreakerState,
  type BucketName,
  type BucketState,
  type CallRole,
  type LimiterState,
  type PoolState,
  type StopReason,
} from '../../shared/limits.js';

/** Per-minute limits of one pool. */
export interface PoolLimits {
  rpm: number;
  /** Input tokens per minute: input_tokens + cache_creation_input_tokens (cache reads are free). */
  itpm: number;
  otpm: number;
  /**
   * Burst window for sub-minute enforcement: capacity = limit * burstWindowMs / 60 000.
   * Defaults to {@link RateLimiterOptions.burstWindowMs}.
   */
  burstWindowMs?: number;
}

/** Retry policy for failed calls. */
export interface RetryOptions {
  /** Retries after 529 / 5xx / dropped connections / 408 / 409 (default 5). */
  maxServerRetries?: number;
  /** Retries after 429s with retry-after (default 10). */
  maxRateLimitRetries?: number;
  /** First back-off step (default 1 000 ms); doubles per retry. */
  baseDelayMs?: number;
  /** Back-off ceiling (default 60 000 ms). */
  maxDelayMs?: number;
}

/** Per-pool circuit breaker. */
export interface BreakerOptions {
  /** Consecutive 529 / 5xx / connection failures that open the breaker (default 5). */
  failureThreshold?: number;
  /** How long it stays open before one half-open trial call (default 60 000 ms). */
  openMs?: number;
}

/** Construction options of {@link RateLimiter}. Only `pools` is required. */
export interface RateLimiterOptions {
  /** Defaults to the monotonic system clock. */
  clock?: Clock;
  /** Configured (starting) limits; the headers of real responses replace them. */
  pools: Record<ModelPool, PoolLimits>;
  /** Default burst window of every pool (default 60 000 ms: capacity = the minute's limit). */
  burstWindowMs?: number;
  /** A new pool starts at this fraction of its limit (default 0.5) ... */
  rampStartFraction?: number;
  /** ... and reaches the full limit after this long (default 120 000 ms). */
  rampUpMs?: number;
  /** An acceleration 429 multiplies the pool's current rate by this (default 0.5) ... */
  accelerationBackoff?: number;
  /** ... never below this fraction of the limit (default 0.1). */
  minRateFraction?: number;
  /** Calls an agent may have queued or in flight at once (default 1). */
  maxInFlightPerAgent?: number;
  /** Queue-time equivalent of one priority step (default 10 000 ms); bounds starvation. */
  agingStepMs?: number;
  /** Priority rank per role, lower first (default leader 0; coder, reviewer, researcher 1; background 2). */
  rolePriority?: Partial<Record<CallRole, number>>;
  /** Initial fair-share weights per team id (default 1 each). */
  teamWeights?: Readonly<Record<string, number>>;
  /** Output reservation per role before anything was learned (default 1 024 tokens). */
  initialOutputEstimate?: number;
  /** EWMA weight of each new observation of a role's output (default 0.2). */
  outputEstimateAlpha?: number;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  /** onChange listeners hear at most once per this many ms (default 250). */
  stateThrottleMs?: number;
  /** Uniform [0, 1) source for jitter; injectable for tests. */
  random?: () => number;
}

/** One model call asking to be admitted. */
export interface AcquireRequest {
  pool: ModelPool;
  agentId: string;
  teamId: string;
  role: CallRole;
  /** Overrides the role's priority rank (lower runs first). */
  priority?: number;
  /** Expected uncached input: input_tokens + cache_creation_input_tokens. */
  estimatedInputTokens: number;
  /** The request's max_tokens; caps the output reservation. */
  maxOutputTokens: number;
  /** Aborting removes the call from the queue and rejects with an AbortError. */
  signal?: AbortSignal;
  /** The ticket whose failure {@link RateLimiter.fail} answered with `retry: true`. */
  retryOf?: Ticket;
  /**
   * Called once, synchronously inside `acquire`, when the call cannot be granted at once
   * (it queues, or waits out a retry back-off). Not called when it goes straight through,
   * so a caller can show "rate-limited" only when it really is.
   */
  onWaiting?: () => void;
}

/** What a call holds in each bucket. */
export interface Reservation {
  requests: number;
  input: number;
  output: number;
}

/** Permission to send one call; settle it exactly once with complete, fail or release. */
export interface Ticket {
  readonly id: number;
  readonly pool: ModelPool;
  readonly agentId: string;
  readonly teamId: string;
  readonly role: CallRole;
  readonly reserved: Readonly<Reservation>;
  /** Time spent in the limiter for this attempt (including a retry's back-off). */
  readonly waitedMs: number;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly grantedAt: number;
}

/** Usage as the Messages API reports it. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** How a call ended well. */
export interface CompleteInfo {
  usage: Usage;
  headers?: HeaderSource;
  /** Clock time the headers arrived (the start of a stream); defaults to now. */
  headersAt?: number;
}

/** How a call ended badly. */
export interface FailInfo {
  /** HTTP status; omit for a dropped connection or a network error. */
  status?: number;
  headers?: HeaderSource;
  headersAt?: number;
  /** The API error's `type`, e.g. `rate_limit_error`. */
  errorType?: string;
  errorMessage?: string;
  /** Usage the server billed before failing, when known (e.g. a stream cut mid-way). */
  usage?: Usage;
}

/** Why the limiter asks for a retry. */
export type RetryReason =
  'rate-limited' | 'acceleration-limited' | 'overloaded' | 'server-error' | 'connection-error';

/** Why the limiter gives up. */
export type GiveUpReason = 'pool-stopped' | 'retries-exhausted' | 'not-retryable' | 'not-in-flight';

/** The limiter's answer to a failure. To retry, call acquire again with `retryOf`. */
export type FailDecision =
  | { retry: true; afterMs: number; reason: RetryReason }
  | { retry: false; reason: GiveUpReason; message: string };

/** A pool that needs a human. */
export interface LimiterAlert {
  kind: 'pool-stopped';
  pool: ModelPool;
  reason: StopReason;
  message: string;
  at: number;
}

/** Thrown (as a rejection) for misuse and shutdown; abort uses a DOMException AbortError. */
export class LimiterError extends Error {
  readonly code: 'closed' | 'invalid-request' | 'retry-not-allowed';

  constructor(code: LimiterError['code'], message: string) {
    super(message);
    this.name = 'LimiterError';
    this.code = code;
  }
}
