/**
 * Measurement for the limiter benchmark, the same for every contender: a wrapper around
 * the global `fetch` (which every SDK client captures when constructed) attributes each
 * HTTP attempt to the logical call it belongs to through AsyncLocalStorage, and a sampler
 * reads what the fake server billed, so throughput comes from the server's own log.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { BillingEntry } from '../../main/llm/testing/fake-messages-api.js';

/** What one logical call went through; filled in by the fetch wrapper and the agent loop. */
export interface CallTrace {
  issuedAt: number;
  /** HTTP attempts, including the SDK's own retries and the agent re-issuing a failed call. */
  attempts: number;
  http429: number;
  /** Which limit each 429 named (requests, input tokens, output tokens). */
  rejectedBy: string[];
  /** When the attempt that got a 200 was sent. */
  okSentAt: number | null;
  completedAt: number | null;
  /** Times the client gave up on the call (SDK retries exhausted); the agent re-issued it. */
  giveUps: number;
}

const current = new AsyncLocalStorage<CallTrace>();
let installed = false;

/**
 * Wraps the global fetch once. Must run before any Anthropic client is constructed: the
 * SDK takes `fetch` at construction.
 */
export function installFetchTracing(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const trace = current.getStore();
    const sentAt = performance.now();
    if (trace) trace.attempts++;
    const response = await original(input, init);
    if (trace) {
      if (response.status === 429) {
        trace.http429++;
        // The fake names the bucket in the message; read a clone so the SDK still gets the body.
        const text = await response.clone().text();
        trace.rejectedBy.push(/(requests|input tokens|output tokens) per minute/.exec(text)?.[1] ?? 'other');
      } else if (response.status === 200) trace.okSentAt = sentAt;
    }
    return response;
  };
}

/** Runs `fn` with `trace` as the call every fetch inside it is attributed to. */
export function withTrace<T>(trace: CallTrace, fn: () => Promise<T>): Promise<T> {
  return current.run(trace, fn);
}

export function newTrace(): CallTrace {
  return {
    issuedAt: performance.now(),
    attempts: 0,
    http429: 0,
    rejectedBy: [],
    okSentAt: null,
    completedAt: null,
    giveUps: 0,
  };
}

/** Cumulative server-side totals at one moment. */
export interface BillingSample {
  at: number;
  requests: number;
  input: number;
  output: number;
  /** The fake's output bucket replayed from the billing log (charged when a call ends). */
  outputLevel: number;
}

/**
 * Samples the fake's billing log every `everyMs`. Each entry is attributed to the sample
 * that first sees it, so times are late by at most `everyMs` (the fake charges output when
 * a call ends, which is when it writes the entry).
 */
export class BillingSampler {
  readonly samples: BillingSample[] = [];
  #seen = 0;
  #timer: NodeJS.Timeout | undefined;
  #last: BillingSample;
  readonly #billing: BillingEntry[];
  readonly #otpm: number;

  constructor(billing: BillingEntry[], otpm: number, startedAt: number, everyMs = 100) {
    this.#billing = billing;
    this.#otpm = otpm;
    // The fake creates a pool's buckets full, at its first request: the drain call, just after this.
    this.#last = { at: startedAt, requests: 0, input: 0, output: 0, outputLevel: otpm };
    this.samples.push(this.#last);
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): BillingSample {
    const now = performance.now();
    const prev = this.#last;
    let { requests, input, output } = prev;
    let charged = 0;
    for (; this.#seen < this.#billing.length; this.#seen++) {
      const b = this.#billing[this.#seen] as BillingEntry;
      requests += 1;
      input += b.inputTokens + b.cacheCreationInputTokens;
      output += b.outputTokens;
      charged += b.outputTokens;
    }
    const refill = ((now - prev.at) * this.#otpm) / 60_000;
    const outputLevel = Math.min(this.#otpm, prev.outputLevel + refill) - charged;
    this.#last = { at: now, requests, input, output, outputLevel };
    this.samples.push(this.#last);
    return this.#last;
  }

  /** The last sample taken at or before `at`. */
  at(at: number): BillingSample {
    let found = this.samples[0] as BillingSample;
    for (const s of this.samples) {
      if (s.at > at) break;
      found = s;
    }
    return found;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Nearest-rank percentile; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Least-squares slope of a cumulative count over time, per minute. Steadier than the
 * difference of two end points: the fake charges a call's output in one lump when it
 * ends and lets its bucket swing into debt, so a single sample can be seconds off.
 */
export function ratePerMinute(
  samples: readonly BillingSample[],
  key: 'requests' | 'input' | 'output',
): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const meanT = samples.reduce((a, s) => a + s.at, 0) / n;
  const meanY = samples.reduce((a, s) => a + s[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.at - meanT) * (s[key] - meanY);
    den += (s.at - meanT) ** 2;
  }
  return den > 0 ? (num / den) * 60_000 : NaN;
}
