import { BUCKET_NAMES, type BucketName, type Reservation } from './types.js';
import { MINUTE_MS } from './token-bucket.js';

/** One granted call in the window: what it holds of each bucket (its reservation, then its usage). */
export interface UsageEntry {
  readonly at: number;
  amounts: Reservation;
  /** False once the entry left the window (a late settle must not touch the sums). */
  inWindow: boolean;
}

/**
 * What a pool used over the last minute, bucket by bucket: each call counts from its grant,
 * at its reservation while in flight and at its real usage once settled.
 *
 * Why it exists beside the buckets: a bucket refills continuously at limit / minute, so at
 * 4 000 RPM one call's request is back 15 ms after its grant and the bucket's level says
 * nothing about how busy the pool is (a gauge reading it showed 0 % while 17 calls a minute
 * ran). Anthropic states every limit per minute, so the minute's use against the limit is
 * the figure a person reads as "how close are we".
 */
export class UsageWindow {
  readonly #windowMs: number;
  #entries: UsageEntry[] = [];
  #start = 0;
  #sums: Reservation = { requests: 0, input: 0, output: 0 };

  constructor(windowMs = MINUTE_MS) {
    this.#windowMs = windowMs;
  }

  /** Counts a grant at `at` holding `reserved`; grants arrive in clock order. */
  add(at: number, reserved: Reservation): UsageEntry {
    this.#prune(at);
    const entry: UsageEntry = { at, amounts: { ...reserved }, inWindow: true };
    this.#entries.push(entry);
    for (const name of BUCKET_NAMES) this.#sums[name] += reserved[name];
    return entry;
  }

  /** Replaces an entry's reservation with what the call really used (0 for a call never sent). */
  settle(entry: UsageEntry, used: Reservation): void {
    if (entry.inWindow) {
      for (const name of BUCKET_NAMES) this.#sums[name] += used[name] - entry.amounts[name];
    }
    entry.amounts = { ...used };
  }

  /** The sums of the entries granted within the window ending at `now`. */
  used(now: number): Record<BucketName, number> {
    this.#prune(now);
    return {
      requests: Math.max(0, this.#sums.requests),
      input: Math.max(0, this.#sums.input),
      output: Math.max(0, this.#sums.output),
    };
  }

  #prune(now: number): void {
    const cutoff = now - this.#windowMs;
    while (this.#start < this.#entries.length && this.#entries[this.#start]!.at <= cutoff) {
      const old = this.#entries[this.#start++]!;
      old.inWindow = false;
      for (const name of BUCKET_NAMES) this.#sums[name] -= old.amounts[name];
    }
    // Compact now and then so a long run does not keep every call ever granted.
    if (this.#start > 1_024 && this.#start * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
    // An empty window sums to exactly zero, whatever float residue the adds and subtracts left.
    if (this.#start === this.#entries.length) this.#sums = { requests: 0, input: 0, output: 0 };
  }
}
