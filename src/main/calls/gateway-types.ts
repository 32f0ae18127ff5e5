import type { CallRole } from '../../shared/limits.js';
import type { CallRecord, CallStatus } from '../ledger/calls-repository.js';
import type {
  ForwardRequest,
  ForwardResponse,
  MessagesRequest,
  ProviderEvent,
  ProviderResult,
  Usage,
} from '../llm/provider.js';

/**
 * What the engine sees of a model call. Every call any agent makes goes through one
 * gateway: budget admission, the shared rate limiter, the provider, retries decided by
 * the limiter, and one ledger row per attempt with its exact cost.
 */

/** Who a call is for: every ledger row is attributed, so costs break down per agent. */
export interface CallAttribution {
  missionId: string | null;
  teamId: string | null;
  agentId: string | null;
  /** `background` is work no agent waits on directly (context compaction); `director` drafts a mission's shares. */
  role: CallRole;
  taskId: string | null;
}

export interface GatewayCallOptions {
  signal?: AbortSignal;
  onEvent?: (event: ProviderEvent) => void;
  /** The rate limiter could not grant the call at once: it waits in the queue or a back-off. */
  onWaiting?: () => void;
  /**
   * Runs inside the transaction that writes the successful attempt's ledger row, so what it
   * stores (the reply in the agent's transcript) commits with the billing row or not at all:
   * after a crash, a billed call is never without its reply and is never sent again. If it
   * throws, the row is still written on its own and the error reaches the caller.
   */
  onStored?: (result: GatewayResult) => void;
}

export interface GatewayResult extends ProviderResult {
  /** Cost of the successful attempt, nano-dollars (failed attempts have their own rows). */
  costNano: number;
  /** 1 when the first attempt succeeded. */
  attempts: number;
}

export interface BudgetRefusal {
  scope: 'mission' | 'team' | 'agent';
  scopeId: string;
  capNano: number;
  spentNano: number;
  worstCaseNano: number;
}

export type GatewayErrorKind =
  /** A budget cap would be overrun: nothing was sent. The engine escalates and waits. */
  | 'budget_exceeded'
  /** The caller aborted (agent killed, mission cancelled); partial usage was recorded. */
  | 'aborted'
  /** The model's pool is stopped (spend limit, 429 without retry-after) until a person resumes it. */
  | 'pool_stopped'
  /** Retries are exhausted or the error is not retryable (bad request, auth). */
  | 'failed';

/** The API's own answer to a failed attempt, for a forwarded call's caller to receive as is. */
export interface UpstreamError {
  status: number;
  /** Names lower-cased. */
  headers: Record<string, string>;
  /** The JSON error body the API sent, when it sent one. */
  body: string | undefined;
}

/** The only error `ModelGateway.call` and `ForwardingGateway.forward` reject with. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    readonly budget?: BudgetRefusal,
    /** Set when the last attempt failed with an HTTP error from the API. */
    readonly upstream?: UpstreamError,
  ) {
    super(message);
  }
}

export interface ModelGateway {
  call(request: MessagesRequest, attribution: CallAttribution, options?: GatewayCallOptions): Promise<GatewayResult>;
}

/** A caller's raw Messages call (a Claude Code session's), with what admission needs of it. */
export interface ForwardCall {
  request: ForwardRequest & { path: '/v1/messages' };
  /** The request's `model` and `max_tokens`, read by whoever validated the body. */
  model: string;
  maxTokens: number;
  /** Whether the body asked for SSE (`"stream": true`). */
  stream: boolean;
  /** Conservative input estimate for admission and the limiter's reservation. */
  estimatedInputTokens: number;
}

/**
 * Where a forwarded call's answer goes (the loopback server's HTTP response). The gateway
 * calls `head` at most once, then `write`s the upstream's bytes unchanged, then `end`
 * when the upstream's body ended cleanly. When a call settles without `end` after
 * `head`, the caller must be shown a broken response (its socket destroyed).
 */
/** Where a forwarded call's time went before its status line, so far (milliseconds). */
export interface ForwardTiming {
  /** Queued in the shared rate limiter, over every attempt. */
  limiterWaitMs: number;
  /** Waiting on the API: from each attempt's request to its response head (a whole JSON body). */
  upstreamMs: number;
}

export interface ForwardSink {
  /** The status line and headers; `timing` says what the call waited on until now. */
  head(status: number, headers: Record<string, string>, timing: ForwardTiming): void;
  /** May return a promise that resolves once the caller can take more (back-pressure). */
  write(chunk: Uint8Array): void | Promise<void>;
  end(): void;
}

export interface GatewayForwardOptions {
  /** Aborts the call: the caller went away, or its token was revoked. */
  signal?: AbortSignal;
  onWaiting?: () => void;
  /** Told after each of this call's attempts is recorded, like the gateway's own `onRecorded`. */
  onRecorded?: (record: CallRecord, costNano: number) => void;
}

/** A forwarded call that the API answered in full. */
export interface ForwardResult {
  requestId: string;
  status: CallStatus;
  usage: Usage;
  /** Cost of the successful attempt, nano-dollars (failed attempts have their own rows). */
  costNano: number;
  attempts: number;
}

/**
 * The raw path: a caller that speaks the Messages API itself (Claude Code) goes through
 * the same admission, limiter, retries and ledger rows as `ModelGateway.call`, while
 * its bytes pass through unchanged.
 */
export interface ForwardingGateway {
  /** False when the provider cannot forward raw requests (the simulated provider). */
  readonly canForward: boolean;
  /**
   * Forwards one Messages call. Failures before any byte reached `sink` follow the
   * limiter's retry decisions; afterwards nothing is retried. Resolves when the answer
   * was delivered in full; rejects with a `GatewayError` otherwise (`upstream` set when
   * the API's own error answer should be given to the caller).
   */
  forward(
    call: ForwardCall,
    attribution: CallAttribution,
    sink: ForwardSink,
    options?: GatewayForwardOptions,
  ): Promise<ForwardResult>;
  /**
   * Forwards a `count_tokens` request: free, so neither admitted, rate-limited nor
   * recorded. Rejects with a `GatewayError` carrying `upstream` for an API error.
   */
  countTokens(request: ForwardRequest, options?: { signal?: AbortSignal }): Promise<ForwardResponse>;
}
