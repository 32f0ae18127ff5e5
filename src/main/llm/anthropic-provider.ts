/**
 * The production `ModelProvider`: @anthropic-ai/sdk, always streaming. The SDK's own
 * retries are off because the shared limiter owns retrying (it knows every agent's
 * traffic, the SDK knows one call's). The raw event stream is consumed rather than the
 * SDK's MessageStream helper so that malformed tool input and cut streams stay in our
 * hands: the helper throws on the first and loses usage on the second.
 */
import { Anthropic, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  /**
   * Where the Messages API lives (Settings' upstream; tests point it at the loopback fake).
   * Without it, the public API: `ANTHROPIC_BASE_URL` is not read here but by Settings,
   * which resolves the saved URL, then that variable.
   */
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
  readonly #timeoutMs: number;
  /** Where `forward` sends, resolved once from the SDK client's own base URL. */
  readonly #target: ForwardTarget;

  constructor(options: AnthropicProviderOptions) {
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? Anthropic.DEFAULT_TIMEOUT;
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? null,
      maxRetries: 0,
      timeout: this.#timeoutMs,
      // Errors reach the caller as ProviderErrors; the SDK must not write to the console.
      logLevel: 'off',
    });
    this.#target = forwardTarget(this.#client.baseURL);
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
   * Sends a caller's raw request upstream with this provider's key, to the SDK client's
   * base URL, with its header timeout: the body goes out byte for byte and the response
   * comes back as the bytes that arrived, for the loopback gateway to pipe to a Claude Code
   * session. Only the caller's `anthropic-version` and `anthropic-beta` travel with it;
   * the caller's credentials never do. Non-2xx answers reject as `ProviderError`s carrying
   * the upstream's body.
   *
   * Built on node:http(s) with a keep-alive agent rather than the SDK's fetch: this path
   * runs for every call of every session and only passes bytes through, and undici's
   * fetch plus the web streams it hands back cost about three times as much CPU per call
   * (request set-up, a ReadableStream and its promise per chunk) as a plain request whose
   * response is read as the Node stream it is.
   */
  forward(request: ForwardRequest, options: { signal?: AbortSignal } = {}): Promise<ForwardResponse> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(this.#forwardAborted());
    const headers: OutgoingHttpHeaders = {
      'x-api-key': this.#apiKey,
      'anthropic-version': request.headers['anthropic-version'] ?? DEFAULT_API_VERSION,
      'content-type': 'application/json',
      'content-length': request.body.byteLength,
      accept: 'application/json',
      // The bytes are handed on as they are: the upstream must not compress them.
      'accept-encoding': 'identity',
    };
    const beta = request.headers['anthropic-beta'];
    if (beta !== undefined) headers['anthropic-beta'] = beta;
    const target = this.#target;
    const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';

    return new Promise<ForwardResponse>((resolve, reject) => {
      let settled = false;
      let response: IncomingMessage | undefined;
      const settle = (error: ProviderError): void => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      /** The request broke (aborted, timed out, the connection failed), before or after its answer began. */
      const fail = (error: ProviderError): void => {
        if (settled) {
          // The body is being read: its reader sees the failure.
          response?.destroy(error);
          return;
        }
        req.destroy();
        settle(error);
      };
      const onAbort = (): void => fail(this.#forwardAborted());
      const req = target.request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${target.basePath}${request.path}${query}`,
        method: 'POST',
        headers,
        agent: target.agent,
      });
      const timer = setTimeout(
        () => fail(new ProviderError({ kind: 'connection', message: 'the request timed out' })),
        this.#timeoutMs,
      );
      // Kept for the request's whole life: a socket error after the response arrived is
      // also emitted here, and must reach the body's reader rather than crash the process.
      req.on('error', (error: Error) => {
        if (signal?.aborted) return onAbort();
        fail(
          new ProviderError({
            kind: 'connection',
            message: this.#redact(`connection to the Anthropic API failed: ${error.message}`),
          }),
        );
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res: IncomingMessage) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        const responseHeaders = nodeHeaderRecord(res.headers);
        if (status >= 200 && status < 300) {
          settled = true;
          response = res;
          // The body handed on is re-framed by whoever sends it on.
          for (const name of BODY_FRAMING_HEADERS) delete responseHeaders[name];
          if (signal) res.once('close', () => signal.removeEventListener('abort', onAbort));
          resolve({
            status,
            headers: responseHeaders,
            requestId: responseHeaders['request-id'] ?? null,
            body: res,
          });
          return;
        }
        // An error answer is small: read whole, and the connection goes back to the agent.
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          if (!settled)
            settle(this.#statusError(status, responseHeaders, Buffer.concat(chunks).toString('utf8')));
        });
        res.once('error', () => {
          if (!settled) settle(this.#statusError(status, responseHeaders, ''));
        });
      });
      req.end(request.body);
    });
  }

  #forwardAborted(): ProviderError {
    return new ProviderError({ kind: 'aborted', message: 'the request was aborted' });
  }

  /** A forwarded request's non-2xx answer, read as the SDK reads an `APIError`. */
  #statusError(status: number, headers: Record<string, string>, text: string): ProviderError {
    type ErrorBody = { error?: { type?: unknown; message?: unknown; details?: { error_code?: unknown } } };
    let parsed: ErrorBody | null = null;
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object') parsed = value as ErrorBody;
    } catch {
      // Not JSON (a proxy's HTML page): its text goes in the message, there is no body to hand on.
    }
    const type = typeof parsed?.error?.type === 'string' ? parsed.error.type : null;
    const errorCode =
      typeof parsed?.error?.details?.error_code === 'string' ? parsed.error.details.error_code : null;
    const apiMessage =
      typeof parsed?.error?.message === 'string'
        ? parsed.error.message
        : parsed
          ? JSON.stringify(parsed)
          : text.slice(0, 500);
    return this.#apiError({
      status,
      type,
      errorCode,
      apiMessage: apiMessage || `${status} status code (no body)`,
      headers,
      requestId: headers['request-id'] ?? null,
      body: parsed ? text : null,
    });
  }

  /** An error the API answered (a status, or an SSE `event: error`), as a ProviderError: one shape for `send` and `forward`. */
  #apiError(e: {
    status: number | undefined;
    type: string | null;
    errorCode: string | null;
    apiMessage: string;
    headers: Record<string, string>;
    requestId: string | null;
    /** The API's error body as text, handed on (redacted) to a forwarded call's caller. */
    body: string | null;
    partialUsage?: Usage | null;
  }): ProviderError {
    const retryAfterMs = parseRetryAfterMs(e.headers);
    const apiErrorType = e.errorCode ?? e.type ?? undefined;
    return new ProviderError({
      kind: classify(e.status, e.type, e.errorCode),
      message: this.#redact(`Anthropic API ${e.status ?? 'stream'} ${e.type ?? 'error'}: ${e.apiMessage}`),
      headers: e.headers,
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(e.requestId ? { requestId: e.requestId } : {}),
      ...(apiErrorType ? { apiErrorType } : {}),
      ...(e.body !== null ? { body: this.#redact(e.body) } : {}),
      ...(e.partialUsage ? { partialUsage: e.partialUsage } : {}),
    });
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
      return this.#apiError({
        status: err.status,
        type: err.type,
        errorCode: err.errorCode,
        apiMessage: err.apiMessage ?? err.message,
        headers,
        requestId: err.requestID ?? headers['request-id'] ?? ctx.requestId,
        // The SDK keeps the parsed error body; re-serialised, it is what the API said.
        body: err.error !== undefined && err.error !== null ? JSON.stringify(err.error) : null,
        partialUsage: ctx.partialUsage,
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

/**
 * The version a forwarded request without one is sent with: the one the SDK's client
 * sends (Claude Code always names its own).
 */
const DEFAULT_API_VERSION = '2026-10-21';

/** Headers about the upstream body's framing and connection, which the body handed on no longer has. */
const BODY_FRAMING_HEADERS = ['content-length', 'transfer-encoding', 'connection', 'keep-alive'];

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

interface ForwardTarget {
  request: typeof httpRequest;
  agent: HttpAgent;
  protocol: string;
  hostname: string;
  port: string;
  /** The base URL's path without its trailing slash ('' for the API's own host). */
  basePath: string;
}

function forwardTarget(baseURL: string): ForwardTarget {
  const url = new URL(baseURL);
  const secure = url.protocol === 'https:';
  // Every session's calls share these connections. Idle ones are closed after 30 s, or
  // before the server's own keep-alive timeout when it announces one (the agent reads
  // the hint only to shorten its own timeout), so a reused socket is rarely one the
  // server is closing. The timeout applies to idle sockets only: a stream that is slow
  // to start is bounded by the header timeout, and one in progress by nothing.
  const agentOptions = { keepAlive: true, timeout: 30_000, scheduling: 'lifo' as const };
  return {
    request: secure ? httpsRequest : httpRequest,
    agent: secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

/** A Node response's headers as one string per name (repeated ones joined, as fetch's Headers does). */
function nodeHeaderRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}
