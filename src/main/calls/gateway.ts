import { randomUUID } from 'node:crypto';
import { finished, Readable } from 'node:stream';
import { findModel } from '../../shared/models.js';
import { scopedId, type BudgetGuard } from '../ledger/budgets.js';
import type { CallRecord, CallStatus, CallsRepository, CallUsage } from '../ledger/calls-repository.js';
import type { RateLimiter, Ticket, Usage as LimiterUsage } from '../limiter/index.js';
import {
  GatewayError,
  type CallAttribution,
  type ForwardCall,
  type ForwardingGateway,
  type ForwardResult,
  type ForwardSink,
  type ForwardTiming,
  type GatewayCallOptions,
  type GatewayForwardOptions,
  type GatewayResult,
  type ModelGateway,
  type UpstreamError,
} from './gateway-types.js';
import {
  emptyUsage,
  mergeUsage,
  ProviderError,
  type ForwardResponse,
  type MessagesRequest,
  type ModelProvider,
  type ProviderResult,
  type Usage,
} from '../llm/provider.js';

/**
 * The gateway plus the raw path (Claude Code sessions) and what shutdown needs: waiting
 * until every call in flight is recorded.
 */
export interface DrainableGateway extends ModelGateway, ForwardingGateway {
  /** Resolves true once no call is in flight, or false after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<boolean>;
}

export interface GatewayOptions {
  provider: ModelProvider;
  limiter: RateLimiter;
  budgets: BudgetGuard;
  calls: CallsRepository;
  /** Wall-clock time for ledger timestamps (the limiter keeps its own monotonic clock). */
  now?: () => number;
  /** Told after each attempt's row is written, so the UI can refresh costs. */
  onRecorded?: (record: CallRecord, costNano: number) => void;
}

/** What a forward to a provider without `forward` is told (the server answers it as a 501). */
export const FORWARD_UNSUPPORTED_MESSAGE =
  'Claude Code agents need the Anthropic provider: the simulated provider cannot answer raw Messages API calls. Choose the Anthropic provider (an API key) in Settings.';

/**
 * A conservative input estimate from the request's size. The tokenizer is not available
 * offline; about 3 characters a token over-estimates English and code slightly, which
 * is the safe side for both the rate limiter (refunds settle the difference) and budget
 * admission (a cap must never be overrun).
 */
export function estimateInputTokens(request: MessagesRequest): number {
  let chars = 0;
  if (typeof request.system === 'string') chars += request.system.length;
  else if (request.system) chars += JSON.stringify(request.system).length;
  // The length of JSON.stringify(messages), without serialising the whole conversation
  // on every call: "[" + items joined by "," + "]", each item's length cached.
  const messages = request.messages;
  chars += 2 + Math.max(0, messages.length - 1);
  for (const message of messages) chars += jsonLength(message);
  if (request.tools) chars += jsonLength(request.tools);
  return Math.ceil(chars / 3) + 16;
}

/** Tokens an image costs at most (about 1.15 megapixels, the API's resize target). */
const IMAGE_TOKENS = 1_600;

/**
 * The input estimate of a raw request body (a Claude Code call), by the same rule as
 * {@link estimateInputTokens}: its JSON size at about 3 characters a token. Base64 images
 * are the exception: their data is not tokenised as text, and counting it would reserve
 * more input than a whole minute's limit for one screenshot, so each counts its ceiling.
 * @param body the parsed JSON body
 * @param byteLength the body's size as sent
 */
export function estimateRawInputTokens(body: { messages?: unknown; system?: unknown }, byteLength: number): number {
  let chars = byteLength;
  let images = 0;
  const visit = (blocks: unknown): void => {
    if (!Array.isArray(blocks)) return;
    for (const block of blocks as unknown[]) {
      if (block === null || typeof block !== 'object') continue;
      const b = block as { type?: unknown; source?: { type?: unknown; data?: unknown }; content?: unknown };
      if (b.type === 'image' && b.source?.type === 'base64' && typeof b.source.data === 'string') {
        chars -= b.source.data.length;
        images += 1;
      } else if (b.type === 'tool_result') visit(b.content);
    }
  };
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as unknown[]) visit((message as { content?: unknown } | null)?.content);
  }
  visit(body.system);
  return Math.ceil(Math.max(0, chars) / 3) + images * IMAGE_TOKENS + 16;
}

