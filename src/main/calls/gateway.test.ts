import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetGuard, ledgerSpendSource, scopedId } from '../ledger/budgets.js';
import { CallsRepository } from '../ledger/calls-repository.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { defaultPricer } from '../ledger/pricing.js';
import { RateLimiter } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { createGateway } from './gateway.js';
import type { GatewayError} from './gateway-types.js';
import { type ModelGateway } from './gateway-types.js';
import type { MessagesRequest, ModelProvider } from '../llm/provider.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type FakeMessagesApi,
  type FakeMessagesApiOptions,
} from '../llm/testing/fake-messages-api.js';

// The real @anthropic-ai/sdk against a loopback fake of the Messages API that enforces
// token buckets, sends the real headers and injects faults; the ledger must agree with
// the fake's own billing log to the token.

const limits = { requestsPerMinute: 600, inputTokensPerMinute: 400_000, outputTokensPerMinute: 80_000 };

let dir: string;
let ledger: Ledger;
let fake: FakeMessagesApi;

async function setup(fakeOptions: FakeMessagesApiOptions, caps: { agent?: number; mission?: number } = {}) {
  fake = await startFakeMessagesApi({ limits: { haiku: limits, sonnet: limits, opus: limits }, ...fakeOptions });
  const pricer = defaultPricer();
  const calls = new CallsRepository(ledger.db, pricer);
  const budgets = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
  if (caps.agent !== undefined) budgets.setCap('agent', scopedId('m1', 'agent-0'), caps.agent);
  if (caps.mission !== undefined) budgets.setCap('mission', 'm1', caps.mission);
  const limiter = new RateLimiter({
    pools: {
      opus: { rpm: 600, itpm: 400_000, otpm: 80_000 },
      sonnet: { rpm: 600, itpm: 400_000, otpm: 80_000 },
      haiku: { rpm: 600, itpm: 400_000, otpm: 80_000 },
    },
    rampStartFraction: 1,
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxServerRetries: 8, maxRateLimitRetries: 8 },
    breaker: { failureThreshold: 50, openMs: 100 },
  });
  const provider = new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url });
  const gateway: ModelGateway = createGateway({ provider, limiter, budgets, calls });
  return { gateway, limiter, budgets };
}

const request = (i: number): MessagesRequest => ({
  model: 'claude-haiku-4-5',
  max_tokens: 400,
  system: 'You are a careful coder.',
  messages: [{ role: 'user', content: `Task ${i}: ${'write the function. '.repeat(10 + (i % 7))}` }],
});

const who = (agent: number) => ({
  missionId: 'm1',
  teamId: `team-${agent % 2}`,
  agentId: `agent-${agent}`,
  role: 'coder' as const,
  taskId: null,
});

function ledgerTotals() {
  return ledger.db
    .prepare(
      `SELECT count(*) AS rows, sum(input_tokens) AS input, sum(output_tokens) AS output,
              sum(cache_creation_5m_tokens + cache_creation_1h_tokens) AS cacheWrite,
              sum(cache_read_tokens) AS cacheRead, sum(cost_total_nano) AS cost
         FROM calls`,
    )
    .get() as { rows: number; input: number; output: number; cacheWrite: number; cacheRead: number; cost: number };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-gateway-'));
  ledger = openLedger(join(dir, 'ledger.db'));
});

