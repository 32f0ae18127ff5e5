import { Anthropic } from '@anthropic-ai/sdk';
import type {
  MessageCountTokensParams,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
} from '@anthropic-ai/sdk/resources/messages';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetGuard, ledgerSpendSource, scopedId } from '../ledger/budgets.js';
import { CallsRepository } from '../ledger/calls-repository.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { defaultPricer } from '../ledger/pricing.js';
import { RateLimiter, type RetryOptions } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { createGateway } from './gateway.js';
import { startGatewayServer, type GatewayServer, type RecordedGatewayCall } from './gateway-server.js';
import type { CallAttribution, GatewayError } from './gateway-types.js';
import type { ModelProvider } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type BillingEntry,
  type FakeMessagesApi,
  type FakeMessagesApiOptions,
} from '../llm/testing/fake-messages-api.js';

// Claude Code sessions' path: a caller speaking the Messages API -> the loopback gateway
// server -> the gateway's attempt loop (budgets, the real limiter, a ledger row per
// attempt in a real temp SQLite ledger that groups its writes, as the app opens it) ->
// AnthropicProvider.forward -> the loopback fake. The fake's billing log is the truth.

const pools = {
  opus: { rpm: 600, itpm: 400_000, otpm: 80_000 },
  sonnet: { rpm: 600, itpm: 400_000, otpm: 80_000 },
  haiku: { rpm: 600, itpm: 400_000, otpm: 80_000 },
};

const who: CallAttribution = {
  missionId: 'm1',
  teamId: 't1',
  agentId: 'cc-1',
  role: 'coder',
  taskId: 'task-1',
};

let dir: string;
let ledger: Ledger;
let fake: FakeMessagesApi | undefined;
let server: GatewayServer | undefined;
let limiter: RateLimiter | undefined;

interface Setup {
  fake?: FakeMessagesApiOptions;
  agentCapNano?: number;
  retry?: RetryOptions;
  provider?: ModelProvider;
  maxBodyBytes?: number;
}

async function setup(options: Setup = {}) {
  fake = await startFakeMessagesApi({ keepBodies: true, ...options.fake });
  const pricer = defaultPricer();
  const calls = new CallsRepository(ledger.db, pricer);
  const budgets = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
  if (options.agentCapNano !== undefined)
    budgets.setCap('agent', scopedId('m1', 'cc-1'), options.agentCapNano);
  limiter = new RateLimiter({
    pools,
    rampStartFraction: 1,
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxServerRetries: 4, maxRateLimitRetries: 4, ...options.retry },
    breaker: { failureThreshold: 50, openMs: 100 },
  });
  const provider =
    options.provider ?? new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url });
  const recordedByGateway: number[] = [];
  const gateway = createGateway({
    provider,
    limiter,
    budgets,
    calls,
    onRecorded: (_record, cost) => recordedByGateway.push(cost),
  });
  server = await startGatewayServer({
    gateway,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  const recorded: RecordedGatewayCall[] = [];
  const refused: GatewayError[] = [];
  const token = server.issue(who, {
    onRecorded: (call) => recorded.push(call),
    onRefused: (error) => refused.push(error),
  });
  return { fake, server, gateway, token, recorded, refused, recordedByGateway };
}

interface Row {
  request_id: string;
  retry_of: string | null;
  attempt: number;
  agent_id: string;
  task_id: string;
  status: string;
  http_status: number | null;
  error_type: string | null;
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_5m_tokens: number;
  cache_creation_1h_tokens: number;
  cache_read_tokens: number;
  cost_total_nano: number;
}

const rows = (): Row[] => ledger.db.prepare('SELECT * FROM calls ORDER BY id').all() as Row[];

/** The ledger's view of one billed request, in the fake's terms. */
const billedAs = (row: Row) => ({
  requestId: row.request_id,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  cacheCreation5mInputTokens: row.cache_creation_5m_tokens,
  cacheCreation1hInputTokens: row.cache_creation_1h_tokens,
  cacheReadInputTokens: row.cache_read_tokens,
});

const truth = (entry: BillingEntry) => ({
  requestId: entry.requestId,
  inputTokens: entry.inputTokens,
  outputTokens: entry.outputTokens,
  cacheCreation5mInputTokens: entry.cacheCreation5mInputTokens,
  cacheCreation1hInputTokens: entry.cacheCreation1hInputTokens,
  cacheReadInputTokens: entry.cacheReadInputTokens,
});

/** A body with a 1 h breakpoint on the system prompt and a 5 m one on the conversation. */
const cachedBody = (extra: Record<string, unknown> = {}) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 300,
  system: [
    {
      type: 'text',
      // Over Haiku 4.5's minimum cacheable prefix (4,096 tokens), like Claude Code's real system prompt.
      text: 'You are Claude Code. '.repeat(800),
      cache_control: { type: 'ephemeral', ttl: '1h' },
    },
  ],
  messages: [
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text: 'The repository layout, at length. '.repeat(40),
          cache_control: { type: 'ephemeral' },
        },
        { type: 'text', text: 'Now fix the failing test.' },
      ],
    },
  ],
  ...extra,
});