// An agent's conversation grows by a turn per call and every earlier message is sent
// again, so serialising it all per call was O(conversation) each time (tens of µs at a
// few turns, milliseconds near the context window). Messages and tool lists are not
// changed once sent (the engine appends new objects; tool definitions are shared and
// frozen), so each object's JSON length is computed once.
const jsonLengths = new WeakMap<object, number>();

function jsonLength(value: object): number {
  let length = jsonLengths.get(value);
  if (length === undefined) {
    length = JSON.stringify(value).length;
    jsonLengths.set(value, length);
  }
  return length;
}

/** The ledger's usage columns from the API's usage object. */
export function toCallUsage(usage: Usage): CallUsage {
  const split = usage.cache_creation;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    // Without the 5 m / 1 h split, the API's default cache lifetime (5 m) applies.
    cacheCreation5mTokens: split ? split.ephemeral_5m_input_tokens : usage.cache_creation_input_tokens,
    cacheCreation1hTokens: split ? split.ephemeral_1h_input_tokens : 0,
    cacheReadTokens: usage.cache_read_input_tokens,
    thinkingTokens: 0,
    serverToolRequests: usage.server_tool_use?.web_search_requests ?? 0,
  };
}

function toLimiterUsage(usage: Usage): LimiterUsage {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
  };
}

function isAbort(error: unknown): boolean {
  return (
    (error instanceof ProviderError && error.kind === 'aborted') ||
    (error instanceof Error && error.name === 'AbortError')
  );
}

/** What an attempt the API answered in full reports, for its ledger row and the limiter. */
interface Answered {
  usage: Usage;
  headers: Record<string, string>;
  requestId: string | null;
  messageId: string | null;
  modelResolved: string | null;
  firstTokenAt: number | null;
  stopReason: string | null;
  httpStatus: number;
}

/**
 * One call as the attempt loop sees it, whichever path it came by (`call` or `forward`):
 * what to admit, how to make one attempt, and what the caller gets once one succeeded.
 */
interface AttemptPlan<V, T> {
  model: string;
  maxTokens: number;
  estimatedInputTokens: number;
  who: CallAttribution;
  signal: AbortSignal | undefined;
  onWaiting: (() => void) | undefined;
  onRecorded?: ((record: CallRecord, costNano: number) => void) | undefined;
  /** One attempt upstream; rejects with what failed (a `ProviderError` where possible). */
  send(): Promise<{ answered: Answered; value: V }>;
  /** Whether the caller already received part of the attempt that failed: it is then never retried. */
  delivered?(): boolean;
  /** The caller's result from the successful attempt. */
  result(value: V, costNano: number, attempts: number): T;
  /** Stored in the transaction that writes the successful attempt's row (`GatewayCallOptions.onStored`). */
  alongside?: ((result: T) => void) | undefined;
  /** Told each attempt's wait in the limiter (the forward path reports it with the response head). */
  timing?: ForwardTiming;
}

function toProviderError(error: unknown): ProviderError {
  return error instanceof ProviderError
    ? error
    : new ProviderError({ kind: 'connection', message: (error as Error)?.message ?? String(error) });
}

function upstreamOf(failure: ProviderError): UpstreamError | undefined {
  return failure.status === undefined
    ? undefined
    : { status: failure.status, headers: failure.headers, body: failure.body };
}

/**
 * Creates the one path every model call takes: budget admission, the shared limiter,
 * the provider, and a ledger row per attempt with its exact cost. Retries are decided
 * by the limiter and go back through its queue (the provider's own retries are off);
 * each retry is admitted against the budgets again, since every attempt may be billed.
 * `call` (the engine's agents) and `forward` (Claude Code sessions, bytes passed through)
 * share that attempt loop; they differ only in how one attempt is sent.
 */