afterEach(async () => {
  await fake?.close();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway through the real SDK', () => {
  it('records every billed token exactly under 429s, 529s, 500s and cut streams', async () => {
    const { gateway } = await setup({
      seed: 7,
      faultRates: { rateLimit: 0.04, overloaded: 0.06, serverError: 0.06, cutAfterStart: 0.05, cutMidContent: 0.05 },
      faults: [{ kind: 'rate_limit', retryAfterSeconds: 1 }, { kind: 'cut_mid_content', afterDeltas: 1 }],
    });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => gateway.call(request(i), who(i % 12))),
    );
    await fake.whenIdle();

    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed, JSON.stringify(failed.slice(0, 2))).toHaveLength(0);
    expect(fake.stats.byStatus[429] ?? 0).toBeGreaterThan(0);

    const billed = fake.billing.reduce(
      (t, b) => ({
        input: t.input + b.inputTokens,
        output: t.output + b.outputTokens,
        cacheWrite: t.cacheWrite + b.cacheCreationInputTokens,
        cacheRead: t.cacheRead + b.cacheReadInputTokens,
      }),
      { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 },
    );
    const totals = ledgerTotals();
    expect({ input: totals.input, output: totals.output, cacheWrite: totals.cacheWrite, cacheRead: totals.cacheRead }).toEqual(billed);
    expect(fake.billing.some((b) => b.status === 'cut')).toBe(true);

    // Each billed request appears once; the unbilled attempts (429, 529, 500) are rows too.
    const ids = ledger.db.prepare('SELECT request_id FROM calls').pluck().all() as string[];
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of fake.billing) expect(ids).toContain(entry.requestId);
    expect(totals.rows).toBeGreaterThan(fake.billing.length);

    // Retries point at the attempt they retry.
    const retries = ledger.db.prepare('SELECT count(*) FROM calls WHERE attempt > 1 AND retry_of IS NOT NULL').pluck().get();
    expect(retries).toBeGreaterThan(0);
  });

  it('stops the pool on a spend-limit 429 and never retries into it', async () => {
    const { gateway, limiter } = await setup({ faults: [{ kind: 'spend_limit' }] });
    await expect(gateway.call(request(1), who(1))).rejects.toMatchObject({ kind: 'pool_stopped' });
    expect(fake.stats.requests).toBe(1);
    expect(limiter.getState().pools.haiku.stopped).not.toBeNull();
    limiter.close();
  });

  it('never lets an agent overrun its budget cap', async () => {
    const capNano = 3_000_000; // $0.003: a handful of Haiku calls
    const { gateway } = await setup({}, { agent: capNano });
    let refused: GatewayError | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      await gateway.call(request(i), who(0)).catch((error: GatewayError) => {
        refused = error;
      });
    }
    expect(refused?.kind).toBe('budget_exceeded');
    expect(refused?.budget).toMatchObject({ scope: 'agent', scopeId: 'agent-0', capNano });
    expect(ledgerTotals().cost).toBeLessThanOrEqual(capNano);
    expect(ledgerTotals().rows).toBeGreaterThan(1);
  });

  it('records what an aborted stream was billed', async () => {
    const { gateway } = await setup({ eventDelayMs: 30, chunkChars: 4 });
    const controller = new AbortController();
    const call = gateway.call(
      { ...request(1), messages: [{ role: 'user', content: 'write a long answer' }] },
      who(1),
      {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'text_delta') controller.abort();
        },
      },
    );
    await expect(call).rejects.toMatchObject({ kind: 'aborted' });
    await fake.whenIdle();
    const row = ledger.db.prepare('SELECT status, input_tokens, output_tokens FROM calls').get() as {
      status: string;
      input_tokens: number;
      output_tokens: number;
    };
    const bill = fake.billing[0]!;
    expect(row).toEqual({ status: 'cancelled', input_tokens: bill.inputTokens, output_tokens: bill.outputTokens });
  });
});

describe('gateway shutdown', () => {
  it('drain waits until an aborted call has recorded what it was billed', async () => {
    fake = await startFakeMessagesApi({
      limits: { haiku: limits, sonnet: limits, opus: limits },
      eventDelayMs: 30,
      chunkChars: 4,
    });
    const pricer = defaultPricer();
    const gateway = createGateway({
      provider: new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }),
      limiter: new RateLimiter({
        pools: {
          opus: { rpm: 600, itpm: 400_000, otpm: 80_000 },
          sonnet: { rpm: 600, itpm: 400_000, otpm: 80_000 },
          haiku: { rpm: 600, itpm: 400_000, otpm: 80_000 },
        },
        rampStartFraction: 1,
      }),
      budgets: new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer }),
      calls: new CallsRepository(ledger.db, pricer),
    });
    const controller = new AbortController();
    let streaming!: () => void;
    const started = new Promise<void>((resolve) => (streaming = resolve));
    const call = gateway.call({ ...request(1), messages: [{ role: 'user', content: 'a long answer' }] }, who(1), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'text_delta') streaming();
      },
    });
    call.catch(() => {});
    await started;
    controller.abort(); // what quitting the app does to every agent
    expect(await gateway.drain(5_000)).toBe(true);
    // Recorded by the time drain resolves: the database may now close.
    const row = ledger.db.prepare('SELECT status, input_tokens FROM calls').get() as { status: string; input_tokens: number };
    expect(row.status).toBe('cancelled');
    expect(row.input_tokens).toBeGreaterThan(0);
  });
});

