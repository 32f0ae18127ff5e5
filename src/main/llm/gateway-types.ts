import type { AgentRole } from '../../shared/team.js';
import type { MessagesRequest, ProviderEvent, ProviderResult } from './provider.js';

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
  /** `background` is work no agent waits on directly (context compaction). */
  role: AgentRole | 'background';
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

/** The only error `ModelGateway.call` rejects with. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    readonly budget?: BudgetRefusal,
  ) {
    super(message);
  }
}

export interface ModelGateway {
  call(request: MessagesRequest, attribution: CallAttribution, options?: GatewayCallOptions): Promise<GatewayResult>;
}