export function createGateway(options: GatewayOptions): DrainableGateway {
  const { provider, limiter, budgets, calls } = options;
  const now = options.now ?? Date.now;
  // Calls not yet settled: shutdown waits for them so an aborted call's billed usage is
  // written before the database closes.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(pending: Promise<T>): Promise<T> => {
    inFlight.add(pending);
    const forget = () => inFlight.delete(pending);
    pending.then(forget, forget);
    return pending;
  };

  async function attempt<V, T>(plan: AttemptPlan<V, T>): Promise<T> {
    const model = findModel(plan.model);
    if (!model) throw new GatewayError('failed', `unknown model "${plan.model}"; it cannot be priced`);
    const { who, signal, estimatedInputTokens } = plan;
    let previous: { ticket: Ticket; requestId: string } | undefined;

    for (;;) {
      const worstCaseNano = budgets.worstCaseCost(plan.model, estimatedInputTokens, plan.maxTokens);
      const admission = budgets.checkAdmission({
        missionId: who.missionId,
        teamId: who.teamId === null ? null : scopedId(who.missionId, who.teamId),
        agentId: who.agentId === null ? null : scopedId(who.missionId, who.agentId),
        worstCaseNano,
      });
      if (!admission.admitted) {
        throw new GatewayError('budget_exceeded', admission.message, {
          scope: admission.scope,
          // Report the design's own team or agent id, not the mission-qualified key.
          scopeId: admission.scope === 'mission' ? admission.id : admission.id.slice(admission.id.indexOf('/') + 1),
          capNano: admission.capNano,
          spentNano: admission.spentNano + admission.reservedNano,
          worstCaseNano: admission.worstCaseNano,
        });
      }

      let ticket: Ticket;
      try {
        ticket = await limiter.acquire({
          onWaiting: plan.onWaiting,
          pool: model.pool,
          // Per-agent in-flight caps and team fair shares are per mission, like budgets.
          agentId: scopedId(who.missionId, who.agentId ?? 'unattributed'),
          teamId: scopedId(who.missionId, who.teamId ?? 'unattributed'),
          role: who.role,
          estimatedInputTokens,
          maxOutputTokens: plan.maxTokens,
          signal,
          retryOf: previous?.ticket,
        });
      } catch (error) {
        budgets.settle(admission.reservationId);
        if (isAbort(error)) throw new GatewayError('aborted', 'the call was cancelled while it waited for the rate limiter');
        throw new GatewayError('failed', `the rate limiter refused the call: ${(error as Error).message}`);
      }

      if (plan.timing) plan.timing.limiterWaitMs += ticket.waitedMs;
      const startedAt = now();
      const base = {
        retryOf: previous?.requestId ?? null,
        attempt: ticket.attempt,
        missionId: who.missionId,
        teamId: who.teamId,
        agentId: who.agentId,
        role: who.role,
        taskId: who.taskId,
        modelRequested: plan.model,
        pool: model.pool,
        startedAt,
        limiter: {
          estInput: estimatedInputTokens,
          estOutput: ticket.reserved.output,
          reservedInput: ticket.reserved.input,
          reservedOutput: ticket.reserved.output,
          waitMs: Math.round(ticket.waitedMs),
        },
      } satisfies Partial<CallRecord>;
      // The row is recorded (in the ledger's write group: queued for the end of this turn)
      // and the budget hold is released only once it is committed, so no admission in
      // between can miss this attempt's spend. `alongside` runs in the row's transaction,
      // so what it stores lands with the row or not at all.
      const record = (row: CallRecord, alongside?: (costNano: number) => void): number => {
        // Settling twice is harmless: the row written alone after a failed store settles again.
        const settle = () => budgets.settle(admission.reservationId);
        const insert = (): number => calls.insertLater(row, settle).totalNano;
        let cost: number;
        let storeFailure: unknown;
        try {
          if (!alongside) cost = insert();
          else {
            try {
              cost = calls.transaction(() => {
                const priced = insert();
                alongside(priced);
                return priced;
              });
            } catch (error) {
              // What the caller stores failed (and rolled back with the row): the attempt
              // was billed all the same, so its row is written alone.
              storeFailure = error;
              cost = insert();
            }
          }
        } catch (error) {
          // The row could not be recorded at all (an unpriced model): nothing holds the budget.
          settle();
          throw error;
        }
        options.onRecorded?.(row, cost);
        try {
          plan.onRecorded?.(row, cost);
        } catch {
          // A caller's listener must not turn a recorded, billed attempt into a failure.
        }
        if (storeFailure !== undefined) throw storeFailure;
        return cost;
      };

      let outcome: { answered: Answered; value: V };
      try {
        outcome = await plan.send();
      } catch (error) {
        const failure = toProviderError(error);
        const billed = failure.partialUsage;
        const status: CallStatus =
          failure.kind === 'aborted' ? 'cancelled' : billed ? 'partial' : 'error';
        const requestId = failure.requestId ?? `cr_${randomUUID()}`;
        record({
          ...base,
          requestId,
          endedAt: now(),
          status,
          httpStatus: failure.status ?? null,
          errorType: failure.apiErrorType ?? failure.kind,
          usage: billed ? toCallUsage(billed) : undefined,
        });
        if (failure.kind === 'aborted') {
          limiter.release(ticket, billed ? toLimiterUsage(billed) : undefined);
          throw new GatewayError('aborted', 'the call was cancelled; what it was billed is recorded');
        }
        // The limiter hears of a failure the caller already saw part of too (it learns
        // from it), but such an attempt cannot be taken back and sent again.
        const delivered = plan.delivered?.() ?? false;
        const decision = limiter.fail(ticket, {
          status: failure.kind === 'connection' ? undefined : failure.status,
          headers: failure.headers,
          errorType: failure.apiErrorType,
          errorMessage: failure.message,
          usage: billed ? toLimiterUsage(billed) : undefined,
        });
        const deliveredFailure = () =>
          new GatewayError(
            'failed',
            `${failure.kind}: ${failure.message} (after part of the answer reached the caller; not retried)`,
          );
        if (decision.retry) {
          if (delivered) throw deliveredFailure();
          previous = { ticket, requestId };
          continue;
        }
        if (decision.reason === 'pool-stopped') {
          throw new GatewayError(
            'pool_stopped',
            `${model.label}'s rate-limit pool is stopped: ${decision.message}`,
            undefined,
            upstreamOf(failure),
          );
        }
        if (delivered) throw deliveredFailure();
        throw new GatewayError(
          'failed',
          `${failure.kind}: ${failure.message} (${decision.message})`,
          undefined,
          upstreamOf(failure),
        );
      }
      // Outside the try: a failure to store the reply is not a failed attempt (the row
      // below is written either way) and must not be retried or recorded twice.
      const { answered, value } = outcome;
      limiter.complete(ticket, { usage: toLimiterUsage(answered.usage), headers: answered.headers });
      const done = (costNano: number): T => plan.result(value, costNano, ticket.attempt);
      const { alongside } = plan;
      const costNano = record(
        {
          ...base,
          requestId: answered.requestId ?? `cr_${randomUUID()}`,
          messageId: answered.messageId,
          modelResolved: answered.modelResolved,
          firstTokenAt: answered.firstTokenAt,
          endedAt: now(),
          status: 'ok',
          httpStatus: answered.httpStatus,
          stopReason: answered.stopReason,
          usage: toCallUsage(answered.usage),
        },
        alongside && ((cost) => alongside(done(cost))),
      );
      return done(costNano);
    }
  }

  const call = (request: MessagesRequest, who: CallAttribution, callOptions: GatewayCallOptions = {}) => {
    const { signal, onEvent } = callOptions;
    return attempt<ProviderResult, GatewayResult>({
      model: request.model,
      maxTokens: request.max_tokens,
      estimatedInputTokens: estimateInputTokens(request),
      who,
      signal,
      onWaiting: callOptions.onWaiting,
      async send() {
        const result = await provider.send(request, { signal, onEvent });
        return {
          value: result,
          answered: {
            usage: result.usage,
            headers: result.headers,
            requestId: result.requestId,
            messageId: result.messageId,
            modelResolved: result.message.model,
            firstTokenAt: result.timing.firstTokenAt,
            stopReason: result.stop_reason,
            httpStatus: 200,
          },
        };
      },
      result: (result, costNano, attempts) => ({ ...result, costNano, attempts }),
      alongside: callOptions.onStored,
    });
  };

  const forward = (
    forwarded: ForwardCall,
    who: CallAttribution,
    sink: ForwardSink,
    forwardOptions: GatewayForwardOptions = {},
  ): Promise<ForwardResult> => {
    const upstream = provider.forward?.bind(provider);
    if (!upstream) return Promise.reject(new GatewayError('failed', FORWARD_UNSUPPORTED_MESSAGE));
    const { signal } = forwardOptions;
    // Set once the caller was sent the status line: from then on nothing is retried.
    let delivered = false;
    const timing: ForwardTiming = { limiterWaitMs: 0, upstreamMs: 0 };
    const relay = { sink, signal, now, timing, deliver: () => (delivered = true) };
    return attempt<Answered & { requestId: string }, ForwardResult>({
      model: forwarded.model,
      maxTokens: forwarded.maxTokens,
      estimatedInputTokens: forwarded.estimatedInputTokens,
      who,
      signal,
      onWaiting: forwardOptions.onWaiting,
      onRecorded: forwardOptions.onRecorded,
      delivered: () => delivered,
      timing,
      async send() {
        const sent = performance.now();
        const response = await upstream(forwarded.request, signal ? { signal } : {}).finally(() => {
          timing.upstreamMs += performance.now() - sent;
        });
        const answered = forwarded.stream
          ? await relayStream(response, relay)
          : await relayJson(response, relay);
        return { answered, value: answered };
      },
      result: (answered, costNano, attempts) => ({
        requestId: answered.requestId,
        status: 'ok',
        usage: answered.usage,
        costNano,
        attempts,
      }),
    });
  };

  return {
    call: (request, who, callOptions) => track(call(request, who, callOptions)),
    // Read per request: Settings may switch between the simulated and the real provider.
    get canForward() {
      return typeof provider.forward === 'function';
    },
    forward: (forwarded, who, sink, forwardOptions) => track(forward(forwarded, who, sink, forwardOptions)),
    async countTokens(request, countOptions = {}) {
      if (!provider.forward) throw new GatewayError('failed', FORWARD_UNSUPPORTED_MESSAGE);
      try {
        return await provider.forward(request, countOptions);
      } catch (error) {
        const failure = toProviderError(error);
        throw new GatewayError(
          failure.kind === 'aborted' ? 'aborted' : 'failed',
          `${failure.kind}: ${failure.message}`,
          undefined,
          upstreamOf(failure),
        );
      }
    },
    async drain(timeoutMs = 5_000) {
      if (inFlight.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const settled = Promise.allSettled([...inFlight]).then(() => true as const);
      const done = await Promise.race([settled, timedOut]);
      clearTimeout(timer);
      return done;
    },
  };
}

