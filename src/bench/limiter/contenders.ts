/**
 * The ways of sending a call that the limiter benchmark compares: our production path
 * (gateway + shared RateLimiter + AnthropicProvider + ledger) and two set-ups a user might
 * pick instead, both leaving 429s to the SDK's default retries (2).
 */
import { Anthropic } from '@anthropic-ai/sdk';
import Bottleneck from 'bottleneck';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { BudgetGuard, ledgerSpendSource } from '../../main/ledger/budgets.js';
import { CallsRepository } from '../../main/ledger/calls-repository.js';
import { openLedger } from '../../main/ledger/database.js';
import { defaultPricer } from '../../main/ledger/pricing.js';
import { AnthropicProvider } from '../../main/llm/anthropic-provider.js';
import { createGateway } from '../../main/calls/gateway.js';
import type { MessagesRequest } from '../../main/llm/provider.js';
import { DEFAULT_FAKE_API_KEY } from '../../main/llm/testing/fake-messages-api.js';
import { RateLimiter } from '../../main/limiter/rate-limiter.js';
import type { PoolLimits } from '../../main/limiter/types.js';
import { withTrace, type CallTrace } from './measure.js';
import type { BenchLimits } from './workload.js';

export interface SendContext {
  agent: number;
  /** `background` is the drain call, kept out of the coders' output estimate. */
  role: 'coder' | 'background';
  trace: CallTrace;
  signal: AbortSignal;
}

/** A contender started against one fake server. */
export interface Sender {
  /** Resolves once the whole reply has streamed; rejects when the client gives up on the call. */
  send(request: MessagesRequest, context: SendContext): Promise<void>;
  /** The run is over: drop whatever still waits. */
  stop(): void;
  close(): Promise<void>;
  /** One line about the contender's state after the run, if it has any. */
  diagnostics?(): string;
}

export interface Contender {
  id: string;
  label: string;
  /** Whether the run starts with the server's (and the contender's) minute already used. */
  drained: boolean;
  start(url: string, limits: BenchLimits): Sender;
}

/** Our production path, exactly as the app wires it, with a throwaway ledger. */
export function gatewayContender(options: {
  id: string;
  label: string;
  rampStartFraction?: number;
  drained: boolean;
}): Contender {
  return {
    id: options.id,
    label: options.label,
    drained: options.drained,
    start(url, limits) {
      const dir = mkdtempSync(join(tmpdir(), 'cr-bench-limiter-'));
      const ledger = openLedger(join(dir, 'ledger.db'));
      const pricer = defaultPricer();
      const calls = new CallsRepository(ledger.db, pricer);
      const budgets = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
      const pool: PoolLimits = { rpm: limits.rpm, itpm: limits.itpm, otpm: limits.otpm };
      const limiter = new RateLimiter({
        pools: { opus: pool, sonnet: pool, haiku: pool },
        ...(options.rampStartFraction !== undefined ? { rampStartFraction: options.rampStartFraction } : {}),
      });
      const provider = new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: url });
      const gateway = createGateway({ provider, limiter, budgets, calls });
      return {
        async send(request, { agent, role, trace, signal }) {
          const who = {
            missionId: 'bench',
            teamId: `team-${agent % 4}`,
            agentId: role === 'background' ? 'drain' : `agent-${agent}`,
            role,
            taskId: null,
          };
          await withTrace(trace, () => gateway.call(request, who, { signal }));
        },
        stop() {},
        async close() {
          limiter.close();
          ledger.close();
          rmSync(dir, { recursive: true, force: true });
        },
        diagnostics() {
          const haiku = limiter.getState().pools.haiku;
          const out = haiku.buckets.output;
          return (
            `rate factor ${haiku.rateFactor.toFixed(2)}, output limit ${out.limit} (${out.limitSource}), ` +
            `coder output estimate ${limiter.getState().outputEstimates.coder ?? '-'} tokens`
          );
        },
      };
    },
  };
}

function sdkClient(url: string): Anthropic {
  // maxRetries left at the SDK default (2): that is the baseline. Logging off only keeps
  // the printed table readable; it does not change what the client does.
  return new Anthropic({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: url, logLevel: 'off' });
}

/** One streamed call through the bare SDK, read to the end (its retries cover the 429s). */
async function streamThroughSdk(
  client: Anthropic,
  request: MessagesRequest,
  signal: AbortSignal,
): Promise<void> {
  const stream = await client.messages.create({ ...request, stream: true }, { signal });
  for await (const event of stream) void event;
}

/** Baseline A: a plain concurrency cap around the SDK. */
export function concurrencyCapContender(concurrency: number): Contender {
  return {
    id: 'cap',
    label: `A: p-queue concurrency ${concurrency}`,
    drained: true,
    start(url) {
      const client = sdkClient(url);
      const queue = new PQueue({ concurrency });
      return {
        // The job runs in whichever context p-queue starts it from, so the trace is bound here.
        send: (request, { trace, signal }) =>
          queue.add(() => withTrace(trace, () => streamThroughSdk(client, request, signal)), { signal }),
        stop: () => queue.clear(),
        close: async () => {},
      };
    },
  };
}

/** Baseline B: requests spaced to the RPM limit (bottleneck's minTime), tokens not counted. */
export function rpmSpacingContender(): Contender {
  return {
    id: 'rpm',
    label: 'B: bottleneck minTime=60000/RPM',
    drained: true,
    start(url, limits) {
      const client = sdkClient(url);
      const limiter = new Bottleneck({ minTime: 60_000 / limits.rpm, maxConcurrent: null });
      return {
        send: (request, { trace, signal }) =>
          limiter.schedule(() => withTrace(trace, () => streamThroughSdk(client, request, signal))),
        stop: () => void limiter.stop({ dropWaitingJobs: true }).catch(() => undefined),
        close: async () => {},
      };
    },
  };
}
