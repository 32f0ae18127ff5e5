import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type FakeMessagesApi,
  type FakeMessagesApiOptions,
} from './fake-messages-api.js';

let fakes: FakeMessagesApi[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

async function start(options: FakeMessagesApiOptions = {}): Promise<FakeMessagesApi> {
  const fake = await startFakeMessagesApi(options);
  fakes.push(fake);
  return fake;
}

const HEADERS = {
  'content-type': 'application/json',
  'x-api-key': DEFAULT_FAKE_API_KEY,
  'anthropic-version': '2026-10-21',
};

function post(
  fake: FakeMessagesApi,
  body: unknown,
  headers: Record<string, string> = HEADERS,
): Promise<Response> {
  return fetch(`${fake.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const request = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Hello there' }],
  ...extra,
});

/** Splits an SSE body into `[event name, parsed data]` pairs. */
function parseSse(text: string): Array<[string, Record<string, unknown>]> {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(chunk)?.[1] ?? '{}';
      return [event, JSON.parse(data) as Record<string, unknown>];
    });
}

describe('fake Messages API: protocol', () => {
  it('listens on loopback and answers a non-streaming request with a message and the real headers', async () => {
    const fake = await start();
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await post(fake, request());
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Echo: Hello there' }],
    });
    expect(body['id']).toMatch(/^msg_/);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    for (const name of ['requests', 'input-tokens', 'output-tokens', 'tokens']) {
      expect(res.headers.get(`anthropic-ratelimit-${name}-limit`)).toMatch(/^\d+$/);
      expect(res.headers.get(`anthropic-ratelimit-${name}-remaining`)).toMatch(/^\d+$/);
      expect(res.headers.get(`anthropic-ratelimit-${name}-reset`)).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
    }
    expect(fake.billing).toHaveLength(1);
    expect(fake.billing[0]).toMatchObject({
      status: 'completed',
      stream: false,
      requestId: res.headers.get('request-id'),
    });
  });

  it('streams the real event sequence with cumulative usage in message_delta', async () => {
    const fake = await start({
      chunkChars: 4,
      responder: () => ({
        content: [
          { type: 'text', text: 'Reading it.' },
          { type: 'tool_use', name: 'read_file', input: { path: 'src/a.ts' } },
        ],
        outputTokens: 42,
      }),
    });
    const res = await post(fake, request({ stream: true }));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    const names = events.map(([e]) => e);
    expect(names.slice(0, 3)).toEqual(['message_start', 'ping', 'content_block_start']);
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(names.filter((n) => n === 'content_block_start')).toHaveLength(2);
    expect(names.filter((n) => n === 'content_block_stop')).toHaveLength(2);

    const start0 = events[0]?.[1] as { message: { usage: Record<string, number> } };
    expect(start0.message.usage).toMatchObject({ output_tokens: 1, cache_read_input_tokens: 0 });
    expect(start0.message.usage['input_tokens']).toBeGreaterThan(0);

    const json = events
      .filter(
        ([e, d]) =>
          e === 'content_block_delta' && (d['delta'] as { type: string }).type === 'input_json_delta',
      )
      .map(([, d]) => (d['delta'] as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ path: 'src/a.ts' });

    const delta = events.at(-2)?.[1] as { delta: { stop_reason: string }; usage: { output_tokens: number } };
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(delta.usage.output_tokens).toBe(42);
    expect(fake.billing[0]).toMatchObject({ status: 'completed', outputTokens: 42, stream: true });
  });

  it('rejects a bad key with 401, a missing version with 400, and sampling params on 2026-10-21', async () => {
    const fake = await start();
    const bad = await post(fake, request(), { ...HEADERS, 'x-api-key': 'sk-ant-FAKE-wrong' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const { 'anthropic-version': _omitted, ...noVersion } = HEADERS;
    const unversioned = await post(fake, request(), noVersion);
    expect(unversioned.status).toBe(400);
    expect(await unversioned.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });

    const sampled = await post(fake, request({ temperature: 1 }));
    expect(sampled.status).toBe(400);
    expect(((await sampled.json()) as { error: { message: string } }).error.message).toMatch(/temperature/);

    const legacy = await post(fake, request({ temperature: 1 }), {
      ...HEADERS,
      'anthropic-version': '2023-06-01',
    });
    expect(legacy.status).toBe(200);

    const bearer = await post(fake, request(), {
      'content-type': 'application/json',
      authorization: `Bearer ${DEFAULT_FAKE_API_KEY}`,
      'anthropic-version': '2026-10-21',
    });
    expect(bearer.status).toBe(200);
    // Errors before admission are not billed.
    expect(fake.billing).toHaveLength(2);
  });

  it('answers an unknown model with 404 not_found_error', async () => {
    const fake = await start();
    const res = await post(fake, request({ model: 'claude-nonexistent' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('fake Messages API: rate limits', () => {
  it('decrements the request bucket, rejects with 429 + retry-after when empty, and refills continuously', async () => {
    let t = 1_000_000;
    const fake = await start({ now: () => t, limits: { sonnet: { requestsPerMinute: 2 } } });

    const first = await post(fake, request());
    expect(first.headers.get('anthropic-ratelimit-requests-limit')).toBe('2');
    expect(first.headers.get('anthropic-ratelimit-requests-remaining')).toBe('1');
    const second = await post(fake, request());
    expect(second.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');

    const limited = await post(fake, request());
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    // One request refills in 30 s at 2 RPM.
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(limited.headers.get('anthropic-ratelimit-requests-reset')).toBe(
      new Date(t + 60_000).toISOString().replace('.000Z', 'Z'),
    );

    // Other pools are independent.
    expect((await post(fake, request({ model: 'claude-haiku-4-5' }))).status).toBe(200);

    t += 29_000;
    expect((await post(fake, request())).status).toBe(429);
    t += 1_000;
    const refilled = await post(fake, request());
    expect(refilled.status).toBe(200);
    expect(fake.billing).toHaveLength(4);
  });

  it('counts input plus cache writes against input TPM and settles output TPM at completion', async () => {
    let t = 5_000_000;
    const fake = await start({
      now: () => t,
      limits: { sonnet: { inputTokensPerMinute: 100, outputTokensPerMinute: 60 } },
      responder: () => ({ content: [{ type: 'text', text: 'ok' }], outputTokens: 60 }),
    });
    const big = request({ messages: [{ role: 'user', content: 'x'.repeat(600) }] });
    const tooBig = await post(fake, big);
    expect(tooBig.status).toBe(429);
    expect(((await tooBig.json()) as { error: { message: string } }).error.message).toMatch(/input tokens/);

    const ok = await post(fake, request({ stream: true }));
    expect(ok.status).toBe(200);
    await ok.text();
    const charged = fake.billing[0]?.inputTokens ?? 0;
    expect(Number(ok.headers.get('anthropic-ratelimit-input-tokens-remaining'))).toBe(100 - charged);
    // A stream's headers go out before its output is known, so they show the bucket unspent.
    expect(ok.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('60');

    const next = await post(fake, request());
    expect(next.status).toBe(429);
    expect(next.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('0');
    // The combined header reports the tighter of the two token limits.
    expect(next.headers.get('anthropic-ratelimit-tokens-limit')).toBe('60');
    expect(next.headers.get('retry-after')).toBe('1');

    t += 1_000;
    expect((await post(fake, request())).status).toBe(200);
  });

  it('caches a prompt prefix at its breakpoint: a write, then reads that input TPM does not charge', async () => {
    let t = 0;
    const fake = await start({ now: () => t });
    const cached = request({
      system: [
        {
          type: 'text',
          text: 'You are a careful coder. '.repeat(200),
          cache_control: { type: 'ephemeral', ttl: '1h' },
        },
      ],
    });
    await post(fake, cached);
    await post(fake, cached);
    t += 3_600_001;
    await post(fake, cached);
    const [write, read, expired] = fake.billing;
    expect(write?.cacheCreation1hInputTokens).toBeGreaterThan(1_024);
    expect(write?.cacheCreationInputTokens).toBe(write?.cacheCreation1hInputTokens);
    expect(write?.cacheReadInputTokens).toBe(0);
    expect(read?.cacheReadInputTokens).toBe(write?.cacheCreationInputTokens);
    expect(read?.cacheCreationInputTokens).toBe(0);
    expect((read?.inputTokens ?? 0) + (read?.cacheReadInputTokens ?? 0)).toBe(
      (write?.inputTokens ?? 0) + (write?.cacheCreationInputTokens ?? 0),
    );
    expect(expired?.cacheCreationInputTokens).toBe(write?.cacheCreationInputTokens);
  });

  it('reads the previous turn from the cache when the breakpoint moves to the newest message', async () => {
    const fake = await start();
    const task = 'Refactor the parser. '.repeat(500);
    const turn1 = request({
      messages: [
        { role: 'user', content: [{ type: 'text', text: task, cache_control: { type: 'ephemeral' } }] },
      ],
    });
    const turn2 = request({
      messages: [
        { role: 'user', content: [{ type: 'text', text: task }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Done with step one.' }] },
        {
          role: 'user',
          content: [{ type: 'text', text: 'Now step two.', cache_control: { type: 'ephemeral' } }],
        },
      ],
    });
    await post(fake, turn1);
    await post(fake, turn2);
    const [first, second] = fake.billing;
    expect(first?.cacheCreation5mInputTokens).toBeGreaterThan(1_024);
    expect(second?.cacheReadInputTokens).toBe(first?.cacheCreationInputTokens);
    expect(second?.cacheCreation5mInputTokens).toBeGreaterThan(0);
    expect(second?.cacheCreation1hInputTokens).toBe(0);
  });
});

describe('fake Messages API: prompt caching rules', () => {
  const marked = (text: string, ttl?: '1h') => ({
    type: 'text',
    text,
    cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' },
  });

  it('neither writes nor reads a prefix shorter than the model\'s minimum cacheable length', async () => {
    const fake = await start();
    // ~500 tokens: under Sonnet 4.5's 1,024; the same text 4 times over is above it.
    const short = request({ system: [marked('Short rules. '.repeat(150))] });
    const long = request({ system: [marked('Short rules. '.repeat(600))] });
    for (const body of [short, short, long, long]) expect((await post(fake, body)).status).toBe(200);
    const [s1, s2, l1, l2] = fake.billing;
    expect([s1?.cacheCreationInputTokens, s1?.cacheReadInputTokens]).toEqual([0, 0]);
    expect([s2?.cacheCreationInputTokens, s2?.cacheReadInputTokens]).toEqual([0, 0]);
    expect(l1?.cacheCreationInputTokens).toBeGreaterThan(1_024);
    expect(l2?.cacheReadInputTokens).toBe(l1?.cacheCreationInputTokens);
  });

  it('reads a string message and the same text as a block as one prefix', async () => {
    const fake = await start();
    const text = 'Read the parser first. '.repeat(300);
    await post(fake, request({ system: 'rules', messages: [{ role: 'user', content: [marked(text)] }] }));
    await post(
      fake,
      request({
        system: 'rules',
        messages: [
          { role: 'user', content: text },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [marked('next')] },
        ],
      }),
    );
    expect(fake.billing[1]?.cacheReadInputTokens).toBe(fake.billing[0]?.cacheCreationInputTokens);
  });

  it('refuses a fifth breakpoint and a 1-hour breakpoint after a 5-minute one, as the API does', async () => {
    const fake = await start();
    const five = request({ messages: [{ role: 'user', content: ['a', 'b', 'c', 'd', 'e'].map((t) => marked(t)) }] });
    const res = await post(fake, five);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('A maximum of 4 blocks with cache_control may be provided. Found 5.');
    const order = request({ system: [marked('rules')], messages: [{ role: 'user', content: [marked('hi', '1h')] }] });
    const res2 = await post(fake, order);
    expect(res2.status).toBe(400);
    expect(await res2.text()).toContain("ttl='1h'");
    expect(fake.billing).toEqual([]);
  });
});

describe('fake Messages API: faults', () => {
  it('plays an explicit schedule, including a spend-limit 429 without retry-after', async () => {
    const fake = await start({
      faults: [
        { kind: 'spend_limit' },
        { kind: 'overloaded' },
        { kind: 'server_error' },
        { kind: 'rate_limit', retryAfterSeconds: 7 },
      ],
    });
    const spend = await post(fake, request());
    expect(spend.status).toBe(429);
    expect(spend.headers.get('retry-after')).toBeNull();
    expect(await spend.json()).toMatchObject({
      error: { type: 'rate_limit_error', details: { error_code: 'enforced_spend_limit_reached' } },
    });
    const overloaded = await post(fake, request());
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toMatchObject({ error: { type: 'overloaded_error' } });
    expect(overloaded.headers.get('anthropic-ratelimit-requests-limit')).not.toBeNull();
    const server = await post(fake, request());
    expect(server.status).toBe(500);
    expect(await server.json()).toMatchObject({ error: { type: 'api_error' } });
    const limited = await post(fake, request());
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await post(fake, request())).status).toBe(200);
    expect(fake.billing).toHaveLength(1);
    expect(fake.stats.byStatus).toEqual({ 200: 1, 429: 2, 500: 1, 529: 1 });
  });

  it('draws the same faults for the same seed', async () => {
    const faultRates = { rateLimit: 0.2, overloaded: 0.2, serverError: 0.1 };
    const statuses = async (seed: number): Promise<number[]> => {
      const fake = await start({ seed, faultRates });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await post(fake, request())).status);
      return out;
    };
    const a = await statuses(42);
    expect(await statuses(42)).toEqual(a);
    expect(new Set(a)).toEqual(new Set([200, 429, 529, 500]));
  });
});

describe('fake Messages API: what Claude Code sends', () => {
  // Claude Code (the `claude` CLI) calls the beta path with its own version and beta flags,
  // and a body with fields the fake does not model; none of that may fail a test.
  const claudeCodeHeaders = {
    'content-type': 'application/json',
    'x-api-key': DEFAULT_FAKE_API_KEY,
    'anthropic-version': '2023-06-01',
    'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27',
  };
  const claudeCodeBody = request({
    stream: true,
    temperature: 1,
    thinking: { type: 'enabled', budget_tokens: 1024 },
    metadata: { user_id: 'user_abc_account_def_session_ghi' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      // Longer than Sonnet 4.5's minimum cacheable prompt (1,024 tokens).
      { type: 'text', text: 'Project instructions. '.repeat(200), cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      { name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: {} } },
      { name: 'Odd', input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', properties: {} } },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
    ],
  });

  it('answers the beta path with any dated version and beta flags, ignoring fields it does not model', async () => {
    const seen: Array<{ path: string; beta: unknown; version: unknown }> = [];
    const fake = await start({
      responder: (req) => {
        seen.push({
          path: req.path,
          beta: req.headers['anthropic-beta'],
          version: req.headers['anthropic-version'],
        });
        return { content: [{ type: 'text', text: 'ok' }] };
      },
    });
    const res = await fetch(`${fake.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { ...claudeCodeHeaders, 'anthropic-version': '2025-04-14' },
      body: JSON.stringify(claudeCodeBody),
    });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text()).map(([name]) => name);
    expect(events.at(-1)).toBe('message_stop');
    expect(seen).toEqual([
      { path: '/v1/messages?beta=true', beta: claudeCodeHeaders['anthropic-beta'], version: '2025-04-14' },
    ]);
    expect(fake.billing).toHaveLength(1);
    // The system blocks' cache breakpoint was honoured.
    expect(fake.billing[0]?.cacheCreationInputTokens).toBeGreaterThan(0);
  });

  it('refuses a malformed version, and unmodelled versions when asked to be strict', async () => {
    const loose = await start();
    const bad = await post(loose, request(), { ...HEADERS, 'anthropic-version': 'latest' });
    expect(bad.status).toBe(400);
    const strict = await start({ strictVersions: true });
    const dated = await post(strict, request(), { ...HEADERS, 'anthropic-version': '2025-04-14' });
    expect(dated.status).toBe(400);
    expect(((await dated.json()) as { error: { message: string } }).error.message).toMatch(/2025-04-14/);
    expect((await post(strict, request())).status).toBe(200);
  });

  it('counts tokens for free: no billing, no fault consumed, same input count as a call', async () => {
    const fake = await start({ faults: [{ kind: 'overloaded' }] });
    const { max_tokens: _unused, ...countable } = request({ system: 'Be brief.' });
    const counted = await fetch(`${fake.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: claudeCodeHeaders,
      body: JSON.stringify(countable),
    });
    expect(counted.status).toBe(200);
    const { input_tokens } = (await counted.json()) as { input_tokens: number };
    expect(fake.billing).toHaveLength(0);
    expect(fake.stats.countTokens).toBe(1);
    // The scheduled fault is still there for the next real call.
    expect((await post(fake, request({ system: 'Be brief.' }))).status).toBe(529);
    expect((await post(fake, request({ system: 'Be brief.' }))).status).toBe(200);
    expect(fake.billing[0]?.inputTokens).toBe(input_tokens);

    const unauthenticated = await fetch(`${fake.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { ...claudeCodeHeaders, 'x-api-key': 'sk-ant-FAKE-wrong' },
      body: JSON.stringify(countable),
    });
    expect(unauthenticated.status).toBe(401);
  });
});