interface Relay {
  sink: ForwardSink;
  signal: AbortSignal | undefined;
  now: () => number;
  timing: ForwardTiming;
  /** Marks the attempt as seen by the caller. */
  deliver(): void;
}

/** What a body that broke while it was read is, for the attempt's row. */
function bodyFailure(
  error: unknown,
  relay: Relay,
  response: ForwardResponse,
  partialUsage: Usage | null,
): ProviderError {
  const aborted = relay.signal?.aborted === true;
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new ProviderError({
    kind: aborted ? 'aborted' : 'connection',
    message: aborted ? 'the request was aborted' : `the response body broke: ${cause}`,
    headers: response.headers,
    ...(response.requestId ? { requestId: response.requestId } : {}),
    ...(partialUsage ? { partialUsage } : {}),
  });
}

/**
 * A non-streaming answer: small, so it is read whole and handed on only once complete.
 * A body that breaks is then an attempt the caller never saw, retried like any other.
 */
async function relayJson(response: ForwardResponse, relay: Relay): Promise<Answered & { requestId: string }> {
  const chunks: Uint8Array[] = [];
  const headAt = performance.now();
  try {
    for await (const chunk of response.body) chunks.push(chunk);
  } catch (error) {
    throw bodyFailure(error, relay, response, null);
  } finally {
    // A JSON answer is handed on whole, so its body is waited on too.
    relay.timing.upstreamMs += performance.now() - headAt;
  }
  const bytes = Buffer.concat(chunks);
  const reply = parseReply(bytes);
  relay.deliver();
  relay.sink.head(response.status, response.headers, relay.timing);
  await relay.sink.write(bytes);
  relay.sink.end();
  return {
    usage: mergeUsage(emptyUsage(), reply?.usage as Record<string, unknown> | undefined),
    headers: response.headers,
    requestId: response.requestId ?? `cr_${randomUUID()}`,
    messageId: typeof reply?.id === 'string' ? reply.id : null,
    modelResolved: typeof reply?.model === 'string' ? reply.model : null,
    firstTokenAt: null,
    stopReason: typeof reply?.stop_reason === 'string' ? reply.stop_reason : null,
    httpStatus: response.status,
  };
}

