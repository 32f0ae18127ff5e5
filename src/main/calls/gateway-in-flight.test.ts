import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetGuard, ledgerSpendSource } from '../ledger/budgets.js';
import { CallsRepository } from '../ledger/calls-repository.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { defaultPricer } from '../ledger/pricing.js';
import { RateLimiter } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi, type FakeMessagesApiOptions } from '../llm/testing/fake-messages-api.js';
import { createGateway } from './gateway.js';
import type { ForwardSink } from './gateway-types.js';

/**
 * The gateway bills a streamed attempt from its message_start: while the stream runs the
 * ledger holds it in calls_in_flight (committed with the turn message_start arrived in),
 * and however the attempt ends (answered, cut, cancelled) its calls row takes that row's
 * place, on the built-in path and the forwarded one alike. The real SDK against the fake.
 */

const roomy = { rpm: 600, itpm: 400_000, otpm: 80_000 };
let dir: string;
let ledger: Ledger;
let fake: FakeMessagesApi | undefined;
let limiter: RateLimiter | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-gateway-in-flight-'));
  ledger = openLedger(join(dir, 'ledger.db'), { groupCommit: true });
});
afterEach(async () => {
  limiter?.close();
  await fake?.close();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  fake = undefined;
  limiter = undefined;
});

async function setup(options: FakeMessagesApiOptions) {
  fake = await startFakeMessagesApi(options);
  const pricer = defaultPricer();
  const calls = new CallsRepository(ledger.db, pricer);
  limiter = new RateLimiter({ pools: { opus: roomy, sonnet: roomy, haiku: roomy }, rampStartFraction: 1, retry: { baseDelayMs: 10, maxDelayMs: 20, maxServerRetries: 0, maxRateLimitRetries: 0 } });
  const gateway = createGateway({
    provider: new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }),
    limiter,
    budgets: new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer }),
    calls,
  });
  return { gateway, calls };
}

const WHO = { missionId: 'm1', teamId: 't1', agentId: 'a1', role: 'coder', taskId: null } as const;
const REQUEST = { model: 'claude-haiku-4-5', max_tokens: 200, messages: [{ role: 'user' as const, content: 'hello there' }] };
/** What another connection reads: only what is committed. */
const committedInFlight = () => {
  const reader = openLedger(ledger.path);
  try {
    return reader.db.prepare('SELECT request_id FROM calls_in_flight').pluck().all() as string[];
  } finally {
    reader.close();
  }
};
const waitFor = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the gateway bills from message_start', () => {
  it('holds a built-in call in flight while it streams, then its row replaces it', async () => {
    const { gateway, calls } = await setup({ firstTokenLatencyMs: 300 });
    const pending = gateway.call(REQUEST, WHO);
    await waitFor(() => fake!.messageStarts.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const id = fake!.messageStarts[0]!.requestId;
    expect(committedInFlight()).toEqual([id]);
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
    expect(committedInFlight()).toEqual([]);
    expect(calls.get(id)).toMatchObject({ status: 'ok', usage: { inputTokens: fake!.billing[0]!.inputTokens } });
  });

  it('replaces the in-flight row of a forwarded (Claude Code) stream, and of a cut or cancelled one, with exactly one row', async () => {
    const { gateway, calls } = await setup({ firstTokenLatencyMs: 200, faults: [{ kind: 'none' }, { kind: 'cut_mid_content' }] });
    const sink: ForwardSink = { head: () => undefined, write: () => undefined, end: () => undefined };
    const body = new TextEncoder().encode(JSON.stringify({ ...REQUEST, stream: true }));
    const forwarded = gateway.forward(
      { request: { path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body }, model: REQUEST.model, maxTokens: 200, stream: true, estimatedInputTokens: 50 },
      WHO,
      sink,
    );
    await waitFor(() => fake!.messageStarts.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(committedInFlight()).toEqual([fake!.messageStarts[0]!.requestId]);
    await forwarded;

    await expect(gateway.call(REQUEST, WHO)).rejects.toThrow();
    const abort = new AbortController();
    const cancelled = gateway.call(REQUEST, WHO, { signal: abort.signal });
    await waitFor(() => fake!.messageStarts.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    await expect(cancelled).rejects.toThrow();
    await new Promise((resolve) => setImmediate(resolve));

    expect(committedInFlight()).toEqual([]);
    const statuses = fake!.messageStarts.map((s) => calls.get(s.requestId)?.status);
    expect(statuses).toEqual(['ok', 'partial', 'cancelled']);
    expect(Number(ledger.db.prepare('SELECT count(*) FROM calls').pluck().get())).toBe(3);
  });
});