/** The same body, typed for the official SDK as caller. */
const sdkParams = () => cachedBody() as unknown as MessageCreateParamsNonStreaming;

function post(
  token: string,
  body: unknown,
  init: { path?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  return fetch(`${server!.url}${init.path ?? '/v1/messages'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': token,
      'anthropic-version': '2023-06-01',
      ...init.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/** Lets the ledger's write group commit this turn's rows. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-gateway-server-'));
  ledger = openLedger(join(dir, 'ledger.db'), { groupCommit: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await fake?.close();
  fake = undefined;
  limiter?.close();
  limiter = undefined;
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway server: calls that succeed', () => {
  it('bills a streamed call made with the official SDK exactly as the fake billed it, cache tokens included', async () => {
    const { token, recorded, recordedByGateway } = await setup();
    const client = new Anthropic({ apiKey: token, baseURL: server!.url, maxRetries: 0, logLevel: 'off' });
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const stream = await client.messages.create({
        ...sdkParams(),
        stream: true,
      } as MessageCreateParamsStreaming);
      let text = '';
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          text += event.delta.text;
      }
      texts.push(text);
    }
    expect(texts[0]).toMatch(/^Echo: /);
    await fake!.whenIdle();
    await turn();
    expect(fake!.billing).toHaveLength(2);
    const ledgerRows = rows();
    expect(ledgerRows.map(billedAs)).toEqual(fake!.billing.map(truth));
    // The first call wrote both caches, the second read them.
    expect(ledgerRows[0]).toMatchObject({
      status: 'ok',
      http_status: 200,
      agent_id: 'cc-1',
      task_id: 'task-1',
    });
    expect(ledgerRows[0]!.cache_creation_1h_tokens).toBeGreaterThan(0);
    expect(ledgerRows[0]!.cache_creation_5m_tokens).toBeGreaterThan(0);
    expect(ledgerRows[1]!.cache_read_tokens).toBeGreaterThan(0);
    expect(ledgerRows[1]!.stop_reason).toBe('end_turn');
    // The session's owner and the gateway's own listener heard of every row, with its cost.
    expect(recorded.map((r) => [r.requestId, r.status, r.costNano])).toEqual(
      ledgerRows.map((r) => [r.request_id, 'ok', r.cost_total_nano]),
    );
    expect(recorded[1]?.usage?.cacheReadTokens).toBe(ledgerRows[1]!.cache_read_tokens);
    expect(recordedByGateway).toEqual(ledgerRows.map((r) => r.cost_total_nano));
  });

  it('bills a non-streamed call exactly and hands the JSON reply on', async () => {
    const { token } = await setup();
    const client = new Anthropic({ apiKey: token, baseURL: server!.url, maxRetries: 0, logLevel: 'off' });
    const message = await client.messages.create(sdkParams());
    expect(message.content[0]).toMatchObject({ type: 'text' });
    await turn();
    expect(rows().map(billedAs)).toEqual(fake!.billing.map(truth));
    expect(fake!.billing[0]?.stream).toBe(false);
    expect(rows()[0]).toMatchObject({ status: 'ok', stop_reason: 'end_turn' });
  });

  it("says in Server-Timing where a call's time went: the API's wait apart from the gateway's own", async () => {
    // The fake answers a non-streamed call only after its first-token latency.
    const { token } = await setup({ fake: { firstTokenLatencyMs: 80 } });
    const started = performance.now();
    const res = await post(token, cachedBody());
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    await res.json();
    const metrics = Object.fromEntries(
      (res.headers.get('server-timing') ?? '').split(',').map((entry) => {
        const [name, dur] = entry.trim().split(';dur=');
        return [name, Number(dur)];
      }),
    );
    expect(Object.keys(metrics)).toEqual(['cr-gateway', 'cr-limiter', 'cr-upstream']);
    expect(metrics['cr-upstream']).toBeGreaterThanOrEqual(80);
    expect(metrics['cr-upstream']).toBeLessThanOrEqual(elapsed);
    expect(metrics['cr-gateway']).toBeGreaterThanOrEqual(0);
    expect(metrics['cr-gateway']! + metrics['cr-limiter']! + metrics['cr-upstream']!).toBeLessThanOrEqual(elapsed);
  });

  it('passes a successful stream through byte for byte, on the beta path with its headers', async () => {
    const seen: Array<{ path: string; beta: unknown; version: unknown }> = [];
    const { token } = await setup({
      fake: {
        responder: (req) => {
          seen.push({
            path: req.path,
            beta: req.headers['anthropic-beta'],
            version: req.headers['anthropic-version'],
          });
          return {
            content: [{ type: 'text', text: 'A reply long enough to take several deltas to stream.' }],
          };
        },
      },
    });
    const res = await post(
      token,
      cachedBody({ stream: true, thinking: { type: 'enabled', budget_tokens: 1024 } }),
      {
        path: '/v1/messages?beta=true',
        headers: { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const requestId = res.headers.get('request-id')!;
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).not.toBeNull();
    const received = await res.text();
    expect(received).toBe(fake!.sentBodies.get(requestId));
    expect(seen).toEqual([
      {
        path: '/v1/messages?beta=true',
        beta: 'claude-code-20250219,interleaved-thinking-2025-05-14',
        version: '2023-06-01',
      },
    ]);
  });

  it('forwards count_tokens, authenticated but never billed', async () => {
    const { token } = await setup();
    const { max_tokens: _unused, ...countable } = cachedBody();
    const client = new Anthropic({ apiKey: token, baseURL: server!.url, maxRetries: 0, logLevel: 'off' });
    const counted = await client.messages.countTokens(countable as unknown as MessageCountTokensParams);
    expect(counted.input_tokens).toBeGreaterThan(100);
    expect(fake!.stats.countTokens).toBe(1);
    const unauthenticated = await post('cr_not-a-token', countable, { path: '/v1/messages/count_tokens' });
    expect(unauthenticated.status).toBe(401);
    expect(fake!.stats.countTokens).toBe(1);
    await turn();
    expect(rows()).toEqual([]);
    expect(fake!.billing).toEqual([]);
  });
});

describe('gateway server: retries inside the gateway', () => {
  it('retries a 429 after its retry-after and answers the caller once: two rows', async () => {
    const { token } = await setup({ fake: { faults: [{ kind: 'rate_limit', retryAfterSeconds: 1 }] } });
    const client = new Anthropic({ apiKey: token, baseURL: server!.url, maxRetries: 0, logLevel: 'off' });
    const started = Date.now();
    const message = await client.messages.create(sdkParams());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(message.type).toBe('message');
    await turn();
    const [limited, ok] = rows();
    expect(limited).toMatchObject({
      status: 'error',
      http_status: 429,
      error_type: 'rate_limit_error',
      attempt: 1,
    });
    expect(ok).toMatchObject({ status: 'ok', attempt: 2, retry_of: limited!.request_id });
    expect(
      rows()
        .filter((r) => r.status === 'ok')
        .map(billedAs),
    ).toEqual(fake!.billing.map(truth));
  });

  it('retries a 529, and once retries are exhausted gives the caller the upstream 529 itself', async () => {
    const { token } = await setup({
      fake: { faults: [{ kind: 'overloaded' }, { kind: 'overloaded' }, { kind: 'overloaded' }] },
      retry: { maxServerRetries: 1 },
    });
    const first = await post(token, cachedBody({ stream: true }));
    expect(first.status).toBe(529);
    const body = (await first.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(first.headers.get('request-id')).toMatch(/^req_fake/);
    await turn();
    expect(rows().map((r) => [r.status, r.http_status, r.attempt])).toEqual([
      ['error', 529, 1],
      ['error', 529, 2],
    ]);
    // The third fault, then success: a fresh call retries past it.
    const second = await post(token, cachedBody({ stream: true }));
    expect(second.status).toBe(200);
    await second.text();
    await turn();
    expect(rows().map((r) => [r.status, r.attempt])).toEqual([
      ['error', 1],
      ['error', 2],
      ['error', 1],
      ['ok', 2],
    ]);
  });
});

describe('gateway server: streams that break', () => {
  it('bills a stream cut after bytes were sent as partial, never retries it, and cuts the caller too', async () => {
    const { token } = await setup({ fake: { faults: [{ kind: 'cut_mid_content', afterDeltas: 1 }] } });
    const res = await post(token, cachedBody({ stream: true }));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await fake!.whenIdle();
    await turn();
    expect(fake!.stats.requests).toBe(1);
    expect(fake!.billing[0]?.status).toBe('cut');
    const [row] = rows();
    expect(row).toMatchObject({ status: 'partial' });
    expect(billedAs(row!)).toEqual(truth(fake!.billing[0]!));
  });

  it('hands an SSE error event on as the API sent it and bills what the stream had shown', async () => {
    const { token } = await setup({ fake: { faults: [{ kind: 'stream_error' }] } });
    const res = await post(token, cachedBody({ stream: true }));
    const text = await res.text();
    expect(text).toContain('event: error');
    expect(text).toBe(fake!.sentBodies.get(res.headers.get('request-id')!));
    await turn();
    expect(rows()).toHaveLength(1);
    expect(rows()[0]).toMatchObject({ status: 'partial', error_type: 'overloaded_error' });
    expect(billedAs(rows()[0]!)).toEqual(truth(fake!.billing[0]!));
  });

  it('aborts upstream when the caller disconnects mid-stream and bills what arrived as cancelled', async () => {
    const { token } = await setup({ fake: { eventDelayMs: 30, chunkChars: 4 } });
    const controller = new AbortController();
    const res = await post(token, cachedBody({ stream: true }), { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('content_block_delta'))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await fake!.whenIdle();
    await expect.poll(async () => (await turn(), rows().length)).toBe(1);
    expect(fake!.billing[0]?.status).toBe('aborted');
    expect(rows()[0]).toMatchObject({ status: 'cancelled' });
    expect(billedAs(rows()[0]!)).toEqual(truth(fake!.billing[0]!));
  });
});

describe('gateway server: what is refused before anything is sent', () => {
  it('answers an unknown token 401 and a revoked one 401, aborting its call in flight', async () => {
    const { token } = await setup({ fake: { eventDelayMs: 30, chunkChars: 4 } });
    const unknown = await post('cr_unknown', cachedBody());
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const bearer = await fetch(`${server!.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}x` },
      body: JSON.stringify(cachedBody()),
    });
    expect(bearer.status).toBe(401);
    expect(fake!.stats.requests).toBe(0);

    const res = await post(token, cachedBody({ stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    server!.revoke(token);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
    await fake!.whenIdle();
    await expect.poll(async () => (await turn(), rows().length)).toBe(1);
    expect(rows()[0]).toMatchObject({ status: 'cancelled' });
    expect(billedAs(rows()[0]!)).toEqual(truth(fake!.billing[0]!));

    const after = await post(token, cachedBody());
    expect(after.status).toBe(401);
    expect(fake!.stats.requests).toBe(1);
  });

  it('refuses malformed bodies, missing fields, unknown models, oversized bodies and other routes', async () => {
    const { token } = await setup({ maxBodyBytes: 64 * 1024 });
    const cases: Array<[unknown, RegExp]> = [
      ['{"model": "claude-haiku-4-5", ', /not valid JSON/],
      ['[1, 2]', /JSON object/],
      [{ max_tokens: 10, messages: [] }, /model: Field required/],
      [{ model: 'claude-haiku-4-5', messages: [] }, /max_tokens/],
      [{ model: 'claude-haiku-4-5', max_tokens: 0, messages: [] }, /max_tokens/],
      [{ model: 'gpt-4', max_tokens: 10, messages: [] }, /"gpt-4" is not a model Control Room can price/],
    ];
    for (const [body, message] of cases) {
      const res = await post(token, body);
      expect(res.status).toBe(400);
      const error = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(error.error.message).toMatch(message);
    }
    const huge = await post(token, cachedBody({ padding: 'x'.repeat(70 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { type: 'request_too_large' } });
    const models = await fetch(`${server!.url}/v1/models`, { headers: { 'x-api-key': token } });
    expect(models.status).toBe(404);
    expect(fake!.stats.requests).toBe(0);
    await turn();
    expect(rows()).toEqual([]);
  });

  it('answers a budget refusal 400 with its message and tells the session owner, nothing sent', async () => {
    const { token, refused } = await setup({ agentCapNano: 1_000 });
    const client = new Anthropic({ apiKey: token, baseURL: server!.url, maxRetries: 0, logLevel: 'off' });
    const failure = await client.messages.create(sdkParams()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    const apiError = failure as InstanceType<typeof Anthropic.BadRequestError>;
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((apiError.error as { error: { message: string } }).error.message).toMatch(/^Control Room: /);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      kind: 'budget_exceeded',
      budget: { scope: 'agent', scopeId: 'cc-1' },
    });
    expect(fake!.stats.requests).toBe(0);
    await turn();
    expect(rows()).toEqual([]);
  });

  it('answers 529 with the reason once the pool is stopped (a spend limit)', async () => {
    const { token, refused } = await setup({ fake: { faults: [{ kind: 'spend_limit' }] } });
    const res = await post(token, cachedBody());
    expect(res.status).toBe(529);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('overloaded_error');
    expect(body.error.message).toMatch(/pool is stopped/);
    expect(refused.map((e) => e.kind)).toEqual(['pool_stopped']);
    expect(fake!.stats.requests).toBe(1);
  });

  it('answers 501 when the provider cannot forward (the simulated provider)', async () => {
    const { token } = await setup({ provider: new SimulatedProvider() });
    const res = await post(token, cachedBody());
    expect(res.status).toBe(501);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /Claude Code agents need the Anthropic provider/,
    );
  });

  it('listens on loopback only and issues distinct tokens', async () => {
    const { token } = await setup();
    expect(server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const other = server!.issue(who);
    expect(other).not.toBe(token);
    expect(token).toMatch(/^cr_[A-Za-z0-9_-]{43}$/);
  });
});
