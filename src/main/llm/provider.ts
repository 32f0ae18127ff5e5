/**
 * The model-provider interface every agent talks to. The Anthropic provider, the
 * simulated provider and any test double implement `ModelProvider`; the engine and the
 * limiter see only these types, never the SDK's.
 *
 * Fields that mirror the Messages API wire format keep its snake_case names (`usage`,
 * `stop_reason`, content blocks) so they can be stored and re-sent without translation;
 * everything Control Room adds is camelCase.
 */

/** Marks the end of a cacheable prompt prefix. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface RequestTextBlock {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface RequestToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: CacheControl;
}

export interface RequestToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | RequestTextBlock[];
  is_error?: boolean;
  cache_control?: CacheControl;
}

export type RequestContentBlock = RequestTextBlock | RequestToolUseBlock | RequestToolResultBlock;

export interface ConversationMessage {
  role: 'user' | 'assistant';
  content: string | RequestContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  input_schema: { type: 'object'; properties?: Record<string, unknown>; required?: string[] };
  cache_control?: CacheControl;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

/**
 * One Messages API call, in wire shape. There is deliberately no `temperature` (nor
 * `top_p`/`top_k`): API version 2026-10-21, which @anthropic-ai/sdk 1.x sends, rejects
 * them with a 400 even at their defaults, and the SDK's types no longer have them.
 */
export interface MessagesRequest {
  model: string;
  system?: string | RequestTextBlock[];
  messages: ConversationMessage[];
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  max_tokens: number;
  metadata?: { user_id?: string };
}

export interface ResponseTextBlock {
  type: 'text';
  text: string;
}

/**
 * A tool call. When the model produced input that is not a JSON object, `input` is `{}`
 * and `inputError`/`rawInput` say what went wrong: the agent answers with an error
 * tool_result instead of the whole call failing.
 */
export interface ResponseToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  inputError?: string;
  rawInput?: string;
}

/** A block type Control Room does not act on (thinking, server tools); kept so nothing is silently lost. */
export interface ResponseOtherBlock {
  type: 'other';
  blockType: string;
  raw: unknown;
}

export type ResponseContentBlock = ResponseTextBlock | ResponseToolUseBlock | ResponseOtherBlock;

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/**
 * Token usage as billed. Counts the API reports as null or omits are 0, except the
 * breakdowns (`cache_creation`, `server_tool_use`), which stay null when absent so a
 * ledger can tell "not reported" from "zero".
 */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
  cache_read_input_tokens: number;
  server_tool_use: { web_search_requests: number; web_fetch_requests: number } | null;
  service_tier: string | null;
}

export interface AssistantMessage {
  id: string;
  model: string;
  role: 'assistant';
  content: ResponseContentBlock[];
}

export interface CallTiming {
  /** Epoch ms when the request was sent. */
  startedAt: number;
  /** Epoch ms of the first content delta; null when none arrived. */
  firstTokenAt: number | null;
  endedAt: number;
}

export interface ProviderResult {
  message: AssistantMessage;
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
  requestId: string | null;
  messageId: string;
  /** Response headers, names lower-cased (rate-limit headers live here). */
  headers: Record<string, string>;
  timing: CallTiming;
}

/** Progress of a streaming call, for live UIs and for billing a call the moment it starts. */
export type ProviderEvent =
  | { type: 'message_start'; messageId: string; requestId: string | null; usage: Usage }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'tool_use_start'; index: number; id: string; name: string }
  | { type: 'tool_input_delta'; index: number; partialJson: string }
  | { type: 'usage'; usage: Usage };

export interface SendOptions {
  signal?: AbortSignal;
  onEvent?: (event: ProviderEvent) => void;
}

export type ProviderErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'connection'
  | 'aborted'
  | 'invalid_request'
  | 'auth'
  | 'spend_limit';

export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  message: string;
  status?: number;
  headers?: Record<string, string>;
  retryAfterMs?: number;
  partialUsage?: Usage;
  requestId?: string;
  /** The API's `error.type` or `error.details.error_code`, when it sent one. */
  apiErrorType?: string;
  /**
   * The error response's body as the API sent it (JSON text), for a forwarded call whose
   * caller must see the upstream's own answer once retries are exhausted.
   */
  body?: string;
}

/**
 * Every failure of `ModelProvider.send`. `partialUsage` is set when the API had already
 * billed the call (message_start arrived) before it failed or was aborted: the ledger
 * must record it, because the account was charged.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly retryAfterMs: number | undefined;
  readonly partialUsage: Usage | undefined;
  readonly requestId: string | undefined;
  readonly apiErrorType: string | undefined;
  readonly body: string | undefined;

  constructor(init: ProviderErrorInit) {
    super(init.message);
    this.kind = init.kind;
    this.status = init.status;
    this.headers = init.headers ?? {};
    this.retryAfterMs = init.retryAfterMs;
    this.partialUsage = init.partialUsage;
    this.requestId = init.requestId;
    this.apiErrorType = init.apiErrorType;
    this.body = init.body;
  }

  /** Whether waiting and sending the same request again can succeed. */
  get retryable(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'overloaded' ||
      this.kind === 'server' ||
      this.kind === 'connection'
    );
  }
}

