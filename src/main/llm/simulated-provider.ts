/**
 * The `ModelProvider` used when no API key is set: demos, tests, CI and benchmarks.
 * It plays every agent role for real through the engine's tool catalogue — leaders plan
 * with create_task/submit_plan and review with approve/reject, coders list, write, edit
 * and run commands and submit — and bills realistic usage with realistic latency.
 *
 * A reply is a pure function of the seed and the request (never of state kept between
 * calls), so a mission resumed after a crash replays exactly as it would have run. It
 * streams through `onEvent` like the Anthropic provider and honours the abort signal
 * with the same partial-usage rule, so the limiter and the ledger treat both alike.
 */
import { randomUUID } from 'node:crypto';
import {
  parseToolInput,
  ProviderError,
  type ModelProvider,
  type MessagesRequest,
  type ProviderEvent,
  type ProviderResult,
  type ResponseContentBlock,
  type SendOptions,
  type StopReason,
  type Usage,
} from './provider.js';
import { messageText, systemText } from './simulated/conversation.js';
import { planLatency, poolOf, PROFILES, WORKLOADS, type WorkloadName } from './simulated/profiles.js';
import { hashParts, Rng } from './simulated/random.js';
import type { Behaviour, DraftBlock } from './simulated/reply.js';
import { draftReply } from './simulated/roles.js';
import { inputUsage, outputTokens, toUsage } from './simulated/usage.js';

/** Waits `ms`, returning early (or rejecting) when `signal` aborts. */
export type SimulatedSleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface SimulatedProviderOptions {
  /** Seed of every decision; the same seed and request always give the same reply. Default 1. */
  seed?: number;
  /** Multiplies every delay; 0 means no waiting at all (tests, benchmarks). Default 1. */
  latencyScale?: number;
  /** Chance a coder asks its leader a question before writing. Default 0.1. */
  questionRate?: number;
  /** Chance a coder runs a command before submitting (about a third of them unlisted). Default 0.15. */
  commandRate?: number;
  /** Chance a first review rejects the submission. Default 0.2. */
  rejectRate?: number;
  /** How coders work: `demo` (quick, the default) or `session` (tens of turns a task, as real sessions). */
  workload?: WorkloadName;
  /** Injectable timer; defaults to real timers. */
  sleep?: SimulatedSleep;
}

/** Waits on a real timer; resolves early when the signal aborts (the caller checks it). */
export const realSleep: SimulatedSleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

interface StreamBlock {
  type: 'text' | 'tool_use';
  id: string;
  name: string;
  /** The text, or the tool input as JSON. */
  body: string;
}

// A stream pauses only once this much time has accumulated: fewer, larger waits keep
// thousands of simulated agents from flooding the event loop with tiny timers.
const MIN_PAUSE_MS = 25;

/** `ModelProvider` that simulates Claude, deterministically from its seed. */
export class SimulatedProvider implements ModelProvider {
  readonly #seed: number;
  readonly #latencyScale: number;
  readonly #behaviour: Behaviour;
  readonly #sleep: SimulatedSleep;

