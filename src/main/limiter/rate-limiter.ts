// One file on purpose (over 900 lines): `RateLimiter` is one state machine per pool (buckets,
// the fair queue, 429 pauses and back-off, the breaker, per-agent caps), and every method
// keeps invariants that span all of them (a grant, a refund and a wake-up timer must agree
// on the same pool state in the same synchronous step). Its parts that stand alone already
// live beside it: token-bucket.ts, fair-queue.ts, indexed-heap.ts, headers.ts, types.ts.
import type { ModelPool } from '../../shared/models.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { FairQueue, type FairQueueItem } from './fair-queue.js';
import { parseRateLimitHeaders, parseRetryAfterMs, type HeaderSource } from './headers.js';
import { IndexedHeap } from './indexed-heap.js';
import { TokenBucket, type BucketMark } from './token-bucket.js';
import { UsageWindow, type UsageEntry } from './usage-window.js';
import {
  BUCKET_NAMES,
  LimiterError,
  type AcquireRequest,
  type BreakerState,
  type BucketName,
  type BucketState,
  type CallRole,
  type CompleteInfo,
  type FailDecision,
  type FailInfo,
  type GiveUpReason,
  type LimiterAlert,
  type LimiterState,
  type PoolLimits,
  type PoolState,
  type RateLimiterOptions,
  type Reservation,
  type StopReason,
  type Ticket,
  type Usage,
} from './types.js';

const POOL_NAMES: readonly ModelPool[] = ['opus', 'sonnet', 'haiku'];

const DEFAULT_ROLE_PRIORITY: Record<CallRole, number> = {
  leader: 0,
  // Every leader of the mission waits for the director's draft.
  director: 0,
  coder: 1,
  reviewer: 1,
  researcher: 1,
  background: 2,
};

const LIMIT_KEYS: Record<BucketName, 'rpm' | 'itpm' | 'otpm'> = {
  requests: 'rpm',
  input: 'itpm',
  output: 'otpm',
};

/** The API reports a spend cap as a 429 whose error names this. */
const SPEND_LIMIT_MARKER = 'enforced_spend_limit_reached';

/**
 * While a pool ramps up its refill rate grows, so a wake-up computed at today's rate is
 * late; waiting calls are re-checked at least this often until the ramp is over.
 */
const RAMP_RECHECK_MS = 1_000;

/** Retry bookkeeping that follows a call across its attempts. */
interface Chain {
  firstQueuedAt: number;
  attempt: number;
  serverRetries: number;
  rateLimitRetries: number;
}

interface Waiter extends FairQueueItem {
  heapIndex: number;
  readonly teamId: string;
  readonly agingKey: number;
  readonly seq: number;
  readonly cost: number;
  readonly pool: PoolRuntime;
  readonly agentId: string;
  readonly role: CallRole;
  readonly reserved: Reservation;
  readonly chain: Chain;
  readonly createdAt: number;
  readonly notBefore: number;
  /** retrying: sitting out a back-off; parked: behind its agent's cap; queued: in the pool queue. */
  state: 'retrying' | 'parked' | 'queued' | 'done';
  readonly resolve: (ticket: Ticket) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Lease {
  readonly ticket: Ticket;
  readonly pool: PoolRuntime;
  readonly chain: Chain;
  readonly marks: Record<BucketName, BucketMark>;
  /** Its place in the pool's last minute of use. */
  readonly usage: UsageEntry;
}

interface AgentRuntime {
  /** Calls of this agent queued or in flight (parked ones excluded). */
  active: number;
  /** Calls held back by the cap, oldest first (a Set keeps insertion order and O(1) delete). */
  readonly parked: Set<Waiter>;
}

/**
 * Fraction of the limits a pool uses: a linear ramp from a start fraction to 1 over
 * `rampUpMs`; an acceleration 429 cuts it and a new ramp of the same length starts there.
 */
class Ramp {
  #base: number;
  #since = 0;
  #started = false;
  #slope: number;
  readonly #rampUpMs: number;

  constructor(startFraction: number, rampUpMs: number) {
    this.#base = startFraction;
    this.#rampUpMs = rampUpMs;
    this.#slope = (1 - startFraction) / rampUpMs;
  }