/** A JSON reply's billing fields; null when the body is not JSON (handed on as it is, billed as zero). */
function parseReply(
  bytes: Buffer,
): { id?: unknown; model?: unknown; stop_reason?: unknown; usage?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** What the reading of a forwarded SSE stream saw, so far. */
interface StreamMeter {
  usage: Usage | null;
  messageId: string | null;
  model: string | null;
  stopReason: string | null;
  firstTokenAt: number | null;
  stopped: boolean;
  error: { type: string; message: string } | null;
}

/** The events whose data the meter reads; every other event's data is skipped unparsed. */
const METERED_EVENTS = new Set(['message_start', 'message_delta', 'error']);

/**
 * Reads the billing out of an SSE stream chunk by chunk, in step with the bytes handed to
 * the caller: message_start's and message_delta's usage (cumulative, cache creation split
 * included), the stop, and an `event: error`. Hand-written rather than the SDK's decoder
 * (`Stream.rawEvents`), which wants a `Response` of its own, so a tee of the body and an
 * async generator per event beside the pipe: this one is fed synchronously from the pipe
 * loop, so at a cut it has seen exactly the bytes that arrived, and it parses only the
 * data of the three events that matter (a long answer is mostly deltas). It follows the
 * SSE framing rules the API relies on: lines end in LF, CRLF or CR, an empty line ends an
 * event, `:` starts a comment, one space after the field's colon is dropped, data lines
 * join with LF, an event cut before its empty line is not dispatched.
 */
class SseMeter {
  readonly seen: StreamMeter = {
    usage: null,
    messageId: null,
    model: null,
    stopReason: null,
    firstTokenAt: null,
    stopped: false,
    error: null,
  };
  readonly #decoder = new TextDecoder();
  readonly #now: () => number;
  /** The text after the last complete line. */
  #rest = '';
  #event: string | null = null;
  #data: string[] = [];

  constructor(now: () => number) {
    this.#now = now;
  }

  push(chunk: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const hasCr = text.includes('\r');
    let at = 0;
    for (;;) {
      let end = text.indexOf('\n', at);
      if (hasCr) {
        const cr = text.indexOf('\r', at);
        if (cr !== -1 && (end === -1 || cr < end)) {
          // A CR at the end of the chunk may be the first half of a CRLF.
          if (cr + 1 === text.length) break;
          end = cr;
        }
      }
      if (end === -1) break;
      this.#line(text.slice(at, end));
      at = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    }
    this.#rest = text.slice(at);
  }

  /** The body ended: a CR held back as a possible CRLF's first half was a line end after all. */
  end(): void {
    const text = this.#rest + this.#decoder.decode();
    this.#rest = '';
    // Anything else left is an unterminated line, of an event that never completed.
    if (text.endsWith('\r')) this.#line(text.slice(0, -1));
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field === 'event') {
      this.#event = line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
      if (this.#event === 'content_block_delta') this.seen.firstTokenAt ??= this.#now();
    } else if (field === 'data' && (this.#event === null || METERED_EVENTS.has(this.#event))) {
      this.#data.push(colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1));
    }
  }

  #dispatch(): void {
    const event = this.#event;
    const data = this.#data.join('\n');
    this.#event = null;
    this.#data = [];
    if (event === 'message_stop') {
      this.seen.stopped = true;
      return;
    }
    if (event === null || !METERED_EVENTS.has(event) || data === '') return;
    let parsed: {
      message?: { id?: unknown; model?: unknown; usage?: unknown };
      delta?: { stop_reason?: unknown };
      usage?: unknown;
      error?: { type?: unknown; message?: unknown };
    };
    try {
      parsed = JSON.parse(data) as typeof parsed;
    } catch {
      // Not ours to judge: the caller gets the bytes as sent, the row what could be read.
      return;
    }
    const seen = this.seen;
    if (event === 'message_start') {
      const message = parsed.message;
      seen.usage = mergeUsage(emptyUsage(), message?.usage as Record<string, unknown> | undefined);
      if (typeof message?.id === 'string') seen.messageId = message.id;
      if (typeof message?.model === 'string') seen.model = message.model;
    } else if (event === 'message_delta') {
      seen.usage = mergeUsage(seen.usage ?? emptyUsage(), parsed.usage as Record<string, unknown> | undefined);
      if (typeof parsed.delta?.stop_reason === 'string') seen.stopReason = parsed.delta.stop_reason;
    } else {
      seen.error = {
        type: typeof parsed.error?.type === 'string' ? parsed.error.type : 'api_error',
        message: typeof parsed.error?.message === 'string' ? parsed.error.message : 'stream error',
      };
    }
  }
}

/**
 * Calls `onChunk` with each chunk of `body` in order, waiting whenever it returns a
 * promise (the caller's back-pressure); resolves at the body's end, rejects when it
 * breaks. A Node stream (what the Anthropic provider hands on) is read by its events:
 * its async iterator costs a promise, a `readable` event and a generator step per chunk,
 * a few µs that a call of a few hundred chunks pays at every one. Anything else is
 * iterated.
 */
async function eachChunk(
  body: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  if (!(body instanceof Readable)) {
    for await (const chunk of body) {
      const wait = onChunk(chunk);
      if (wait) await wait;
    }
    return;
  }
  const stream = body;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      stream.off('data', onData);
      stream.destroy();
      reject(error);
    };
    const onData = (chunk: Uint8Array): void => {
      let wait: void | Promise<void>;
      try {
        wait = onChunk(chunk);
      } catch (error) {
        return fail(error);
      }
      if (wait) {
        stream.pause();
        wait.then(() => {
          if (!failed) stream.resume();
        }, fail);
      }
    };
    stream.on('data', onData);
    // A cut or an abort ends in an error (or a close before the end); `finished` sees each.
    finished(stream, (error) => {
      if (error) fail(error);
      else if (!failed) resolve();
    });
  });
}

