import { createServer } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicProvider } from './anthropic-provider.js';
import { ProviderError, type MessagesRequest, type ProviderEvent, type Usage } from './provider.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type BillingEntry,
  type FakeMessagesApi,
} from './testing/fake-messages-api.js';

let fake: FakeMessagesApi;
let provider: AnthropicProvider;

beforeEach(async () => {
  fake = await startFakeMessagesApi({ chunkChars: 8 });
  provider = new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url });
});
afterEach(async () => {
  await fake.close();
});

// Haiku, because the SDK console.warns on every call to claude-sonnet-4-5 (end-of-life 2026-11-30).
const request: MessagesRequest = {
  model: 'claude-haiku-4-5',
  max_tokens: 1024,
  system: 'You are a coder.',
  messages: [{ role: 'user', content: 'Fix the failing test in src/a.ts, please.' }],
  tools: [
    {
      name: 'read_file',
      description: 'Reads a file',
      input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
  ],
};

/** The usage a client should have recorded for a billing entry: the ground truth. */
function billedUsage(entry: BillingEntry | undefined): Partial<Usage> {
  if (!entry) throw new Error('no billing entry');
  return {
    input_tokens: entry.inputTokens,
    output_tokens: entry.outputTokens,
    cache_creation_input_tokens: entry.cacheCreationInputTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: entry.cacheCreation5mInputTokens,
      ephemeral_1h_input_tokens: entry.cacheCreation1hInputTokens,
    },
    cache_read_input_tokens: entry.cacheReadInputTokens,
  };
}