  /** The ramp starts with the pool's first call, not with the app. */
  start(now: number): void {
    if (this.#started) return;
    this.#started = true;
    this.#since = now;
  }

  factor(now: number): number {
    if (!this.#started) return this.#base;
    return Math.min(1, this.#base + this.#slope * Math.max(0, now - this.#since));
  }

  cut(now: number, multiplier: number, floor: number): void {
    this.#base = Math.min(1, Math.max(floor, this.factor(now) * multiplier));
    this.#slope = (1 - this.#base) / this.#rampUpMs;
    this.#since = now;
    this.#started = true;
  }
}

interface PoolRuntime {
  readonly name: ModelPool;
  readonly buckets: Record<BucketName, TokenBucket>;
  readonly limitSource: Record<BucketName, 'configured' | 'headers'>;
  readonly server: Record<BucketName, { remaining: number | null; resetAt: number | null }>;
  readonly lastMinute: UsageWindow;
  readonly ramp: Ramp;
  readonly queue: FairQueue<Waiter>;
  readonly retrying: IndexedHeap<Waiter>;
  /** In grant order, so the first is the oldest in flight. */
  readonly leases: Map<number, Lease>;
  parked: number;
  pausedUntil: number;
  readonly breaker: { state: BreakerState; failures: number; openUntil: number; trialTicket: number | null };
  stopped: { reason: StopReason; message: string; since: number } | null;
  timer: TimerHandle | null;
  timerAt: number;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw new RangeError(`${name} must be positive, got ${v}`);
  return v;
}

function fraction(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(v > 0 && v <= 1)) throw new RangeError(`${name} must be in (0, 1], got ${v}`);
  return v;
}

function abortError(): DOMException {
  return new DOMException('The acquire was aborted.', 'AbortError');
}

function usageToReservation(usage: Usage): Reservation {
  return {
    requests: 1,
    input: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
    output: usage.output_tokens,
  };
}

/**
 * The one rate limiter every model call goes through.
 *
 * Each model pool has three continuously refilling buckets (requests, input tokens, output
 * tokens). A call reserves all three before it is sent ({@link acquire}) and settles exactly
 * once: {@link complete} reconciles the reservation with the real usage (refund or debt) and
 * learns the real limits from the response headers; {@link fail} does the same bookkeeping
 * and decides whether to retry (the retry is a new acquire with `retryOf`, so it queues like
 * any call); {@link release} hands back a reservation that was never used.
 *
 * Waiting calls are ordered per pool by team fair share (weighted), then by priority with
 * aging; an agent has at most `maxInFlightPerAgent` calls queued or in flight. Each pool has
 * at most one wake-up timer, armed for the moment its next call can go.
 */
export class RateLimiter {
  readonly #clock: Clock;
  readonly #pools: Record<ModelPool, PoolRuntime>;
  readonly #agents = new Map<string, AgentRuntime>();
  readonly #leases = new Map<number, Lease>();
  readonly #retryable = new WeakMap<Ticket, { chain: Chain; notBefore: number }>();
  readonly #teamWeights = new Map<string, number>();
  readonly #outputEstimates = new Map<CallRole, number>();
  readonly #changeListeners = new Set<(state: LimiterState) => void>();
  readonly #alertListeners = new Set<(alert: LimiterAlert) => void>();
  #notifyTimer: TimerHandle | null = null;
  #closed = false;
  #waiterSeq = 0;
  #ticketSeq = 0;

  readonly #maxInFlightPerAgent: number;
  readonly #agingStepMs: number;
  readonly #rolePriority: Record<CallRole, number>;
  readonly #initialOutputEstimate: number;
  readonly #outputAlpha: number;
  readonly #accelerationBackoff: number;
  readonly #minRateFraction: number;
  readonly #maxServerRetries: number;
  readonly #maxRateLimitRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #breakerThreshold: number;
  readonly #breakerOpenMs: number;
  readonly #stateThrottleMs: number;
  readonly #random: () => number;

  constructor(options: RateLimiterOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#maxInFlightPerAgent = Math.floor(positive('maxInFlightPerAgent', options.maxInFlightPerAgent, 1));
    this.#agingStepMs = positive('agingStepMs', options.agingStepMs, 10_000, true);
    this.#rolePriority = { ...DEFAULT_ROLE_PRIORITY, ...options.rolePriority };
    this.#initialOutputEstimate = positive('initialOutputEstimate', options.initialOutputEstimate, 1024);
    this.#outputAlpha = fraction('outputEstimateAlpha', options.outputEstimateAlpha, 0.2);
    this.#accelerationBackoff = fraction('accelerationBackoff', options.accelerationBackoff, 0.5);
    this.#minRateFraction = fraction('minRateFraction', options.minRateFraction, 0.1);
    this.#maxServerRetries = positive('retry.maxServerRetries', options.retry?.maxServerRetries, 5, true);
    this.#maxRateLimitRetries = positive(
      'retry.maxRateLimitRetries',
      options.retry?.maxRateLimitRetries,
      10,
      true,
    );
    this.#baseDelayMs = positive('retry.baseDelayMs', options.retry?.baseDelayMs, 1000);
    this.#maxDelayMs = positive('retry.maxDelayMs', options.retry?.maxDelayMs, 60_000);
    this.#breakerThreshold = positive('breaker.failureThreshold', options.breaker?.failureThreshold, 5);
    this.#breakerOpenMs = positive('breaker.openMs', options.breaker?.openMs, 60_000);
    this.#stateThrottleMs = positive('stateThrottleMs', options.stateThrottleMs, 250, true);
    this.#random = options.random ?? Math.random;
    for (const [team, weight] of Object.entries(options.teamWeights ?? {})) this.setTeamWeight(team, weight);

    const rampStart = fraction('rampStartFraction', options.rampStartFraction, 0.5);
    const rampUpMs = positive('rampUpMs', options.rampUpMs, 120_000);
    const defaultBurst = positive('burstWindowMs', options.burstWindowMs, 60_000);
    const now = this.#clock.now();
    const weightOf = (team: string): number => this.#teamWeights.get(team) ?? 1;
    const make = (name: ModelPool): PoolRuntime => {
      const limits = options.pools[name];
      if (!limits) throw new RangeError(`no limits configured for pool ${name}`);
      const burstWindowMs = positive(`${name}.burstWindowMs`, limits.burstWindowMs, defaultBurst);
      const bucket = (key: BucketName): TokenBucket =>
        new TokenBucket({ limit: limits[LIMIT_KEYS[key]], burstWindowMs, factor: rampStart, now });
      return {
        name,
        buckets: { requests: bucket('requests'), input: bucket('input'), output: bucket('output') },
        limitSource: { requests: 'configured', input: 'configured', output: 'configured' },
        server: {
          requests: { remaining: null, resetAt: null },
          input: { remaining: null, resetAt: null },
          output: { remaining: null, resetAt: null },
        },
        lastMinute: new UsageWindow(),
        ramp: new Ramp(rampStart, rampUpMs),
        queue: new FairQueue<Waiter>(weightOf),
        retrying: new IndexedHeap<Waiter>(
          (a, b) => a.notBefore < b.notBefore || (a.notBefore === b.notBefore && a.seq < b.seq),
        ),
        leases: new Map(),
        parked: 0,
        pausedUntil: 0,
        breaker: { state: 'closed', failures: 0, openUntil: 0, trialTicket: null },
        stopped: null,
        timer: null,
        timerAt: Infinity,
      };
    };
    this.#pools = { opus: make('opus'), sonnet: make('sonnet'), haiku: make('haiku') };
  }

  /**
   * Waits until the call may be sent and reserves its share of all three buckets.
   * Rejects with a DOMException `AbortError` when `signal` aborts while waiting, and with a
   * {@link LimiterError} for an invalid request, a retry the limiter refused, or after close.
   */
  acquire(request: AcquireRequest): Promise<Ticket> {
    if (this.#closed) return Promise.reject(new LimiterError('closed', 'the rate limiter is closed'));
    const problem = this.#validate(request);
    if (problem) return Promise.reject(new LimiterError('invalid-request', problem));
    if (request.signal?.aborted) return Promise.reject(abortError());

    const now = this.#clock.now();
    let chain: Chain;
    let notBefore = now;
    if (request.retryOf) {
      const pending = this.#retryable.get(request.retryOf);
      if (!pending) {
        return Promise.reject(
          new LimiterError(
            'retry-not-allowed',
            `ticket ${request.retryOf.id} has no retry granted by fail()`,
          ),
        );
      }
      this.#retryable.delete(request.retryOf);
      chain = pending.chain;
      notBefore = pending.notBefore;
    } else {
      chain = { firstQueuedAt: now, attempt: 1, serverRetries: 0, rateLimitRetries: 0 };
    }

    const pool = this.#pools[request.pool];
    pool.ramp.start(now);
    const reserved: Reservation = {
      requests: 1,
      input: Math.ceil(request.estimatedInputTokens),
      output: Math.min(Math.ceil(request.maxOutputTokens), Math.ceil(this.#estimateOutput(request.role))),
    };
    // Dominant-resource cost: fairness is over each team's share of the scarcest bucket.
    let cost = 0;
    for (const name of BUCKET_NAMES)
      cost = Math.max(cost, reserved[name] / Math.max(1, pool.buckets[name].limit));
    const rank = request.priority ?? this.#rolePriority[request.role];

    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = {
        heapIndex: -1,
        teamId: request.teamId,
        agingKey: chain.firstQueuedAt + rank * this.#agingStepMs,
        seq: ++this.#waiterSeq,
        cost,
        pool,
        agentId: request.agentId,
        role: request.role,
        reserved,
        chain,
        createdAt: now,
        notBefore,
        state: 'retrying',
        resolve,
        reject,
        signal: request.signal,
        onAbort: undefined,
      };
      if (request.signal) {
        waiter.onAbort = () => this.#cancel(waiter, abortError());
        request.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (notBefore > now) pool.retrying.push(waiter);
      else this.#enter(waiter);
      this.#pump(pool);
      this.#changed();
      if (waiter.state !== 'done') request.onWaiting?.();
    });
  }

  /** Settles a call that succeeded: reconciles its reservation with `usage` and learns from `headers`. */
  complete(ticket: Ticket, info: CompleteInfo): void {
    const lease = this.#lease(ticket);
    if (!lease) return;
    const now = this.#clock.now();
    const pool = lease.pool;
    this.#syncRamp(pool, now);
    this.#reconcile(lease, usageToReservation(info.usage), now);
    this.#learn(pool, info.headers, info.headersAt ?? now, now);
    this.#observeOutput(ticket.role, info.usage.output_tokens);
    this.#breakerSuccess(pool);
    this.#finish(lease);
  }

  /**
   * Settles a call that failed and decides whether it may be retried. On `retry: true` the
   * caller calls {@link acquire} again with `retryOf: ticket`; that call sits out `afterMs`
   * and then queues like any other. Never throws for an unknown or settled ticket.
   */
  fail(ticket: Ticket, info: FailInfo): FailDecision {
    const lease = this.#lease(ticket);
    if (!lease)
      return { retry: false, reason: 'not-in-flight', message: `ticket ${ticket.id} is not in flight` };
    const now = this.#clock.now();
    const pool = lease.pool;
    const chain = lease.chain;
    this.#syncRamp(pool, now);
    const status = info.status;
    const reserved = ticket.reserved;
    let decision: FailDecision;
    // What the server billed, or our best guess of what it counted when it did not say.
    let charged: Reservation;

    if (status === 429) {
      charged = info.usage ? usageToReservation(info.usage) : { requests: 1, input: 0, output: 0 };
      // The server answered, so it is up: a 429 never counts against the breaker.
      this.#breakerSuccess(pool);
      const errorText = `${info.errorType ?? ''} ${info.errorMessage ?? ''}`.toLowerCase();
      const retryAfterMs = parseRetryAfterMs(info.headers, now);
      if (errorText.includes(SPEND_LIMIT_MARKER)) {
        // A spend cap is per organisation, not per model: every pool would hit it next.
        const message = info.errorMessage ?? 'The organisation reached its spend limit.';
        for (const name of POOL_NAMES) this.#stop(this.#pools[name], 'spend-limit', message, now);
        decision = { retry: false, reason: 'pool-stopped', message };
      } else if (retryAfterMs === undefined) {
        const message = 'A 429 came without retry-after; the pool waits for a human to resume it.';
        this.#stop(pool, 'rate-limit-without-retry-after', message, now);
        decision = { retry: false, reason: 'pool-stopped', message };
      } else {
        const serverSaysEmpty = this.#serverSaysEmpty(info.headers, reserved);
        const weWereInDebt = BUCKET_NAMES.some((name) => pool.buckets[name].level(now) < 0);
        const acceleration = !serverSaysEmpty && !weWereInDebt;
        if (acceleration) {
          pool.ramp.cut(now, this.#accelerationBackoff, this.#minRateFraction);
          this.#syncRamp(pool, now);
        }
        pool.pausedUntil = Math.max(pool.pausedUntil, now + retryAfterMs);
        chain.rateLimitRetries++;
        decision =
          chain.rateLimitRetries > this.#maxRateLimitRetries
            ? this.#giveUp(
                'retries-exhausted',
                `gave up after ${chain.rateLimitRetries} rate-limited attempts`,
              )
            : {
                retry: true,
                afterMs: retryAfterMs,
                reason: acceleration ? 'acceleration-limited' : 'rate-limited',
              };
      }
    } else if (status === undefined || status === 408 || status === 409 || status >= 500) {
      const overloaded = status === 529;
      // A 529 is refused before any work; a 5xx or a cut connection may have been counted.
      charged = info.usage
        ? usageToReservation(info.usage)
        : { requests: 1, input: overloaded ? 0 : reserved.input, output: 0 };
      if (status === undefined || status >= 500) this.#breakerFailure(pool, now);
      else this.#breakerSuccess(pool);
      chain.serverRetries++;
      if (chain.serverRetries > this.#maxServerRetries) {
        decision = this.#giveUp('retries-exhausted', `gave up after ${chain.serverRetries} failed attempts`);
      } else {
        let afterMs = this.#backoffMs(chain.serverRetries);
        if (pool.breaker.state === 'open') afterMs = Math.max(afterMs, pool.breaker.openUntil - now);
        const reason = overloaded ? 'overloaded' : status === undefined ? 'connection-error' : 'server-error';
        decision = { retry: true, afterMs, reason };
      }
    } else {
      charged = info.usage ? usageToReservation(info.usage) : { requests: 1, input: 0, output: 0 };
      this.#breakerSuccess(pool);
      decision = this.#giveUp('not-retryable', `status ${status} is not retryable`);
    }

    this.#reconcile(lease, charged, now);
    this.#learn(pool, info.headers, info.headersAt ?? now, now);
    if (decision.retry) {
      this.#retryable.set(ticket, {
        chain: { ...chain, attempt: chain.attempt + 1 },
        notBefore: now + decision.afterMs,
      });
    }
    this.#finish(lease);
    return decision;
  }

  /**
   * Settles a call that was never sent, or that we cancelled: refunds the reservation, or
   * charges `usage` when the server had already billed part of it. Does not touch the breaker.
   */
  release(ticket: Ticket, usage?: Usage): void {
    const lease = this.#lease(ticket);
    if (!lease) return;
    const now = this.#clock.now();
    this.#syncRamp(lease.pool, now);
    const charged = usage ? usageToReservation(usage) : { requests: 0, input: 0, output: 0 };
    this.#reconcile(lease, charged, now);
    this.#finish(lease);
  }

  /** A plain JSON-serialisable snapshot of every pool. */
  getState(): LimiterState {
    const now = this.#clock.now();
    const pools = {} as Record<ModelPool, PoolState>;
    for (const name of POOL_NAMES) pools[name] = this.#poolState(this.#pools[name], now);
    const outputEstimates: Partial<Record<CallRole, number>> = {};
    for (const [role, estimate] of this.#outputEstimates) outputEstimates[role] = Math.round(estimate);
    return { at: now, pools, outputEstimates };
  }

  /**
   * Subscribes to state changes; the listener gets a snapshot at most once per
   * `stateThrottleMs`. Returns the unsubscribe function.
   */
  onChange(listener: (state: LimiterState) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Subscribes to alerts (a pool stopped and needs a human). Returns the unsubscribe function. */
  onAlert(listener: (alert: LimiterAlert) => void): () => void {
    this.#alertListeners.add(listener);
    return () => this.#alertListeners.delete(listener);
  }

  /** A human's go-ahead: clears the pool's stop, pause and breaker, and lets its queue move. */
  resumePool(poolName: ModelPool): void {
    const pool = this.#pools[poolName];
    pool.stopped = null;
    pool.pausedUntil = 0;
    this.#breakerSuccess(pool);
    this.#pump(pool);
    this.#changed();
  }

  /**
   * Replaces configured limits (e.g. from settings). Limits learned from response headers
   * win again as soon as the next response arrives.
   */
  setLimits(poolName: ModelPool, limits: Partial<PoolLimits>): void {
    const pool = this.#pools[poolName];
    const now = this.#clock.now();
    this.#syncRamp(pool, now);
    for (const name of BUCKET_NAMES) {
      const value = limits[LIMIT_KEYS[name]];
      if (value === undefined) continue;
      pool.buckets[name].setLimit(positive(LIMIT_KEYS[name], value, 0, true), now);
      pool.limitSource[name] = 'configured';
    }
    if (limits.burstWindowMs !== undefined) {
      const ms = positive('burstWindowMs', limits.burstWindowMs, 0);
      for (const name of BUCKET_NAMES) pool.buckets[name].setBurstWindow(ms, now);
    }
    this.#pump(pool);
    this.#changed();
  }

  /** Sets a team's fair-share weight (e.g. proportional to its budget); default 1. */
  setTeamWeight(teamId: string, weight: number): void {
    if (!(Number.isFinite(weight) && weight > 0))
      throw new RangeError(`team weight must be positive, got ${weight}`);
    this.#teamWeights.set(teamId, weight);
  }

  /** Stops all timers and rejects every waiting call with a `closed` LimiterError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new LimiterError('closed', 'the rate limiter is closed');
    const waiting: Waiter[] = [];
    for (const name of POOL_NAMES) {
      const pool = this.#pools[name];
      if (pool.timer !== null) this.#clock.clearTimeout(pool.timer);
      pool.timer = null;
      waiting.push(...pool.queue.drain(), ...pool.retrying.drain());
      pool.parked = 0;
    }
    for (const agent of this.#agents.values()) waiting.push(...agent.parked);
    this.#agents.clear();
    this.#leases.clear();
    for (const name of POOL_NAMES) this.#pools[name].leases.clear();
    if (this.#notifyTimer !== null) this.#clock.clearTimeout(this.#notifyTimer);
    this.#notifyTimer = null;
    this.#changeListeners.clear();
    this.#alertListeners.clear();
    for (const waiter of waiting) {
      waiter.state = 'done';
      this.#detach(waiter);
      waiter.reject(error);
    }
  }

  #validate(r: AcquireRequest): string | undefined {
    if (!POOL_NAMES.includes(r.pool)) return `unknown pool ${String(r.pool)}`;
    if (typeof r.agentId !== 'string' || r.agentId === '') return 'agentId is required';
    if (typeof r.teamId !== 'string' || r.teamId === '') return 'teamId is required';
    if (!(r.role in this.#rolePriority)) return `unknown role ${String(r.role)}`;
    if (r.priority !== undefined && !Number.isFinite(r.priority)) return 'priority must be a finite number';
    if (!(Number.isFinite(r.estimatedInputTokens) && r.estimatedInputTokens >= 0)) {
      return 'estimatedInputTokens must be a non-negative number';
    }
    if (!(Number.isFinite(r.maxOutputTokens) && r.maxOutputTokens >= 1))
      return 'maxOutputTokens must be at least 1';
    return undefined;
  }

  #lease(ticket: Ticket): Lease | undefined {
    const lease = this.#leases.get(ticket.id);
    return lease && lease.ticket === ticket ? lease : undefined;
  }

  #estimateOutput(role: CallRole): number {
    return this.#outputEstimates.get(role) ?? this.#initialOutputEstimate;
  }

  #observeOutput(role: CallRole, outputTokens: number): void {
    if (!(Number.isFinite(outputTokens) && outputTokens >= 0)) return;
    const previous = this.#estimateOutput(role);
    this.#outputEstimates.set(role, previous + this.#outputAlpha * (outputTokens - previous));
  }

  #backoffMs(retry: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (retry - 1));
    // "Equal jitter": at least half the step, so retries spread out but never bunch at zero.
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  #giveUp(reason: GiveUpReason, message: string): FailDecision {
    return { retry: false, reason, message };
  }

  /** True when the 429's own headers show a bucket without room for this call. */
  #serverSaysEmpty(headers: HeaderSource | undefined, reserved: Readonly<Reservation>): boolean {
    const info = parseRateLimitHeaders(headers);
    return BUCKET_NAMES.some((name) => {
      const remaining = info[name].remaining;
      return remaining !== undefined && remaining < reserved[name];
    });
  }

  #syncRamp(pool: PoolRuntime, now: number): void {
    const factor = pool.ramp.factor(now);
    for (const name of BUCKET_NAMES) pool.buckets[name].setFactor(factor, now);
  }

  #reconcile(lease: Lease, actual: Reservation, now: number): void {
    for (const name of BUCKET_NAMES) {
      lease.pool.buckets[name].settle(lease.ticket.reserved[name], actual[name], lease.marks[name], now);
    }
    lease.pool.lastMinute.settle(lease.usage, actual);
  }