/**
 * A streaming answer: every chunk goes to the caller as it arrives, unchanged, and
 * through the meter. Once the status line is out the attempt is the caller's: a cut is
 * billed for what arrived and the caller sees a cut too (the sink is not ended); an
 * `event: error` reaches the caller as the API sent it.
 */
async function relayStream(response: ForwardResponse, relay: Relay): Promise<Answered & { requestId: string }> {
  const meter = new SseMeter(relay.now);
  relay.deliver();
  relay.sink.head(response.status, response.headers, relay.timing);
  let broken: { error: unknown } | undefined;
  try {
    await eachChunk(response.body, (chunk) => {
      meter.push(chunk);
      return relay.sink.write(chunk);
    });
    meter.end();
  } catch (error) {
    broken = { error };
  }
  const seen = meter.seen;
  const common = {
    headers: response.headers,
    ...(response.requestId ? { requestId: response.requestId } : {}),
    ...(seen.usage ? { partialUsage: seen.usage } : {}),
  };
  if (broken) throw bodyFailure(broken.error, relay, response, seen.usage);
  if (seen.error) {
    // The upstream ended its response cleanly after the error event, so the caller's does too.
    relay.sink.end();
    throw new ProviderError({
      kind: seen.error.type === 'overloaded_error' ? 'overloaded' : 'server',
      message: `Anthropic API stream ${seen.error.type}: ${seen.error.message}`,
      apiErrorType: seen.error.type,
      ...common,
    });
  }
  if (!seen.stopped || seen.usage === null) {
    throw new ProviderError({ kind: 'connection', message: 'the response stream ended before message_stop', ...common });
  }
  relay.sink.end();
  return {
    usage: seen.usage,
    headers: response.headers,
    requestId: response.requestId ?? `cr_${randomUUID()}`,
    messageId: seen.messageId,
    modelResolved: seen.model,
    firstTokenAt: seen.firstTokenAt,
    stopReason: seen.stopReason,
    httpStatus: response.status,
  };
}