  constructor(options: SimulatedProviderOptions = {}) {
    this.#seed = options.seed ?? 1;
    this.#latencyScale = Math.max(0, options.latencyScale ?? 1);
    this.#behaviour = {
      questionRate: options.questionRate ?? 0.1,
      commandRate: options.commandRate ?? 0.15,
      rejectRate: options.rejectRate ?? 0.2,
      readsPerTask: WORKLOADS[options.workload ?? 'demo'].readsPerTask,
    };
    this.#sleep = options.sleep ?? realSleep;
  }

  /**
   * Answers one request, streaming. Rejects only with a `ProviderError`: `aborted` (with
   * `partialUsage` once message_start was emitted) or `invalid_request` for a request
   * the real API would refuse.
   */
  async send(request: MessagesRequest, options: SendOptions = {}): Promise<ProviderResult> {
    const { signal, onEvent } = options;
    // A real call always waits on I/O. Without latency nothing here would, and a thousand
    // agents in a loop would starve timers, event flushes and IPC; yield once per call.
    if (this.#latencyScale === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const startedAt = Date.now();
    const emit = (event: ProviderEvent): void => {
      try {
        onEvent?.(event);
      } catch {
        // As with the real provider: a broken listener must not fail the call.
      }
    };

    const last = request.messages[request.messages.length - 1];
    const requestSeed = hashParts(
      this.#seed,
      request.model,
      systemText(request),
      request.messages.length,
      last ? messageText(last) : '',
    );
    // Behaviour is a pure function of (seed, request), but ids are not: like the real
    // API, every attempt gets fresh ids, because the ledger records each request id once
    // and a repeated request (a retry, a resumed mission) is still a new, billed call.
    // Tool-use ids stay deterministic: they are part of the conversation a replay rebuilds.
    const ids = new Rng(hashParts(requestSeed, 'ids'));
    const messageId = `msg_sim_${randomUUID().replaceAll('-', '')}`;
    const requestId = `req_sim_${randomUUID().replaceAll('-', '')}`;
    const aborted = (partialUsage?: Usage): ProviderError =>
      new ProviderError({
        kind: 'aborted',
        message: 'the request was aborted',
        headers: partialUsage ? { 'request-id': requestId } : {},
        ...(partialUsage ? { partialUsage, requestId } : {}),
      });

    if (signal?.aborted) throw aborted();
    const invalid = invalidReason(request);
    if (invalid !== null) {
      throw new ProviderError({
        kind: 'invalid_request',
        status: 400,
        message: `Simulated API 400 invalid_request_error: ${invalid}`,
        apiErrorType: 'invalid_request_error',
      });
    }

    const profile = PROFILES[poolOf(request.model)];
    const drafts = draftReply({
      request,
      rng: new Rng(requestSeed),
      seed: this.#seed,
      behaviour: this.#behaviour,
      parallel: !(
        request.tool_choice &&
        'disable_parallel_tool_use' in request.tool_choice &&
        request.tool_choice.disable_parallel_tool_use
      ),
    });
    let blocks = drafts.map((d, i) => toStreamBlock(d, i, ids));
    const input = inputUsage(request);
    const visible = blocks.reduce((n, b) => n + b.body.length + b.name.length, 0);
    let output = outputTokens(visible, profile, new Rng(hashParts(requestSeed, 'output')));
    let stopReason: StopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
    if (output > request.max_tokens) {
      blocks = truncate(blocks, Math.floor((visible * request.max_tokens) / output));
      output = request.max_tokens;
      stopReason = 'max_tokens';
    }
    const finalUsage = toUsage(input, output);
    const totalChars = Math.max(
      1,
      blocks.reduce((n, b) => n + b.body.length, 0),
    );
    const latency = planLatency(
      profile,
      new Rng(hashParts(requestSeed, 'latency')),
      input.input_tokens,
      output,
    );
    const chunkRng = new Rng(hashParts(requestSeed, 'chunks'));

    let started = false;
    let emittedChars = 0;
    const partial = (): Usage =>
      toUsage(input, Math.max(1, Math.min(output, Math.round((output * emittedChars) / totalChars))));
    const check = (): void => {
      if (signal?.aborted) throw aborted(started ? partial() : undefined);
    };
    const wait = async (ms: number): Promise<void> => {
      const scaled = ms * this.#latencyScale;
      if (scaled <= 0) return;
      try {
        await this.#sleep(scaled, signal);
      } catch (err) {
        if (!signal?.aborted) throw err;
      }
      check();
    };

    let firstTokenAt: number | null = null;
    try {
      await wait(latency.startMs);
      check();
      started = true;
      emit({ type: 'message_start', messageId, requestId, usage: toUsage(input, 1) });
      check();
      await wait(latency.firstDeltaMs);

      let debt = 0;
      for (const [index, block] of blocks.entries()) {
        if (block.type === 'tool_use') {
          emit({ type: 'tool_use_start', index, id: block.id, name: block.name });
          check();
        }
        let offset = 0;
        while (offset < block.body.length) {
          const size = block.type === 'text' ? chunkRng.int(12, 48) : chunkRng.int(40, 120);
          const piece = block.body.slice(offset, offset + size);
          offset += piece.length;
          firstTokenAt ??= Date.now();
          emittedChars += piece.length;
          emit(
            block.type === 'text'
              ? { type: 'text_delta', index, text: piece }
              : { type: 'tool_input_delta', index, partialJson: piece },
          );
          check();
          debt += (latency.streamMs * piece.length) / totalChars;
          if (debt * this.#latencyScale >= MIN_PAUSE_MS) {
            await wait(debt);
            debt = 0;
          }
        }
      }
      if (debt > 0) await wait(debt);
      check();
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError({
        kind: 'server',
        message: `simulated provider failed: ${err instanceof Error ? err.message : String(err)}`,
        requestId,
        ...(started ? { partialUsage: partial() } : {}),
      });
    }
    emit({ type: 'usage', usage: finalUsage });

    const content: ResponseContentBlock[] = blocks.map((b) =>
      b.type === 'text'
        ? { type: 'text', text: b.body }
        : { type: 'tool_use', id: b.id, name: b.name, ...parseToolInput(b.body) },
    );
    return {
      message: { id: messageId, model: request.model, role: 'assistant', content },
      stop_reason: stopReason,
      stop_sequence: null,
      usage: finalUsage,
      requestId,
      messageId,
      headers: { 'request-id': requestId },
      timing: {
        startedAt,
        firstTokenAt: firstTokenAt ?? (blocks.length > 0 ? Date.now() : null),
        endedAt: Date.now(),
      },
    };
  }
}

function toStreamBlock(draft: DraftBlock, index: number, ids: Rng): StreamBlock {
  if (draft.type === 'text') return { type: 'text', id: '', name: '', body: draft.text };
  return {
    type: 'tool_use',
    id: `toolu_sim_${ids.hex()}${ids.hex()}${index}`,
    name: draft.name,
    body: JSON.stringify(draft.input),
  };
}

/** Cuts the reply to `chars` characters, as a max_tokens stop cuts a real one mid-block. */
function truncate(blocks: StreamBlock[], chars: number): StreamBlock[] {
  const out: StreamBlock[] = [];
  let left = chars;
  for (const block of blocks) {
    if (left <= 0) break;
    out.push({ ...block, body: block.body.slice(0, left) });
    left -= block.body.length;
  }
  return out;
}

/** What the real API would refuse with a 400, in the simulation's terms; null when fine. */
function invalidReason(request: MessagesRequest): string | null {
  if (request.messages.length === 0) return 'messages: at least one message is required';
  if (request.messages[0]?.role !== 'user') return 'messages: the first message must use the "user" role';
  if (!Number.isInteger(request.max_tokens) || request.max_tokens < 1)
    return 'max_tokens: must be a positive integer';
  const names = (request.tools ?? []).map((t) => t.name);
  if (new Set(names).size !== names.length) return 'tools: tool names must be unique';
  const choice = request.tool_choice;
  if (choice?.type === 'tool' && !names.includes(choice.name))
    return `tool_choice: tool "${choice.name}" is not in tools`;
  return null;
}