  #learn(pool: PoolRuntime, headers: HeaderSource | undefined, at: number, now: number): void {
    if (!headers) return;
    const info = parseRateLimitHeaders(headers);
    for (const name of BUCKET_NAMES) {
      const seen = info[name];
      const bucket = pool.buckets[name];
      if (seen.limit !== undefined && seen.limit > 0) {
        if (seen.limit !== bucket.limit) bucket.setLimit(seen.limit, now);
        pool.limitSource[name] = 'headers';
      }
      if (seen.remaining !== undefined) {
        bucket.syncRemaining(seen.remaining, at, now);
        pool.server[name].remaining = seen.remaining;
      }
      if (seen.resetAt !== undefined) pool.server[name].resetAt = seen.resetAt;
    }
  }

  #stop(pool: PoolRuntime, reason: StopReason, message: string, now: number): void {
    if (pool.stopped) return;
    pool.stopped = { reason, message, since: now };
    const alert: LimiterAlert = { kind: 'pool-stopped', pool: pool.name, reason, message, at: now };
    for (const listener of this.#alertListeners) {
      try {
        listener(alert);
      } catch {
        // A broken listener must not break the accounting of the call that raised the alert.
      }
    }
  }

  #breakerState(pool: PoolRuntime, now: number): BreakerState {
    const breaker = pool.breaker;
    if (breaker.state === 'open' && now >= breaker.openUntil) {
      breaker.state = 'half-open';
      breaker.trialTicket = null;
    }
    return breaker.state;
  }

  #breakerSuccess(pool: PoolRuntime): void {
    pool.breaker.state = 'closed';
    pool.breaker.failures = 0;
    pool.breaker.openUntil = 0;
  }

  #breakerFailure(pool: PoolRuntime, now: number): void {
    const breaker = pool.breaker;
    breaker.failures++;
    if (this.#breakerState(pool, now) === 'half-open' || breaker.failures >= this.#breakerThreshold) {
      breaker.state = 'open';
      breaker.openUntil = now + this.#breakerOpenMs;
    }
  }

  #agent(agentId: string): AgentRuntime {
    let agent = this.#agents.get(agentId);
    if (!agent) {
      agent = { active: 0, parked: new Set() };
      this.#agents.set(agentId, agent);
    }
    return agent;
  }

  /** Puts a due waiter in its pool queue, or parks it behind its agent's cap. */
  #enter(waiter: Waiter): void {
    const agent = this.#agent(waiter.agentId);
    if (agent.active < this.#maxInFlightPerAgent) {
      agent.active++;
      waiter.state = 'queued';
      waiter.pool.queue.push(waiter);
    } else {
      waiter.state = 'parked';
      agent.parked.add(waiter);
      waiter.pool.parked++;
    }
  }

  /** Frees one of the agent's slots and hands it to its oldest parked call, which is returned. */
  #releaseAgent(agentId: string): Waiter | undefined {
    const agent = this.#agents.get(agentId);
    if (!agent) return undefined;
    agent.active--;
    const next = agent.parked.values().next().value;
    if (next) {
      agent.parked.delete(next);
      next.pool.parked--;
      agent.active++;
      next.state = 'queued';
      next.pool.queue.push(next);
    } else if (agent.active <= 0) {
      this.#agents.delete(agentId);
    }
    return next;
  }

  #finish(lease: Lease): void {
    const pool = lease.pool;
    this.#leases.delete(lease.ticket.id);
    pool.leases.delete(lease.ticket.id);
    const oldest = pool.leases.values().next().value;
    for (const name of BUCKET_NAMES) pool.buckets[name].forgetBefore(oldest?.marks[name]);
    if (pool.breaker.trialTicket === lease.ticket.id) pool.breaker.trialTicket = null;
    const promoted = this.#releaseAgent(lease.ticket.agentId);
    this.#pump(pool);
    if (promoted && promoted.pool !== pool) this.#pump(promoted.pool);
    this.#changed();
  }

  #cancel(waiter: Waiter, error: unknown): void {
    const pool = waiter.pool;
    let promoted: Waiter | undefined;
    switch (waiter.state) {
      case 'retrying':
        pool.retrying.remove(waiter);
        break;
      case 'parked': {
        const agent = this.#agents.get(waiter.agentId);
        agent?.parked.delete(waiter);
        pool.parked--;
        if (agent && agent.active <= 0 && agent.parked.size === 0) this.#agents.delete(waiter.agentId);
        break;
      }
      case 'queued':
        pool.queue.remove(waiter);
        promoted = this.#releaseAgent(waiter.agentId);
        break;
      case 'done':
        return;
    }
    waiter.state = 'done';
    this.#detach(waiter);
    waiter.reject(error);
    this.#pump(pool);
    if (promoted && promoted.pool !== pool) this.#pump(promoted.pool);
    this.#changed();
  }

  #detach(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  /**
   * Grants every call that can go now, in queue order, then arms the pool's single timer for
   * the next moment something can change (head fits, pause ends, breaker half-opens, a retry
   * back-off ends). The head of the queue is never skipped, so a big call cannot starve.
   */
  #pump(pool: PoolRuntime): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#syncRamp(pool, now);
    for (let w = pool.retrying.peek(); w && w.notBefore <= now; w = pool.retrying.peek()) {
      pool.retrying.pop();
      this.#enter(w);
    }
    let wakeAt = Infinity;
    let granted = false;
    for (;;) {
      if (pool.stopped) break;
      if (pool.pausedUntil > now) {
        wakeAt = pool.pausedUntil;
        break;
      }
      const breaker = this.#breakerState(pool, now);
      if (breaker === 'open') {
        wakeAt = pool.breaker.openUntil;
        break;
      }
      if (breaker === 'half-open' && pool.breaker.trialTicket !== null) break;
      const head = pool.queue.peek();
      if (!head) break;
      let wait = 0;
      for (const name of BUCKET_NAMES)
        wait = Math.max(wait, pool.buckets[name].timeUntil(head.reserved[name], now));
      if (wait > 0) {
        wakeAt = now + Math.max(1, Math.ceil(wait));
        break;
      }
      pool.queue.pop();
      this.#grant(pool, head, now);
      granted = true;
    }
    if (wakeAt !== Infinity && pool.ramp.factor(now) < 1) wakeAt = Math.min(wakeAt, now + RAMP_RECHECK_MS);
    const nextRetry = pool.retrying.peek();
    if (nextRetry) wakeAt = Math.min(wakeAt, nextRetry.notBefore);
    this.#arm(pool, wakeAt, now);
    if (granted) this.#changed();
  }

  #grant(pool: PoolRuntime, waiter: Waiter, now: number): void {
    const marks = {} as Record<BucketName, BucketMark>;
    for (const name of BUCKET_NAMES) marks[name] = pool.buckets[name].take(waiter.reserved[name], now);
    const ticket: Ticket = Object.freeze({
      id: ++this.#ticketSeq,
      pool: pool.name,
      agentId: waiter.agentId,
      teamId: waiter.teamId,
      role: waiter.role,
      reserved: Object.freeze({ ...waiter.reserved }),
      waitedMs: now - waiter.createdAt,
      attempt: waiter.chain.attempt,
      grantedAt: now,
    });
    const usage = pool.lastMinute.add(now, waiter.reserved);
    const lease: Lease = { ticket, pool, chain: waiter.chain, marks, usage };
    this.#leases.set(ticket.id, lease);
    pool.leases.set(ticket.id, lease);
    if (pool.breaker.state === 'half-open') pool.breaker.trialTicket = ticket.id;
    waiter.state = 'done';
    this.#detach(waiter);
    waiter.resolve(ticket);
  }

  #arm(pool: PoolRuntime, wakeAt: number, now: number): void {
    if (wakeAt === pool.timerAt && pool.timer !== null) return;
    if (pool.timer !== null) this.#clock.clearTimeout(pool.timer);
    pool.timer = null;
    pool.timerAt = wakeAt;
    if (wakeAt === Infinity) return;
    pool.timer = this.#clock.setTimeout(
      () => {
        pool.timer = null;
        pool.timerAt = Infinity;
        this.#pump(pool);
      },
      Math.max(0, wakeAt - now),
    );
  }

  #changed(): void {
    if (this.#closed || this.#changeListeners.size === 0 || this.#notifyTimer !== null) return;
    this.#notifyTimer = this.#clock.setTimeout(() => {
      this.#notifyTimer = null;
      const state = this.getState();
      for (const listener of this.#changeListeners) {
        try {
          listener(state);
        } catch {
          // The UI's listener failing must not stop the limiter.
        }
      }
    }, this.#stateThrottleMs);
  }

  #poolState(pool: PoolRuntime, now: number): PoolState {
    this.#syncRamp(pool, now);
    const lastMinute = pool.lastMinute.used(now);
    const bucketState = (name: BucketName): BucketState => {
      const bucket = pool.buckets[name];
      const level = bucket.level(now);
      const capacity = bucket.capacity;
      return {
        limit: bucket.limit,
        limitSource: pool.limitSource[name],
        effectiveLimit: bucket.effectiveLimit,
        capacity,
        level,
        utilization: capacity > 0 ? Math.max(0, (capacity - level) / capacity) : 0,
        usedLastMinute: Math.round(lastMinute[name]),
        refillPerMs: bucket.refillPerMs,
        serverRemaining: pool.server[name].remaining,
        serverResetAt: pool.server[name].resetAt,
      };
    };
    const breaker = this.#breakerState(pool, now);
    const queued = pool.queue.size;
    const retrying = pool.retrying.size;
    return {
      pool: pool.name,
      buckets: {
        requests: bucketState('requests'),
        input: bucketState('input'),
        output: bucketState('output'),
      },
      rateFactor: pool.ramp.factor(now),
      queueDepth: queued + pool.parked + retrying,
      waiting: { queued, parked: pool.parked, retrying },
      inFlight: pool.leases.size,
      pausedUntil: pool.pausedUntil > now ? pool.pausedUntil : null,
      breaker: {
        state: breaker,
        consecutiveFailures: pool.breaker.failures,
        openUntil: breaker === 'open' ? pool.breaker.openUntil : null,
      },
      stopped: pool.stopped ? { ...pool.stopped } : null,
    };
  }
}
