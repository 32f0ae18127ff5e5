/**
 * The production `ModelProvider`: @anthropic-ai/sdk, always streaming. The SDK's own
 * retries are off because the shared limiter owns retrying (it knows every agent's
 * traffic, the SDK knows one call's). The raw event stream is consumed rather than the
 * SDK's MessageStream helper so that malformed tool input and cut streams stay in our
 * hands: the helper throws on the first and loses usage on the second.
 */
import { Anthropic, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import {
  emptyUsage,
  mergeUsage,
  type ForwardRequest,
  type ForwardResponse,
  parseRetryAfterMs,
  parseToolInput,
  ProviderError,
  type ModelProvider,
  type MessagesRequest,
  type ProviderErrorKind,
  type ProviderEvent,
  type ProviderResult,
  type ResponseContentBlock,
  type SendOptions,
  type StopReason,
  type Usage,
} from './provider.js';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Where the Messages API lives; tests point this at the loopback fake. */
  baseURL?: string;
  /** Time allowed for the response headers to arrive; the SDK's default is 10 minutes. */
  timeoutMs?: number;
}

interface Accumulator {
  messageId: string | null;
  model: string;
  usage: Usage | null;
  stopReason: StopReason | null;
  stopSequence: string | null;
  sawStop: boolean;
  firstTokenAt: number | null;
  blocks: Map<
    number,
    | { kind: 'text'; text: string }
    | { kind: 'tool_use'; id: string; name: string; json: string }
    | { kind: 'other'; raw: { type: string } }
  >;
}

/** `ModelProvider` backed by the Anthropic Messages API. */
export class AnthropicProvider implements ModelProvider {
  // Private fields: an inspected or logged provider must not show the key.
  readonly #client: Anthropic;
  readonly #apiKey: string;

