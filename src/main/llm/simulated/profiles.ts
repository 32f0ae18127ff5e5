/**
 * How each model class behaves in the simulation: how long it thinks before the first
 * token, how fast it streams, and how many tokens it spends beyond what it shows.
 * Figures are in the range the real API shows; Opus is the slowest and most verbose.
 */
import { findModel, type ModelPool } from '../../../shared/models.js';
import type { Rng } from './random.js';

export interface ModelProfile {
  pool: ModelPool;
  /** Median time to first token, ms, for a short prompt. */
  firstTokenMedianMs: number;
  /** Spread (sigma of the underlying normal) of the log-normal first-token latency. */
  firstTokenSigma: number;
  /** Extra first-token latency per uncached input token, ms (prefill). */
  prefillMsPerToken: number;
  /** Output speed range, tokens per second. */
  tokensPerSecond: readonly [number, number];
  /** Output tokens per visible token (reasoning, formatting). */
  verbosity: number;
  /** Output tokens spent per reply before anything visible. */
  overheadTokens: readonly [number, number];
}

export const PROFILES: Record<ModelPool, ModelProfile> = {
  opus: {
    pool: 'opus',
    firstTokenMedianMs: 1_450,
    firstTokenSigma: 0.3,
    prefillMsPerToken: 0.02,
    tokensPerSecond: [60, 75],
    verbosity: 1.45,
    overheadTokens: [60, 180],
  },
  sonnet: {
    pool: 'sonnet',
    firstTokenMedianMs: 950,
    firstTokenSigma: 0.3,
    prefillMsPerToken: 0.012,
    tokensPerSecond: [75, 95],
    verbosity: 1.25,
    overheadTokens: [30, 100],
  },
  haiku: {
    pool: 'haiku',
    firstTokenMedianMs: 620,
    firstTokenSigma: 0.28,
    prefillMsPerToken: 0.006,
    tokensPerSecond: [100, 120],
    verbosity: 1.08,
    overheadTokens: [8, 40],
  },
};

/** The pool of a model id; unknown ids are classed by name, defaulting to Sonnet. */
export function poolOf(model: string): ModelPool {
  const known = findModel(model);
  if (known) return known.pool;
  if (/opus/i.test(model)) return 'opus';
  if (/haiku/i.test(model)) return 'haiku';
  return 'sonnet';
}

/** Timing of one reply, unscaled, in ms. */
export interface LatencyPlan {
  /** From send to message_start (connection, queueing, prompt processing). */
  startMs: number;
  /** From message_start to the first content delta. */
  firstDeltaMs: number;
  /** From the first delta to the last, spread over the content. */
  streamMs: number;
}

/** Draws the timing of a reply of `outputTokens` after `uncachedInputTokens` of prefill. */
export function planLatency(
  profile: ModelProfile,
  rng: Rng,
  uncachedInputTokens: number,
  outputTokens: number,
): LatencyPlan {
  // Clamped so one unlucky draw never stalls a demo for half a minute.
  const firstToken = Math.min(
    profile.firstTokenMedianMs * 6,
    rng.lognormal(profile.firstTokenMedianMs, profile.firstTokenSigma) +
      uncachedInputTokens * profile.prefillMsPerToken,
  );
  const startShare = 0.55 + rng.next() * 0.2;
  const [low, high] = profile.tokensPerSecond;
  const speed = low + rng.next() * (high - low);
  return {
    startMs: firstToken * startShare,
    firstDeltaMs: firstToken * (1 - startShare),
    streamMs: (outputTokens / speed) * 1_000,
  };
}

/**
 * The shape of a simulated coder's session. `demo` is quick (a look around, write, submit:
 * about five turns a task), for demos and tests. `session` is shaped like real coding
 * sessions, for the cost benchmark: the coder reads the code around its task one file a
 * turn before writing, so a task takes tens of turns, the context grows with every turn,
 * and each tool output is a whole source file (a few thousand tokens in a real repository).
 */
export interface WorkloadProfile {
  /** Files a coder reads before writing, at most (fewer when the repository has fewer). */
  readsPerTask: number;
}

export const WORKLOADS = {
  demo: { readsPerTask: 0 },
  session: { readsPerTask: 24 },
} as const satisfies Record<string, WorkloadProfile>;

export type WorkloadName = keyof typeof WORKLOADS;