async function sendError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('AnthropicProvider against the fake Messages API', () => {
  it('streams a text reply with full usage, ids, headers and timing', async () => {
    const events: ProviderEvent[] = [];
    const result = await provider.send(request, { onEvent: (e) => events.push(e) });

    expect(result.message.content).toEqual([
      { type: 'text', text: 'Echo: Fix the failing test in src/a.ts, please.' },
    ]);
    expect(result.stop_reason).toBe('end_turn');
    expect(result.usage).toMatchObject(billedUsage(fake.billing[0]));
    expect(result.usage.service_tier).toBe('standard');
    expect(result.requestId).toBe(fake.billing[0]?.requestId);
    expect(result.messageId).toBe(fake.billing[0]?.messageId);
    expect(result.message.id).toBe(result.messageId);
    expect(result.headers['anthropic-ratelimit-requests-limit']).toBe('4000');
    expect(result.headers['request-id']).toBe(result.requestId);
    expect(result.timing.firstTokenAt).not.toBeNull();
    expect(result.timing.startedAt).toBeLessThanOrEqual(result.timing.firstTokenAt ?? 0);
    expect(result.timing.firstTokenAt).toBeLessThanOrEqual(result.timing.endedAt);

    expect(events[0]).toMatchObject({
      type: 'message_start',
      messageId: result.messageId,
      requestId: result.requestId,
    });
    const streamed = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
    expect(streamed).toBe('Echo: Fix the failing test in src/a.ts, please.');
    expect(events.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({
      type: 'usage',
      usage: { output_tokens: result.usage.output_tokens },
    });
  });

  it('finishes the call when a progress listener throws', async () => {
    const result = await provider.send(request, {
      onEvent: () => {
        throw new Error('UI bug');
      },
    });
    expect(result.stop_reason).toBe('end_turn');
  });

  it('returns a tool_use block with its input parsed', async () => {
    fake.setScript({
      responder: () => ({
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'src/a.ts', lines: [1, 20] } },
        ],
      }),
    });
    const result = await provider.send(request);
    expect(result.stop_reason).toBe('tool_use');
    expect(result.message.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'src/a.ts', lines: [1, 20] } },
    ]);
  });

  it('surfaces malformed tool input on the block instead of throwing', async () => {
    fake.setScript({
      responder: () => ({
        content: [
          { type: 'tool_use', id: 'toolu_bad', name: 'read_file', rawInput: '{"path": "src/a.ts", ' },
          { type: 'tool_use', id: 'toolu_arr', name: 'read_file', rawInput: '["src/a.ts"]' },
          { type: 'tool_use', id: 'toolu_none', name: 'list_files', rawInput: '' },
        ],
      }),
    });
    const result = await provider.send(request);
    const [bad, arr, none] = result.message.content;
    expect(bad).toMatchObject({
      type: 'tool_use',
      id: 'toolu_bad',
      input: {},
      rawInput: '{"path": "src/a.ts", ',
    });
    expect(bad).toHaveProperty('inputError', expect.stringMatching(/not valid JSON/));
    expect(arr).toMatchObject({ type: 'tool_use', input: {}, inputError: 'tool input is not a JSON object' });
    expect(none).toEqual({ type: 'tool_use', id: 'toolu_none', name: 'list_files', input: {} });
  });

  it('reports cache writes split by TTL and reads, and web search requests', async () => {
    fake.setScript({ responder: () => ({ content: [{ type: 'text', text: 'ok' }], webSearchRequests: 2 }) });
    const cached: MessagesRequest = {
      ...request,
      system: [
        // Longer than Haiku 4.5's minimum cacheable prompt (4,096 tokens).
        { type: 'text', text: 'Project rules. '.repeat(1_200), cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    };
    const first = await provider.send(cached);
    const second = await provider.send(cached);
    expect(first.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_creation_input_tokens).toBe(
      first.usage.cache_creation?.ephemeral_1h_input_tokens,
    );
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(first.usage.server_tool_use).toEqual({ web_search_requests: 2, web_fetch_requests: 0 });
    expect(first.usage).toMatchObject(billedUsage(fake.billing[0]));
    expect(second.usage).toMatchObject(billedUsage(fake.billing[1]));
  });

  it('maps a 429 to rate_limited with the rate-limit headers and retryAfterMs', async () => {
    fake.setScript({ faults: [{ kind: 'rate_limit', retryAfterSeconds: 3 }] });
    const err = await sendError(provider.send(request));
    expect(err).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 3000,
      apiErrorType: 'rate_limit_error',
    });
    expect(err.retryable).toBe(true);
    expect(err.headers['anthropic-ratelimit-requests-remaining']).toMatch(/^\d+$/);
    expect(err.headers['anthropic-ratelimit-input-tokens-reset']).toBeDefined();
    expect(err.requestId).toMatch(/^req_/);
    expect(err.partialUsage).toBeUndefined();
    expect(fake.billing).toHaveLength(0);
  });

  it('maps a real bucket exhaustion to rate_limited with the server-computed wait', async () => {
    await fake.close();
    fake = await startFakeMessagesApi({ limits: { haiku: { requestsPerMinute: 1 } } });
    provider = new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url });
    await provider.send(request);
    const err = await sendError(provider.send(request));
    expect(err.kind).toBe('rate_limited');
    expect(err.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(59_000);
  });

  it('maps 529, 500 and an in-stream overloaded error', async () => {
    fake.setScript({ faults: [{ kind: 'overloaded' }, { kind: 'server_error' }, { kind: 'stream_error' }] });
    const overloaded = await sendError(provider.send(request));
    expect(overloaded).toMatchObject({ kind: 'overloaded', status: 529 });
    const server = await sendError(provider.send(request));
    expect(server).toMatchObject({ kind: 'server', status: 500, apiErrorType: 'api_error' });
    const midStream = await sendError(provider.send(request));
    expect(midStream).toMatchObject({ kind: 'overloaded', status: undefined });
    expect(midStream.headers['request-id']).toBe(fake.billing[0]?.requestId);
    expect(midStream.partialUsage).toMatchObject(billedUsage(fake.billing[0]));
  });

  it('maps a spend-limit 429 to spend_limit, which is not retryable', async () => {
    fake.setScript({ faults: [{ kind: 'spend_limit' }] });
    const err = await sendError(provider.send(request));
    expect(err).toMatchObject({
      kind: 'spend_limit',
      status: 429,
      apiErrorType: 'enforced_spend_limit_reached',
    });
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.retryable).toBe(false);
  });

  it('turns a stream cut after message_start into a connection error carrying the billed usage', async () => {
    fake.setScript({ faults: [{ kind: 'cut_after_start' }] });
    const err = await sendError(provider.send(request));
    expect(err.kind).toBe('connection');
    expect(err.requestId).toBe(fake.billing[0]?.requestId);
    expect(fake.billing[0]?.status).toBe('cut');
    expect(err.partialUsage).toMatchObject(billedUsage(fake.billing[0]));
  });

  it('keeps billed usage for cuts mid-content and after the final message_delta', async () => {
    fake.setScript({
      faults: [{ kind: 'cut_mid_content', afterDeltas: 2 }, { kind: 'cut_before_stop' }],
      responder: () => ({
        content: [{ type: 'text', text: 'A long answer that streams in many pieces.' }],
        outputTokens: 30,
      }),
    });
    const mid = await sendError(provider.send(request));
    expect(mid.kind).toBe('connection');
    expect(mid.partialUsage).toMatchObject(billedUsage(fake.billing[0]));
    const late = await sendError(provider.send(request));
    expect(late.kind).toBe('connection');
    expect(late.partialUsage).toMatchObject({ ...billedUsage(fake.billing[1]), output_tokens: 30 });
  });

  it('aborts mid-stream with the usage billed so far', async () => {
    fake.setScript({ eventDelayMs: 20 });
    const controller = new AbortController();
    const err = await sendError(
      provider.send(request, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'text_delta') controller.abort();
        },
      }),
    );
    expect(err.kind).toBe('aborted');
    expect(err.retryable).toBe(false);
    await fake.whenIdle();
    expect(fake.billing[0]?.status).toBe('aborted');
    expect(err.partialUsage).toMatchObject(billedUsage(fake.billing[0]));
    expect(err.requestId).toBe(fake.billing[0]?.requestId);
  });

  it('aborts before sending without billing anything', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await sendError(provider.send(request, { signal: controller.signal }));
    expect(err.kind).toBe('aborted');
    expect(err.partialUsage).toBeUndefined();
    expect(fake.stats.requests).toBe(0);
  });

  it('waits for a slow first token', async () => {
    fake.setScript({ faults: [{ kind: 'slow_first_token', delayMs: 150 }] });
    const result = await provider.send(request);
    expect((result.timing.firstTokenAt ?? 0) - result.timing.startedAt).toBeGreaterThanOrEqual(140);
  });

  it('maps a bad key to auth without ever putting the key in the error', async () => {
    const secret = 'sk-ant-FAKE-very-secret-value';
    const wrong = new AnthropicProvider({ apiKey: secret, baseURL: fake.url });
    const err = await sendError(wrong.send(request));
    expect(err).toMatchObject({ kind: 'auth', status: 401, apiErrorType: 'authentication_error' });
    expect(err.retryable).toBe(false);
    for (const text of [
      err.message,
      err.stack ?? '',
      JSON.stringify(err),
      inspect(err, { depth: 5 }),
      inspect(wrong),
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('maps a request the API refuses to invalid_request', async () => {
    const err = await sendError(provider.send({ ...request, model: 'claude-nonexistent' }));
    expect(err).toMatchObject({ kind: 'invalid_request', status: 404 });
  });

  it('maps an unreachable server to connection', async () => {
    await fake.close();
    const err = await sendError(provider.send(request));
    expect(err.kind).toBe('connection');
    expect(err.retryable).toBe(true);
  });
});

describe('AnthropicProvider.forward', () => {
  const raw = (extra: Record<string, unknown> = {}) =>
    new TextEncoder().encode(JSON.stringify({ ...request, stream: true, ...extra }));

  it('sends the caller bytes with its own key and only the version and beta headers, and streams the answer back', async () => {
    const seen: Array<Record<string, unknown>> = [];
    fake.setScript({
      responder: (req) => {
        seen.push({
          path: req.path,
          key: req.headers['x-api-key'] ?? req.headers.authorization,
          version: req.headers['anthropic-version'],
          beta: req.headers['anthropic-beta'],
          leaked: req.headers['x-caller-secret'],
        });
        return { content: [{ type: 'text', text: 'forwarded' }] };
      },
    });
    const response = await provider.forward(
      {
        path: '/v1/messages',
        query: { beta: 'true' },
        headers: {
          'anthropic-version': '2023-06-01',
          'anthropic-beta': 'claude-code-20250219',
          'x-caller-secret': 'no',
        },
        body: raw(),
      },
      {},
    );
    expect(response.status).toBe(200);
    expect(response.requestId).toMatch(/^req_fake/);
    expect(response.headers['content-length']).toBeUndefined();
    const text = await new Response(response.body).text();
    expect(text).toContain('event: message_stop');
    expect(seen).toEqual([
      {
        path: '/v1/messages?beta=true',
        key: expect.stringContaining(DEFAULT_FAKE_API_KEY),
        version: '2023-06-01',
        beta: 'claude-code-20250219',
        leaked: undefined,
      },
    ]);
  });

  it('rejects a non-2xx answer as a ProviderError carrying the API error body', async () => {
    fake.setScript({ faults: [{ kind: 'rate_limit', retryAfterSeconds: 3 }] });
    const failure = await provider
      .forward({ path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: raw() })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    const error = failure as ProviderError;
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, apiErrorType: 'rate_limit_error' });
    expect(error.headers['retry-after']).toBe('3');
    expect(JSON.parse(error.body ?? '{}')).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
    });
    expect(fake.billing).toHaveLength(0);
  });
});