  constructor(options: AnthropicProviderOptions) {
    this.#apiKey = options.apiKey;
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? null,
      maxRetries: 0,
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      // Errors reach the caller as ProviderErrors; the SDK must not write to the console.
      logLevel: 'off',
    });
  }

  /**
   * Streams one Messages call. Resolves with the assembled reply; rejects only with a
   * `ProviderError`, carrying the usage already billed when the stream had started.
   */
  async send(request: MessagesRequest, options: SendOptions = {}): Promise<ProviderResult> {
    const { signal, onEvent } = options;
    const emit = (event: ProviderEvent): void => {
      try {
        onEvent?.(event);
      } catch {
        // A broken progress listener must not fail a call the account is already paying for.
      }
    };
    const startedAt = Date.now();
    const acc: Accumulator = {
      messageId: null,
      model: request.model,
      usage: null,
      stopReason: null,
      stopSequence: null,
      sawStop: false,
      firstTokenAt: null,
      blocks: new Map(),
    };
    let headers: Record<string, string> = {};
    let requestId: string | null = null;

    try {
      if (signal?.aborted) throw new APIUserAbortError();
      const params: MessageCreateParamsStreaming = { ...request, stream: true };
      const { data: stream, response } = await this.#client.messages
        .create(params, signal ? { signal } : {})
        .withResponse();
      headers = headerRecord(response.headers);
      requestId = headers['request-id'] ?? null;

      for await (const event of stream) {
        this.#apply(acc, event, requestId, emit);
      }
      // The SDK ends the iteration quietly when the signal aborts it.
      if (signal?.aborted) throw new APIUserAbortError();
      if (!acc.sawStop || acc.messageId === null || acc.usage === null) {
        throw new ProviderError({
          kind: 'connection',
          message: 'the response stream ended before message_stop',
          headers,
          ...(requestId ? { requestId } : {}),
          ...(acc.usage ? { partialUsage: acc.usage } : {}),
        });
      }
    } catch (err) {
      throw this.#toProviderError(err, { headers, requestId, partialUsage: acc.usage, signal });
    }

    const content: ResponseContentBlock[] = [...acc.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, b]) => {
        if (b.kind === 'text') return { type: 'text', text: b.text };
        if (b.kind === 'tool_use')
          return { type: 'tool_use', id: b.id, name: b.name, ...parseToolInput(b.json) };
        return { type: 'other', blockType: b.raw.type, raw: b.raw };
      });
    return {
      message: { id: acc.messageId, model: acc.model, role: 'assistant', content },
      stop_reason: acc.stopReason,
      stop_sequence: acc.stopSequence,
      usage: acc.usage,
      requestId,
      messageId: acc.messageId,
      headers,
      timing: { startedAt, firstTokenAt: acc.firstTokenAt, endedAt: Date.now() },
    };
  }

  /**
   * Sends a caller's raw request through the same client (its key, base URL, timeout and
   * no retries of its own): the body goes out byte for byte and the response comes back
   * as a byte stream, for the loopback gateway to pipe to a Claude Code session. Only
   * the caller's `anthropic-version` and `anthropic-beta` travel with it; the caller's
   * credentials never do (the client adds the real key). Non-2xx answers reject as
   * `ProviderError`s carrying the upstream's body.
   */
  async forward(request: ForwardRequest, options: { signal?: AbortSignal } = {}): Promise<ForwardResponse> {
    const { signal } = options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    try {
      if (signal?.aborted) throw new APIUserAbortError();
      const response = await this.#client
        .post(request.path, {
          body: request.body,
          headers,
          ...(request.query ? { query: request.query } : {}),
          ...(signal ? { signal } : {}),
          __binaryResponse: true,
        })
        .asResponse();
      if (!response.body) {
        throw new ProviderError({ kind: 'connection', message: 'the response had no body' });
      }
      const responseHeaders = headerRecord(response.headers);
      // fetch has already decoded the body: its encoding and length no longer describe it.
      for (const name of BODY_FRAMING_HEADERS) delete responseHeaders[name];
      return {
        status: response.status,
        headers: responseHeaders,
        requestId: responseHeaders['request-id'] ?? null,
        body: response.body,
      };
    } catch (err) {
      throw this.#toProviderError(err, { headers: {}, requestId: null, partialUsage: null, signal });
    }
  }

  #apply(
    acc: Accumulator,
    event: RawMessageStreamEvent,
    requestId: string | null,
    emit: (event: ProviderEvent) => void,
  ): void {
    switch (event.type) {
      case 'message_start': {
        acc.messageId = event.message.id;
        acc.model = event.message.model;
        acc.usage = mergeUsage(emptyUsage(), event.message.usage as unknown as Record<string, unknown>);
        emit({ type: 'message_start', messageId: event.message.id, requestId, usage: acc.usage });
        return;
      }
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          acc.blocks.set(event.index, { kind: 'text', text: block.text });
        } else if (block.type === 'tool_use') {
          acc.blocks.set(event.index, { kind: 'tool_use', id: block.id, name: block.name, json: '' });
          emit({ type: 'tool_use_start', index: event.index, id: block.id, name: block.name });
        } else {
          acc.blocks.set(event.index, { kind: 'other', raw: block });
        }
        return;
      }
      case 'content_block_delta': {
        acc.firstTokenAt ??= Date.now();
        const block = acc.blocks.get(event.index);
        const delta = event.delta;
        if (delta.type === 'text_delta' && block?.kind === 'text') {
          block.text += delta.text;
          emit({ type: 'text_delta', index: event.index, text: delta.text });
        } else if (delta.type === 'input_json_delta' && block?.kind === 'tool_use') {
          block.json += delta.partial_json;
          emit({ type: 'tool_input_delta', index: event.index, partialJson: delta.partial_json });
        }
        return;
      }
      case 'message_delta': {
        acc.stopReason = (event.delta.stop_reason as StopReason | null) ?? acc.stopReason;
        acc.stopSequence = event.delta.stop_sequence ?? acc.stopSequence;
        acc.usage = mergeUsage(acc.usage ?? emptyUsage(), event.usage as unknown as Record<string, unknown>);
        emit({ type: 'usage', usage: acc.usage });
        return;
      }
      case 'message_stop':
        acc.sawStop = true;
        return;
      case 'content_block_stop':
        return;
    }
  }

  #toProviderError(
    err: unknown,
    ctx: {
      headers: Record<string, string>;
      requestId: string | null;
      partialUsage: Usage | null;
      signal: AbortSignal | undefined;
    },
  ): ProviderError {
    const partial = ctx.partialUsage ? { partialUsage: ctx.partialUsage } : {};
    if (err instanceof ProviderError) return err;
    if (err instanceof APIUserAbortError || ctx.signal?.aborted) {
      return new ProviderError({
        kind: 'aborted',
        message: 'the request was aborted',
        headers: ctx.headers,
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...partial,
      });
    }
    if (err instanceof APIError && (err.status !== undefined || err.type !== null)) {
      // A mid-stream `event: error` has no status of its own but the 200's headers.
      const headers = err.headers ? headerRecord(err.headers) : ctx.headers;
      const requestId = err.requestID ?? headers['request-id'] ?? ctx.requestId;
      const apiErrorType = err.errorCode ?? err.type ?? undefined;
      const retryAfterMs = parseRetryAfterMs(headers);
      const status = err.status;
      return new ProviderError({
        kind: classify(status, err.type, err.errorCode),
        message: this.#redact(
          `Anthropic API ${status ?? 'stream'} ${err.type ?? 'error'}: ${err.apiMessage ?? err.message}`,
        ),
        headers,
        ...(status !== undefined ? { status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(requestId ? { requestId } : {}),
        ...(apiErrorType ? { apiErrorType } : {}),
        // The SDK keeps the parsed error body; re-serialised, it is what the API said.
        ...(err.error !== undefined && err.error !== null
          ? { body: this.#redact(JSON.stringify(err.error)) }
          : {}),
        ...partial,
      });
    }
    const timedOut = err instanceof APIConnectionTimeoutError;
    const cause =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return new ProviderError({
      kind: 'connection',
      message: this.#redact(
        timedOut ? 'the request timed out' : `connection to the Anthropic API failed: ${cause}`,
      ),
      headers: ctx.headers,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      ...partial,
    });
  }

  /** Belt and braces: no error text leaves this class with the key in it, whatever echoed it. */
  #redact(text: string): string {
    return this.#apiKey.length > 0 ? text.split(this.#apiKey).join('[redacted]') : text;
  }
}

/** The caller's headers a forwarded request keeps: they choose the API's behaviour, not who pays. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/** Headers about the upstream body's framing and connection, which the body handed on no longer has. */
const BODY_FRAMING_HEADERS = [
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
];

function classify(
  status: number | undefined,
  type: string | null,
  errorCode: string | null,
): ProviderErrorKind {
  if (errorCode?.includes('spend_limit') || type === 'billing_error' || status === 402) return 'spend_limit';
  if (status === 401 || status === 403 || type === 'authentication_error' || type === 'permission_error')
    return 'auth';
  if (status === 429 || type === 'rate_limit_error') return 'rate_limited';
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status === 408 || type === 'timeout_error') return 'connection';
  if (status === undefined || status >= 500 || type === 'api_error') return 'server';
  return 'invalid_request';
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}
