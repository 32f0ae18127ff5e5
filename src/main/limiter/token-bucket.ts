/** Anthropic states every limit per minute; buckets refill at limit / MINUTE_MS per ms. */
export const MINUTE_MS = 60_000;

// Float slack so a bucket that refilled to exactly what a waiter needs admits it.
const EPSILON = 1e-6;

/** Where a reservation started: needed to settle it without over-refunding. */
export interface BucketMark {
  /** Sequence number of the bucket event that took the reservation. */
  readonly event: number;
  readonly refunded: number;
}

/** Construction options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** The per-minute limit (configured or learned from headers). */
  limit: number;
  /** Length of the burst window: capacity = effective limit * burstWindowMs / 60 000. */
  burstWindowMs?: number;
  /** Fraction of the limit currently used (ramp-up / back-off), 0 < factor <= 1. */
  factor?: number;
  /** Clock time of creation; the bucket starts full. */
  now: number;
}

/**
 * A continuously refilling token bucket that may go negative (debt).
 *
 * Effective limit = limit * factor; refill = effective limit / 60 000 per ms; capacity =
 * effective limit * burstWindowMs / 60 000. A reservation larger than the capacity is
 * admitted once the bucket is full (it is clamped), leaving the bucket in debt, so a huge
 * prompt waits for a full bucket instead of waiting forever.
 *
 * Refunds are bounded so that refunded tokens never buy more than the call's real usage
 * would have allowed: had the call reserved only what it used, the unused part would have
 * sat in the bucket since the grant, and whatever of it the capacity cap would have thrown
 * away is lost. The bucket therefore keeps the minimum headroom (capacity - level) seen since
 * each in-flight grant (a monotonic stack, amortised O(1) per event, O(log n) per settle)
 * and refunds at most that, less what other refunds have used of it since.
 */
export class TokenBucket {
  #limit: number;
  #burstWindowMs: number;
  #factor: number;
  #level: number;
  #lastRefill: number;
  /** (time, headroom) with both strictly increasing: the suffix minimum of headroom. */
  #history: { event: number; headroom: number }[] = [];
  #historyStart = 0;
  #event = 0;
  #refunded = 0;

  constructor(options: TokenBucketOptions) {
    this.#limit = checkLimit(options.limit);
    this.#burstWindowMs = checkWindow(options.burstWindowMs ?? MINUTE_MS);
    this.#factor = checkFactor(options.factor ?? 1);
    this.#lastRefill = options.now;
    this.#level = this.capacity;
  }

  get limit(): number {
    return this.#limit;
  }

  get factor(): number {
    return this.#factor;
  }

  get burstWindowMs(): number {
    return this.#burstWindowMs;
  }

  get effectiveLimit(): number {
    return this.#limit * this.#factor;
  }

  get capacity(): number {
    return (this.effectiveLimit * this.#burstWindowMs) / MINUTE_MS;
  }

  get refillPerMs(): number {
    return this.effectiveLimit / MINUTE_MS;
  }

  /** Tokens available at `now` (negative while in debt). */
  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** Milliseconds until `amount` can be taken (0 if it can be now; Infinity if never). */
  timeUntil(amount: number, now: number): number {
    this.#refill(now);
    const need = Math.min(amount, this.capacity);
    const missing = need - this.#level;
    if (missing <= EPSILON * Math.max(1, need)) return 0;
    const rate = this.refillPerMs;
    return rate > 0 ? missing / rate : Infinity;
  }

  /**
   * Takes `amount` unconditionally (callers check {@link timeUntil} first).
   * @returns the mark to settle this reservation with.
   */
  take(amount: number, now: number): BucketMark {
    this.#refill(now);
    this.#level -= amount;
    this.#record();
    return { event: this.#event, refunded: this.#refunded };
  }

  /**
   * Settles a reservation taken at `mark`: charges usage above it as debt, refunds unused
   * tokens as far as the capacity cap since the grant allows.
   * @returns the tokens actually given back (negative for debt).
   */
  settle(reserved: number, used: number, mark: BucketMark, now: number): number {
    this.#refill(now);
    let delta = reserved - used;
    if (delta > 0) {
      const room = this.#minHeadroomSince(mark.event) - (this.#refunded - mark.refunded);
      delta = Math.max(0, Math.min(delta, room, this.capacity - this.#level));
      this.#refunded += delta;
    }
    this.#level += delta;
    this.#record();
    return delta;
  }

  /** Drops history older than `oldest`, the mark of the oldest reservation still in flight. */
  forgetBefore(oldest: BucketMark | undefined): void {
    const h = this.#history;
    const event = oldest ? oldest.event : this.#event;
    while (this.#historyStart < h.length - 1 && (h[this.#historyStart] as { event: number }).event < event) {
      this.#historyStart++;
    }
    if (this.#historyStart > 64 && this.#historyStart * 2 > h.length) {
      this.#history = h.slice(this.#historyStart);
      this.#historyStart = 0;
    }
  }

  /**
   * Lowers the level to what the server reported: `remaining` tokens at `at`, refilled since.
   * Never raises it: the server has not yet counted our own calls still in flight.
   */
  syncRemaining(remaining: number, at: number, now: number): void {
    this.#refill(now);
    const serverNow = remaining + this.refillPerMs * Math.max(0, now - at);
    this.#level = Math.min(this.#level, serverNow);
    this.#record();
  }

  setLimit(limit: number, now: number): void {
    this.#refill(now);
    this.#limit = checkLimit(limit);
    this.#level = Math.min(this.#level, this.capacity);
    this.#record();
  }

  setFactor(factor: number, now: number): void {
    if (factor === this.#factor) return;
    // Refill the elapsed span at the old rate first: the ramp only ever credits what was allowed.
    this.#refill(now);
    this.#factor = checkFactor(factor);
    this.#level = Math.min(this.#level, this.capacity);
    this.#record();
  }

  setBurstWindow(burstWindowMs: number, now: number): void {
    this.#refill(now);
    this.#burstWindowMs = checkWindow(burstWindowMs);
    this.#level = Math.min(this.#level, this.capacity);
    this.#record();
  }

  #refill(now: number): void {
    const elapsed = now - this.#lastRefill;
    if (elapsed <= 0) return;
    this.#lastRefill = now;
    const capacity = this.capacity;
    if (this.#level < capacity) this.#level = Math.min(capacity, this.#level + elapsed * this.refillPerMs);
    // Between events headroom only shrinks, so its minimum over the gap is here, at the end.
    this.#record();
  }

  #record(): void {
    const headroom = Math.max(0, this.capacity - this.#level);
    const h = this.#history;
    while (h.length > this.#historyStart && (h[h.length - 1] as { headroom: number }).headroom >= headroom)
      h.pop();
    h.push({ event: ++this.#event, headroom });
  }

  /** Minimum headroom from bucket event `event` (inclusive) to now. */
  #minHeadroomSince(event: number): number {
    const h = this.#history;
    let lo = this.#historyStart;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((h[mid] as { event: number }).event < event) lo = mid + 1;
      else hi = mid;
    }
    const entry = h[lo];
    return entry ? entry.headroom : Math.max(0, this.capacity - this.#level);
  }
}

function checkLimit(limit: number): number {
  if (!Number.isFinite(limit) || limit < 0) throw new RangeError(`invalid limit ${limit}`);
  return limit;
}

function checkWindow(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`invalid burst window ${ms}`);
  return ms;
}

function checkFactor(factor: number): number {
  if (!Number.isFinite(factor) || factor <= 0 || factor > 1) throw new RangeError(`invalid factor ${factor}`);
  return factor;
}