describe('gateway: storing the reply with its billing row', () => {
  const side = () => ledger.db.prepare('SELECT text FROM reply_store').pluck().all() as string[];

  it('runs onStored inside the transaction that writes the call row', async () => {
    const { gateway, limiter } = await setup({});
    ledger.db.exec('CREATE TABLE reply_store (text TEXT NOT NULL)');
    let seen: { inTransaction: boolean; rows: number } | undefined;
    const result = await gateway.call(request(1), who(1), {
      onStored: (stored) => {
        seen = { inTransaction: ledger.db.inTransaction, rows: ledgerTotals().rows };
        ledger.db.prepare('INSERT INTO reply_store VALUES (?)').run(stored.requestId ?? '');
      },
    });
    expect(seen).toEqual({ inTransaction: true, rows: 1 });
    expect(side()).toEqual([result.requestId]);
    expect(ledger.db.inTransaction).toBe(false);
    limiter.close();
  });

  it('still records the billed call when storing the reply fails, and neither retries nor records it twice', async () => {
    const { gateway, limiter } = await setup({});
    ledger.db.exec('CREATE TABLE reply_store (text TEXT NOT NULL)');
    const call = gateway.call(request(2), who(2), {
      onStored: () => {
        ledger.db.prepare('INSERT INTO reply_store VALUES (?)').run('rolled back');
        throw new Error('the transcript could not be written');
      },
    });
    await expect(call).rejects.toThrow('the transcript could not be written');
    await fake.whenIdle();
    expect(fake.billing).toHaveLength(1);
    const rows = ledger.db.prepare('SELECT request_id, status FROM calls').all();
    expect(rows).toEqual([{ request_id: fake.billing[0]?.requestId, status: 'ok' }]);
    expect(side()).toEqual([]);
    limiter.close();
  });
});

describe('gateway over a ledger that groups its writes (as the app opens it)', () => {
  beforeEach(() => {
    ledger.close();
    ledger = openLedger(join(dir, 'ledger.db'), { groupCommit: true });
  });

  it('never lets concurrent agents overrun a cap while their rows wait for the end of the turn', async () => {
    const capNano = 4_000_000;
    const { gateway, budgets, limiter } = await setup({}, { mission: capNano });
    // Each agent sends its next call the moment the last one returns: in the same turn
    // as the row it just queued, before that row is written.
    const refusals = await Promise.all(
      [0, 1, 2, 3].map(async (agent) => {
        for (let i = 0; i < 60; i++) {
          try {
            await gateway.call(request(i), who(agent));
          } catch (error) {
            return (error as GatewayError).kind;
          }
        }
        return 'never refused';
      }),
    );
    expect(refusals).toEqual(['budget_exceeded', 'budget_exceeded', 'budget_exceeded', 'budget_exceeded']);
    await fake.whenIdle();
    await new Promise((resolve) => setImmediate(resolve));
    const totals = ledgerTotals();
    expect(totals.rows).toBe(fake.billing.length);
    expect(totals.cost).toBeLessThanOrEqual(capNano);
    expect(budgets.inFlight()).toBe(0);
    limiter.close();
  });

  it("holds a call's budget reservation until its queued row is committed", async () => {
    const { gateway, budgets, limiter } = await setup({}, { mission: 1_000_000_000 });
    const result = await gateway.call(request(1), who(0));
    // Still this turn: budget admission does not read the queued row, the reservation covers it.
    expect(budgets.reservedNano('mission', 'm1')).toBeGreaterThan(result.costNano);
    await new Promise((resolve) => setImmediate(resolve));
    expect(budgets.reservedNano('mission', 'm1')).toBe(0);
    expect(budgets.inFlight()).toBe(0);
    expect(ledgerTotals()).toMatchObject({ rows: 1, cost: result.costNano });
    limiter.close();
  });

  it('stores the reply with its call row in one turn, and reads see both at once', async () => {
    const { gateway, limiter } = await setup({});
    ledger.db.exec('CREATE TABLE reply_store (text TEXT NOT NULL)');
    const result = await gateway.call(request(3), who(3), {
      onStored: (stored) => ledger.db.prepare('INSERT INTO reply_store VALUES (?)').run(stored.requestId ?? ''),
    });
    // Before the turn ends: the row is visible to this connection's readers.
    expect(ledgerTotals().rows).toBe(1);
    expect(ledger.db.prepare('SELECT text FROM reply_store').pluck().all()).toEqual([result.requestId]);
    expect(result.costNano).toBe(ledgerTotals().cost);
    limiter.close();
  });
});

