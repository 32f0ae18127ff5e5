import { randomUUID } from 'node:crypto';
import { findModel } from '../../shared/models.js';
import { scopedId, type BudgetGuard } from '../ledger/budgets.js';
import type { CallRecord, CallStatus, CallsRepository, InFlightCall } from '../ledger/calls-repository.js';
import type { RateLimiter, Ticket } from '../limiter/index.js';
import { estimateInputTokens } from './estimate.js';
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
import { relayJson, relayStream, type Relay } from './relay.js';
import { toCallUsage, toLimiterUsage, type Answered, type StreamStart } from './usage.js';
import {
  ProviderError,
  type MessagesRequest,
  type ModelProvider,
  type ProviderResult,
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

function isAbort(error: unknown): boolean {
  return (
    (error instanceof ProviderError && error.kind === 'aborted') ||
    (error instanceof Error && error.name === 'AbortError')
  );
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
  /**
   * One attempt upstream; rejects with what failed (a `ProviderError` where possible).
   * Calls `started` when the answer's message_start arrives: from then on it is billed.
   */
  send(started: (start: StreamStart) => void): Promise<{ answered: Answered; value: V }>;
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
      // From its message_start the attempt is billed, so it is in the ledger from then on:
      // its in-flight row (the row it is settled as should the app die before the end) is
      // written in this turn's group, and the attempt's row replaces it in one transaction.
      let inFlight: InFlightCall | undefined;
      let startedId: string | undefined;
      const started = (start: StreamStart): void => {
        if (startedId !== undefined) return;
        startedId = start.requestId ?? `cr_${randomUUID()}`;
        try {
          inFlight = calls.startLater({
            ...base,
            requestId: startedId,
            messageId: start.messageId,
            modelResolved: start.model,
            // A clock stepped back must not make the row invalid.
            endedAt: Math.max(startedAt, now()),
            status: 'partial',
            usage: toCallUsage(start.usage),
          });
        } catch {
          // Cannot be priced or checked now: the attempt's own row at its end says why.
        }
      };
      // The row is recorded (in the ledger's write group: queued for the end of this turn)
      // and the budget hold is released only once it is committed, so no admission in
      // between can miss this attempt's spend. `alongside` runs in the row's transaction,
      // so what it stores lands with the row or not at all.
      const record = (row: CallRecord, alongside?: (costNano: number) => void): number => {
        // Settling twice is harmless: the row written alone after a failed store settles again.
        const settle = () => budgets.settle(admission.reservationId);
        const insert = (): number => calls.insertLater(row, settle, inFlight).totalNano;
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
        outcome = await plan.send(started);
      } catch (error) {
        const failure = toProviderError(error);
        const billed = failure.partialUsage;
        const status: CallStatus =
          failure.kind === 'aborted' ? 'cancelled' : billed ? 'partial' : 'error';
        // The in-flight row's id, so that the row replacing it is the same attempt.
        const requestId = startedId ?? failure.requestId ?? `cr_${randomUUID()}`;
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
          requestId: startedId ?? answered.requestId ?? `cr_${randomUUID()}`,
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
      async send(started) {
        const result = await provider.send(request, {
          signal,
          onEvent: (event) => {
            if (event.type === 'message_start') {
              started({ requestId: event.requestId, messageId: event.messageId, model: null, usage: event.usage });
            }
            onEvent?.(event);
          },
        });
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
    // `started` is the attempt's own: each attempt sets it before it sends.
    const relay: Relay = { sink, signal, now, timing, deliver: () => (delivered = true) };
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
      async send(started) {
        relay.started = started;
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