describe('AnthropicProvider.forward on its own connections', () => {
  const raw = (extra: Record<string, unknown> = {}) =>
    new TextEncoder().encode(JSON.stringify({ ...request, stream: true, ...extra }));
  const forward = (p: AnthropicProvider, extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
    p.forward(
      { path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: raw(extra) },
      signal ? { signal } : {},
    );
  const read = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
    return text;
  };

  it('times out when the headers are slower than its timeout, and never waits on the body', async () => {
    fake.setScript({ firstTokenLatencyMs: 300 });
    const quick = new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url, timeoutMs: 50 });
    // A JSON answer's headers come after the whole reply: this one is too late.
    const failure = await sendError(forward(quick, { stream: false }));
    expect(failure).toMatchObject({ kind: 'connection', message: 'the request timed out' });
    // A stream's headers come at once; its slow first token is the body's business.
    const response = await forward(quick);
    expect(await read(response.body)).toContain('event: message_stop');
  });

  it('aborts a body being read: the read throws and the API bills what it had sent', async () => {
    fake.setScript({ eventDelayMs: 20 });
    const controller = new AbortController();
    const response = await forward(provider, {}, controller.signal);
    const reading = read(response.body);
    setTimeout(() => controller.abort(), 30);
    await expect(reading).rejects.toThrow();
    await fake.whenIdle();
    expect(fake.billing[0]?.status).toBe('aborted');
  });

  it('rejects at once when already aborted, and as connection when nothing listens', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await sendError(forward(provider, {}, controller.signal))).toMatchObject({ kind: 'aborted' });
    expect(fake.stats.requests).toBe(0);
    await fake.close();
    expect((await sendError(forward(provider))).kind).toBe('connection');
  });

  it('reuses its connections from call to call, and sends the API key it was given, only that', async () => {
    const keys: unknown[] = [];
    const ports = new Set<number>();
    // A pass-through in front of the fake that notes each connection's source port.
    const front = createServer((req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      keys.push(req.headers['x-api-key']);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fetch(`${fake.url}${req.url ?? ''}`, {
          method: 'POST',
          headers: {
            'x-api-key': DEFAULT_FAKE_API_KEY,
            'anthropic-version': '2023-06-01',
            'content-type': 'application/json',
          },
          body: Buffer.concat(chunks),
        }).then(async (upstream) => {
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as { port: number }).port;
    const viaFront = new AnthropicProvider({ apiKey: 'sk-ant-FAKE-front', baseURL: `http://127.0.0.1:${port}` });
    for (let i = 0; i < 3; i++) expect(await read((await forward(viaFront)).body)).toContain('message_stop');
    expect(ports.size).toBe(1);
    expect(keys).toEqual(['sk-ant-FAKE-front', 'sk-ant-FAKE-front', 'sk-ant-FAKE-front']);
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  });
});
