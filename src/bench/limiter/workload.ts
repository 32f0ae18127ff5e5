/**
 * The limiter benchmark's workload: the same seeded sequence of calls for every contender.
 * Sizes are chosen so the output-token bucket binds (not requests per minute), which is
 * where a limiter that counts only requests fails: the fake admits a call while its output
 * bucket holds a single token and charges the real output when the call ends.
 */
import type { FakeResponder } from '../../main/llm/testing/fake-messages-api.js';
import type { MessagesRequest } from '../../main/llm/provider.js';

export const BENCH_MODEL = 'claude-haiku-4-5';

/** Per-minute limits, the same on the fake server and in every client-side limiter. */
export interface BenchLimits {
  rpm: number;
  itpm: number;
  otpm: number;
}

/** One logical call as the workload defines it (before any client turns it into HTTP). */
export interface CallSpec {
  agent: number;
  index: number;
  inputTokens: number;
  outputTokens: number;
  /** Tool time before the agent issues this call. */
  thinkMs: number;
}

export interface WorkloadOptions {
  seed: number;
  agents: number;
  /** Think time between an agent's calls is uniform in [min, max]. */
  thinkMs: { min: number; max: number };
  maxTokens: number;
}

/** mulberry32, as in the fake: small, fast, identical on every platform for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Expected sizes of {@link drawSizes}, for the printed "which limit binds" arithmetic. */
export const MEAN_INPUT_TOKENS = 3_000;
export const MEAN_OUTPUT_TOKENS = 0.6 * 250 + 0.3 * 950 + 0.1 * 2_250;
const MAX_CALL_OUTPUT = 3_000;

/**
 * Agent-like sizes: input 1k-5k tokens (context), output mostly short with a long tail
 * (60 % 100-400, 30 % 400-1 500, 10 % 1 500-3 000: a file written now and then).
 */
function drawSizes(random: () => number): { inputTokens: number; outputTokens: number } {
  const inputTokens = 1_000 + Math.floor(4_000 * random());
  const r = random();
  const u = random();
  const outputTokens =
    r < 0.6
      ? 100 + Math.floor(300 * u)
      : r < 0.9
        ? 400 + Math.floor(1_100 * u)
        : 1_500 + Math.floor(1_500 * u);
  return { inputTokens, outputTokens };
}

/**
 * An agent's endless, deterministic call sequence: the same for every contender, so they
 * differ only in how they send. Each agent has its own stream so that how many calls one
 * agent completes does not shift what the others ask for.
 */
export function* agentCalls(options: WorkloadOptions, agent: number): Generator<CallSpec> {
  const random = prng(options.seed * 7_919 + agent + 1);
  const { min, max } = options.thinkMs;
  for (let index = 0; ; index++) {
    const sizes = drawSizes(random);
    const r = random();
    // Agents start within the first second, so demand exceeds the limit from the start
    // instead of letting both buckets fill up during a quiet first think time.
    const thinkMs = index === 0 ? FIRST_CALL_SPREAD_MS * r : min + (max - min) * r;
    yield { agent, index, ...sizes, thinkMs };
  }
}

const FIRST_CALL_SPREAD_MS = 1_000;

const FILLER = 'the agent reads the file and considers the failing test before it edits. ';

/**
 * The HTTP request for a call. The fake counts ~4 characters a token over the prompt, so
 * the filler is sized to the wanted input; the wanted output rides in the text for the
 * responder to read back.
 */
export function toRequest(
  spec: Pick<CallSpec, 'agent' | 'index' | 'inputTokens' | 'outputTokens'>,
  maxTokens: number,
): MessagesRequest {
  const head = `[agent ${spec.agent} call ${spec.index} out=${spec.outputTokens}] `;
  const chars = Math.max(0, spec.inputTokens * 4 - head.length - 40);
  const filler = FILLER.repeat(Math.ceil(chars / FILLER.length)).slice(0, chars);
  return {
    model: BENCH_MODEL,
    max_tokens: Math.max(maxTokens, spec.outputTokens),
    system: 'You are a careful coder.',
    messages: [{ role: 'user', content: head + filler }],
  };
}

/**
 * Replies with exactly the output the call asked for. The streamed text is one character
 * per two tokens so that service time grows with output, as it does on the real API,
 * without flooding the event loop with deltas.
 */
export const benchResponder: FakeResponder = ({ body }) => {
  const last = body.messages.at(-1);
  const text = typeof last?.content === 'string' ? last.content : '';
  const outputTokens = Number(/out=(\d+)/.exec(text)?.[1] ?? 100);
  // The drain call bills a minute of output at once; streaming it would only delay the run.
  const chars = outputTokens > MAX_CALL_OUTPUT ? 16 : Math.ceil(outputTokens / 2);
  return { content: [{ type: 'text', text: 'x'.repeat(chars) }], outputTokens };
};