/** The Messages API routes a caller may have forwarded unchanged. */
export type ForwardPath = '/v1/messages' | '/v1/messages/count_tokens';

/**
 * A caller's request, passed upstream byte for byte (a Claude Code session speaks the
 * Messages API itself; Control Room only authenticates, admits and bills it).
 */
export interface ForwardRequest {
  path: ForwardPath;
  /** Query parameters to keep (Claude Code calls `/v1/messages?beta=true`). */
  query?: Record<string, string>;
  /** The caller's headers to pass on, names lower-cased: `anthropic-version`, `anthropic-beta`. */
  headers: Record<string, string>;
  /** The JSON body exactly as the caller sent it. */
  body: Uint8Array;
}

/** The API's successful (2xx) answer to a forwarded request, its body not yet read. */
export interface ForwardResponse {
  status: number;
  /** Names lower-cased. */
  headers: Record<string, string>;
  requestId: string | null;
  /**
   * The body as it arrives, chunk by chunk: SSE for a streaming call, JSON otherwise. An
   * async iterable rather than a web `ReadableStream`, so the provider can hand on its
   * Node stream as it is (a web stream costs a promise and a wrapper per chunk); a web
   * stream is one too. Iterating it throws when the body breaks (a cut, an abort), and
   * stopping early releases the connection.
   */
  body: AsyncIterable<Uint8Array>;
}

export interface ModelProvider {
  /** Sends one request, streaming; resolves with the whole reply or rejects with a `ProviderError`. */
  send(request: MessagesRequest, options?: SendOptions): Promise<ProviderResult>;
  /**
   * Sends a caller's raw request upstream with the provider's own key; only providers
   * that talk to a real Messages API have it (the simulated one does not). Resolves once
   * a 2xx status and its headers arrived; rejects with a `ProviderError` for any other
   * status (with the upstream's `body`), a failed connection, or an abort. Reading the
   * body may fail later with the stream's own error (a cut, an abort).
   */
  forward?(request: ForwardRequest, options?: { signal?: AbortSignal }): Promise<ForwardResponse>;
}

/** A usage record with every count zero, for accumulating. */
export function emptyUsage(): Usage {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_creation: null,
    cache_read_input_tokens: 0,
    server_tool_use: null,
    service_tier: null,
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Folds a wire usage object (message_start's, message_delta's or a JSON reply's) into `base`. message_delta counts are cumulative, so a
 * present field replaces the old value; absent or null fields keep it.
 */
export function mergeUsage(base: Usage, wire: Record<string, unknown> | null | undefined): Usage {
  if (!wire) return base;
  const out: Usage = { ...base };
  out.input_tokens = num(wire['input_tokens']) ?? out.input_tokens;
  out.output_tokens = num(wire['output_tokens']) ?? out.output_tokens;
  out.cache_creation_input_tokens =
    num(wire['cache_creation_input_tokens']) ?? out.cache_creation_input_tokens;
  out.cache_read_input_tokens = num(wire['cache_read_input_tokens']) ?? out.cache_read_input_tokens;
  const cc = wire['cache_creation'] as Record<string, unknown> | null | undefined;
  if (cc) {
    out.cache_creation = {
      ephemeral_5m_input_tokens: num(cc['ephemeral_5m_input_tokens']) ?? 0,
      ephemeral_1h_input_tokens: num(cc['ephemeral_1h_input_tokens']) ?? 0,
    };
  }
  const stu = wire['server_tool_use'] as Record<string, unknown> | null | undefined;
  if (stu) {
    out.server_tool_use = {
      web_search_requests: num(stu['web_search_requests']) ?? 0,
      web_fetch_requests: num(stu['web_fetch_requests']) ?? 0,
    };
  }
  if (typeof wire['service_tier'] === 'string') out.service_tier = wire['service_tier'];
  return out;
}

/**
 * Reads the server's wait hint: `retry-after-ms`, then `retry-after` as seconds or an
 * HTTP date. Undefined when neither is present or parseable.
 */
export function parseRetryAfterMs(
  headers: Record<string, string>,
  now: number = Date.now(),
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers['retry-after'];
  if (after === undefined) return undefined;
  const seconds = Number(after);
  if (after.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Parses a tool call's accumulated input JSON. Never throws: a model can emit input
 * that is not JSON or not an object, and that must reach the agent as a tool error.
 */
export function parseToolInput(raw: string): Pick<ResponseToolUseBlock, 'input' | 'inputError' | 'rawInput'> {
  // The API streams no deltas for a tool that takes no arguments.
  if (raw.trim() === '') return { input: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return {
      input: {},
      rawInput: raw,
      inputError: `tool input is not valid JSON: ${(err as Error).message}`,
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { input: {}, rawInput: raw, inputError: 'tool input is not a JSON object' };
  }
  return { input: parsed as Record<string, unknown> };
}
