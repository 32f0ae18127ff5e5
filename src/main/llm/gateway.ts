import { randomUUID } from 'node:crypto';
import { findModel } from '../../shared/models.js';
import { scopedId, type BudgetGuard } from '../ledger/budgets.js';
import type { CallRecord, CallStatus, CallsRepository, CallUsage } from '../ledger/calls-repository.js';
import type { RateLimiter, Ticket, Usage as LimiterUsage } from '../limiter/index.js';
import {
  GatewayError,
  type CallAttribution,
  type GatewayCallOptions,
  type GatewayResult,
  type ModelGateway,
} from './gateway-types.js';
import { ProviderError, type MessagesRequest, type ModelProvider, type ProviderResult, type Usage } from './provider.js';

/** The gateway plus what shutdown needs: waiting until every call in flight is recorded. */
export interface DrainableGateway extends ModelGateway {
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

/**
 * Creates the one path every model call takes: budget admission, the shared limiter,
 * the provider, and a ledger row per attempt with its exact cost. Retries are decided
 * by the limiter and go back through its queue (the provider's own retries are off);
 * each retry is admitted against the budgets again, since every attempt may be billed.
 */
export function createGateway(options: GatewayOptions): DrainableGateway {
  const { provider, limiter, budgets, calls } = options;
  const now = options.now ?? Date.now;
  // Calls not yet settled: shutdown waits for them so an aborted call's billed usage is
  // written before the database closes.
  const inFlight = new Set<Promise<unknown>>();

  const gateway: ModelGateway = {
    async call(request: MessagesRequest, who: CallAttribution, callOptions: GatewayCallOptions = {}) {
      const model = findModel(request.model);
      if (!model) throw new GatewayError('failed', `unknown model "${request.model}"; it cannot be priced`);
      const { signal, onEvent } = callOptions;
      const estimatedInputTokens = estimateInputTokens(request);
      let previous: { ticket: Ticket; requestId: string } | undefined;

      for (;;) {
        const worstCaseNano = budgets.worstCaseCost(request.model, estimatedInputTokens, request.max_tokens);
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
            onWaiting: callOptions.onWaiting,
            pool: model.pool,
            // Per-agent in-flight caps and team fair shares are per mission, like budgets.
            agentId: scopedId(who.missionId, who.agentId ?? 'unattributed'),
            teamId: scopedId(who.missionId, who.teamId ?? 'unattributed'),
            role: who.role,
            estimatedInputTokens,
            maxOutputTokens: request.max_tokens,
            signal,
            retryOf: previous?.ticket,
          });
        } catch (error) {
          budgets.settle(admission.reservationId);
          if (isAbort(error)) throw new GatewayError('aborted', 'the call was cancelled while it waited for the rate limiter');
          throw new GatewayError('failed', `the rate limiter refused the call: ${(error as Error).message}`);
        }

        const startedAt = now();
        const base = {
          retryOf: previous?.requestId ?? null,
          attempt: ticket.attempt,
          missionId: who.missionId,
          teamId: who.teamId,
          agentId: who.agentId,
          role: who.role,
          taskId: who.taskId,
          modelRequested: request.model,
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
          if (storeFailure !== undefined) throw storeFailure;
          return cost;
        };

        let result: ProviderResult;
        try {
          result = await provider.send(request, { signal, onEvent });
        } catch (error) {
          const failure =
            error instanceof ProviderError
              ? error
              : new ProviderError({ kind: 'connection', message: (error as Error)?.message ?? String(error) });
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
          const decision = limiter.fail(ticket, {
            status: failure.kind === 'connection' ? undefined : failure.status,
            headers: failure.headers,
            errorType: failure.apiErrorType,
            errorMessage: failure.message,
            usage: billed ? toLimiterUsage(billed) : undefined,
          });
          if (decision.retry) {
            previous = { ticket, requestId };
            continue;
          }
          if (decision.reason === 'pool-stopped') {
            throw new GatewayError('pool_stopped', `${model.label}'s rate-limit pool is stopped: ${decision.message}`);
          }
          throw new GatewayError('failed', `${failure.kind}: ${failure.message} (${decision.message})`);
        }
        // Outside the try: a failure to store the reply is not a failed attempt (the row
        // below is written either way) and must not be retried or recorded twice.
        limiter.complete(ticket, { usage: toLimiterUsage(result.usage), headers: result.headers });
        const succeeded = result;
        const done = (costNano: number): GatewayResult => ({ ...succeeded, costNano, attempts: ticket.attempt });
        const { onStored } = callOptions;
        const costNano = record(
          {
            ...base,
            requestId: result.requestId ?? `cr_${randomUUID()}`,
            messageId: result.messageId,
            modelResolved: result.message.model,
            firstTokenAt: result.timing.firstTokenAt,
            endedAt: now(),
            status: 'ok',
            httpStatus: 200,
            stopReason: result.stop_reason,
            usage: toCallUsage(result.usage),
          },
          onStored && ((cost) => onStored(done(cost))),
        );
        return done(costNano);
      }
    },
  };

  return {
    call(request, who, callOptions) {
      const pending = gateway.call(request, who, callOptions);
      inFlight.add(pending);
      const forget = () => inFlight.delete(pending);
      pending.then(forget, forget);
      return pending;
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