describe('gateway: the raw forward path', () => {
  // A provider whose forward answers with scripted bytes, split where a socket might split
  // them, so the SSE meter is tested against framing the fake never produces.
  const sse = (lineEnd: string) =>
    [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-haiku-4-5', usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 30, cache_read_input_tokens: 400, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 } } } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'héllo' } }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 57 } }],
      ['message_stop', { type: 'message_stop' }],
    ]
      .map(([event, data]) => `: comment${lineEnd}event: ${event as string}${lineEnd}data: ${JSON.stringify(data)}${lineEnd}${lineEnd}`)
      .join('');

  function rawGateway(bytes: Uint8Array, chunk: number) {
    const pricer = defaultPricer();
    const provider: ModelProvider = {
      send: () => Promise.reject(new Error('not used')),
      forward: () =>
        Promise.resolve({
          status: 200,
          headers: { 'content-type': 'text/event-stream', 'request-id': 'req_raw_1' },
          requestId: 'req_raw_1',
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              for (let at = 0; at < bytes.length; at += chunk) controller.enqueue(bytes.slice(at, at + chunk));
              controller.close();
            },
          }),
        }),
    };
    const limiter = new RateLimiter({
      pools: {
        opus: { rpm: 600, itpm: 400_000, otpm: 80_000 },
        sonnet: { rpm: 600, itpm: 400_000, otpm: 80_000 },
        haiku: { rpm: 600, itpm: 400_000, otpm: 80_000 },
      },
      rampStartFraction: 1,
    });
    const gateway = createGateway({
      provider,
      limiter,
      budgets: new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer }),
      calls: new CallsRepository(ledger.db, pricer),
    });
    return { gateway, limiter };
  }

  for (const [name, lineEnd, chunk] of [
    ['LF, one byte at a time', '\n', 1],
    ['CRLF, split inside every CRLF', '\r\n', 3],
    ['CR, in 7-byte chunks', '\r', 7],
  ] as const) {
    it(`meters usage from SSE framed with ${name}, and hands the bytes on unchanged`, async () => {
      const bytes = new TextEncoder().encode(sse(lineEnd));
      const { gateway, limiter } = rawGateway(bytes, chunk);
      const received: Uint8Array[] = [];
      const events: string[] = [];
      const result = await gateway.forward(
        {
          request: { path: '/v1/messages', headers: {}, body: new Uint8Array() },
          model: 'claude-haiku-4-5',
          maxTokens: 100,
          stream: true,
          estimatedInputTokens: 100,
        },
        who(1),
        {
          head: (status) => events.push(`head ${status}`),
          write: (c) => void received.push(c),
          end: () => events.push('end'),
        },
      );
      expect(events).toEqual(['head 200', 'end']);
      expect(Buffer.concat(received)).toEqual(Buffer.from(bytes));
      expect(result).toMatchObject({ requestId: 'req_raw_1', status: 'ok', attempts: 1 });
      const row = ledger.db
        .prepare(
          `SELECT message_id, stop_reason, input_tokens, output_tokens, cache_creation_5m_tokens AS c5,
                  cache_creation_1h_tokens AS c1, cache_read_tokens AS cr, first_token_at IS NOT NULL AS sawToken
             FROM calls`,
        )
        .get();
      expect(row).toEqual({ message_id: 'msg_1', stop_reason: 'end_turn', input_tokens: 12, output_tokens: 57, c5: 10, c1: 20, cr: 400, sawToken: 1 });
      expect(result.costNano).toBe(ledgerTotals().cost);
      limiter.close();
    });
  }
});
