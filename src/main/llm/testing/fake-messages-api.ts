// One file on purpose: startFakeMessagesApi is one closure over shared state (buckets, faults, billing log).
/**
 * A loopback fake of the Anthropic Messages API for tests: the real @anthropic-ai/sdk
 * is pointed at it with `baseURL`. It speaks the wire format (JSON and SSE), enforces
 * per-pool token buckets with the real rate-limit headers, injects faults by schedule
 * or by seed, and keeps a billing log that is the ground truth ledger totals are
 * compared with. Listens on 127.0.0.1 only.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findModel, type ModelPool } from '../../../shared/models.js';
import { MAX_CACHE_BREAKPOINTS, minCacheableTokens } from '../cache-rules.js';
import type { MessagesRequest, StopReason } from '../provider.js';

export interface PoolLimits {
  requestsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
}

/** A block of a scripted reply. `rawInput` is streamed verbatim, so it may be malformed JSON. */
export type FakeReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string }
  | { type: 'tool_use'; name: string; rawInput: string; id?: string };

export interface FakeReply {
  content: FakeReplyBlock[];
  /** Defaults to `tool_use` when the reply calls a tool, else `end_turn`. */
  stopReason?: StopReason;
  /** Defaults to ~chars/4 of the content. */
  outputTokens?: number;
  webSearchRequests?: number;
}

export interface FakeRequest {
  /** 0-based arrival order over the fake's lifetime. */
  index: number;
  body: MessagesRequest & { stream?: boolean };
  pool: ModelPool;
  /** The request's headers as received (names lower-cased), so a responder can tell who called. */
  headers: IncomingHttpHeaders;
  /** The request's path with its query, e.g. `/v1/messages?beta=true`. */
  path: string;
}

export type FakeResponder = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export type FakeFault =
  | { kind: 'none' }
  | { kind: 'rate_limit'; retryAfterSeconds?: number }
  | { kind: 'overloaded' }
  | { kind: 'server_error' }
  | { kind: 'spend_limit' }
  /** Socket destroyed right after message_start (and its ping) were flushed. */
  | { kind: 'cut_after_start' }
  /** Socket destroyed after `afterDeltas` content deltas (default 1). */
  | { kind: 'cut_mid_content'; afterDeltas?: number }
  /** Socket destroyed after message_delta, before message_stop: all usage was seen. */
  | { kind: 'cut_before_stop' }
  /** An SSE `event: error` right after message_start, as the API sends when it overloads mid-stream. */
  | { kind: 'stream_error'; errorType?: 'overloaded_error' | 'api_error' }
  | { kind: 'slow_first_token'; delayMs: number };

/** Probabilities per request, drawn from a PRNG seeded by `seed`; at most one fault fires. */
export interface FaultRates {
  rateLimit?: number;
  overloaded?: number;
  serverError?: number;
  spendLimit?: number;
  cutAfterStart?: number;
  cutMidContent?: number;
}

export interface FakeScript {
  responder?: FakeResponder;
  /**
   * Consumed one per request that passed auth and validation, in arrival order, before
   * `faultRates` is consulted.
   */
  faults?: FakeFault[];
  faultRates?: FaultRates;
  /** Delay between message_start and the first content block. */
  firstTokenLatencyMs?: number;
  /** Delay between streamed content events, to make streams observable mid-flight. */
  eventDelayMs?: number;
}

export interface FakeMessagesApiOptions extends FakeScript {
  /** The only key accepted; default `sk-ant-fake-key`. */
  apiKey?: string;
  limits?: Partial<Record<ModelPool, Partial<PoolLimits>>>;
  seed?: number;
  /** Clock for buckets, cache TTLs and reset headers; latencies always use real timers. */
  now?: () => number;
  /** Characters of a text_delta / input_json_delta chunk. */
  chunkChars?: number;
  /**
   * Accept only the API versions the fake models (2023-06-01, 2026-10-21). By default any
   * `YYYY-MM-DD` version passes, as Claude Code sends whichever its build pins.
   */
  strictVersions?: boolean;
  /** Keep the body of every 200 answer as written, in `sentBodies` (for byte-for-byte checks of a proxy). */
  keepBodies?: boolean;
}

export type BillingStatus = 'completed' | 'cut' | 'aborted' | 'stream_error';

/** What the fake charged for one request; output counts only what the client could have seen. */
export interface BillingEntry {
  requestId: string;
  messageId: string;
  model: string;
  pool: ModelPool;
  inputTokens: number;
  cacheCreationInputTokens: number;
  cacheCreation5mInputTokens: number;
  cacheCreation1hInputTokens: number;
  cacheReadInputTokens: number;
  outputTokens: number;
  webSearchRequests: number;
  stream: boolean;
  status: BillingStatus;
}

/**
 * A streamed response whose message_start the fake has written and flushed: from then on
 * the real API bills it, whatever happens to the stream. The bill a crash test checks the
 * ledger against (`billing` only gets an entry when a request ends, here or by a cut).
 */
export interface MessageStartEntry {
  requestId: string;
  messageId: string;
  model: string;
  /** Epoch ms (real clock) when the event was flushed to the socket. */
  sentAt: number;
  /** The usage message_start reported. */
  inputTokens: number;
  cacheCreation5mInputTokens: number;
  cacheCreation1hInputTokens: number;
  cacheReadInputTokens: number;
  outputTokens: number;
}

export interface FakeStats {
  requests: number;
  /** `POST /v1/messages/count_tokens` requests answered (free: never billed, no faults consumed). */
  countTokens: number;
  byStatus: Record<number, number>;
  inFlight: number;
  maxInFlight: number;
}

export interface FakeMessagesApi {
  url: string;
  billing: BillingEntry[];
  /** Every streamed response whose message_start was flushed, in order (see {@link MessageStartEntry}). */
  messageStarts: MessageStartEntry[];
  stats: FakeStats;
  /** With `keepBodies`: request-id -> the 200 answer's body as written so far (JSON, or SSE text). */
  sentBodies: Map<string, string>;
  setScript(script: FakeScript): void;
  /** Resolves once no request is being served (billing entries of aborted streams are written). */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_API_KEY = 'sk-ant-fake-key';

const API_VERSIONS = ['2023-06-01', '2026-10-21'];
const VERSION_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

const DEFAULT_LIMITS: PoolLimits = {
  requestsPerMinute: 4_000,
  inputTokensPerMinute: 2_000_000,
  outputTokensPerMinute: 400_000,
};

const MINUTE_MS = 60_000;

/** The default responder: a short text echo of the last user text. */
export const echoResponder: FakeResponder = ({ body }) => {
  const last = body.messages.at(-1);
  const text =
    typeof last?.content === 'string'
      ? last.content
      : (last?.content.find((b) => b.type === 'text') as { text?: string } | undefined)?.text;
  return { content: [{ type: 'text', text: `Echo: ${(text ?? '').slice(0, 200)}` }] };
};

/** Continuous-refill token bucket; the level may go negative when output is settled after the fact. */
class Bucket {
  level: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
    this.perMs = capacity / MINUTE_MS;
  }

  refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
  }

  msUntil(amount: number): number {
    // A request larger than the whole bucket can never pass; tell the client a full window.
    if (amount > this.capacity) return MINUTE_MS;
    return Math.max(0, (amount - this.level) / this.perMs);
  }

  remaining(): number {
    return Math.max(0, Math.floor(this.level));
  }

  resetAt(now: number): number {
    return now + Math.max(0, this.capacity - this.level) / this.perMs;
  }
}

interface Pool {
  requests: Bucket;
  input: Bucket;
  output: Bucket;
}

interface PromptCost {
  inputTokens: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  /** Prefix keys to store (with TTL ms) if the request is admitted; `refresh` for a hit whose lifetime restarts. */
  writes: Array<{ key: string; ttlMs: number; refresh?: boolean }>;
}

interface ApiErrorSpec {
  status: number;
  type: string;
  message: string;
  errorCode?: string;
}

class RequestError extends Error {
  constructor(readonly spec: ApiErrorSpec) {
    super(spec.message);
  }
}

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

const tokensOf = (chars: number): number => Math.ceil(chars / 4);


/**
 * Starts the fake on 127.0.0.1 with an ephemeral port.
 * @param options keys, limits per pool, clock, seed and the initial script
 */
export async function startFakeMessagesApi(options: FakeMessagesApiOptions = {}): Promise<FakeMessagesApi> {
  const apiKey = options.apiKey ?? DEFAULT_FAKE_API_KEY;
  const now = options.now ?? Date.now;
  const chunkChars = Math.max(1, options.chunkChars ?? 16);
  const random = prng(options.seed ?? 1);
  let script: Required<Pick<FakeScript, 'responder' | 'faults'>> & FakeScript = {
    ...options,
    responder: options.responder ?? echoResponder,
    faults: [...(options.faults ?? [])],
  };

  const pools = new Map<ModelPool, Pool>();
  const poolFor = (pool: ModelPool): Pool => {
    let p = pools.get(pool);
    if (!p) {
      const limits = { ...DEFAULT_LIMITS, ...options.limits?.[pool] };
      const t = now();
      p = {
        requests: new Bucket(limits.requestsPerMinute, t),
        input: new Bucket(limits.inputTokensPerMinute, t),
        output: new Bucket(limits.outputTokensPerMinute, t),
      };
      pools.set(pool, p);
    }
    return p;
  };
  const promptCache = new Map<string, { expires: number; ttlMs: number }>(); // key -> expiry (clock ms)

  const billing: BillingEntry[] = [];
  const messageStarts: MessageStartEntry[] = [];
  const sentBodies = new Map<string, string>();
  const keep = (requestId: string, text: string): void => {
    if (options.keepBodies) sentBodies.set(requestId, (sentBodies.get(requestId) ?? '') + text);
  };
  const stats: FakeStats = { requests: 0, countTokens: 0, byStatus: {}, inFlight: 0, maxInFlight: 0 };
  const versionAccepted = (version: string): boolean =>
    options.strictVersions ? API_VERSIONS.includes(version) : VERSION_SHAPE.test(version);
  let idleWaiters: Array<() => void> = [];
  let counter = 0;

  const nextFault = (): FakeFault => {
    const scheduled = script.faults.shift();
    if (scheduled) return scheduled;
    const rates = script.faultRates;
    if (!rates) return { kind: 'none' };
    let roll = random();
    const table: Array<[number | undefined, FakeFault]> = [
      [rates.rateLimit, { kind: 'rate_limit' }],
      [rates.overloaded, { kind: 'overloaded' }],
      [rates.serverError, { kind: 'server_error' }],
      [rates.spendLimit, { kind: 'spend_limit' }],
      [rates.cutAfterStart, { kind: 'cut_after_start' }],
      [rates.cutMidContent, { kind: 'cut_mid_content' }],
    ];
    for (const [p, fault] of table) {
      if (p && roll < p) return fault;
      roll -= p ?? 0;
    }
    return { kind: 'none' };
  };

  const rateLimitHeaders = (pool: Pool): Record<string, string> => {
    const t = now();
    const iso = (ms: number): string =>
      new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const h: Record<string, string> = {};
    const put = (name: string, b: Bucket): void => {
      h[`anthropic-ratelimit-${name}-limit`] = String(b.capacity);
      h[`anthropic-ratelimit-${name}-remaining`] = String(b.remaining());
      h[`anthropic-ratelimit-${name}-reset`] = iso(b.resetAt(t));
    };
    put('requests', pool.requests);
    put('input-tokens', pool.input);
    put('output-tokens', pool.output);
    // The combined header reports whichever token limit is most restrictive right now.
    const tighter =
      pool.output.remaining() / pool.output.capacity < pool.input.remaining() / pool.input.capacity
        ? pool.output
        : pool.input;
    put('tokens', tighter);
    return h;
  };

  /**
   * Input tokens and prompt caching, deterministically: ~4 characters a token over the
   * prompt in the API's order (tools, system, messages), one segment per block (a string
   * system prompt or message is one text block, as the API reads it). A block with
   * cache_control is a breakpoint; like the API, a breakpoint hits the longest cached
   * prefix within the 20 blocks before it, so an agent that moves its breakpoint to the
   * newest message each turn reads the previous turn's prefix. A prefix shorter than the
   * model's minimum cacheable length is neither written nor read. A read refreshes the
   * entry's lifetime, a write starts it.
   */
  const costOf = (body: MessagesRequest): PromptCost => {
    const segments: Array<{ chars: number; key: string; ttl: '5m' | '1h' | undefined }> = [];
    const hash = createHash('sha256').update(body.model);
    let chars = 0;
    const push = (value: object, cc: { ttl?: '5m' | '1h' } | undefined): void => {
      // The marker is not content: moving it must not change the prefix's identity.
      const { cache_control: _marker, ...content } = value as { cache_control?: unknown };
      const json = JSON.stringify(content);
      chars += json.length;
      hash.update(json);
      segments.push({ chars, key: hash.copy().digest('hex'), ttl: cc ? (cc.ttl ?? '5m') : undefined });
    };
    for (const tool of body.tools ?? []) push(tool, tool.cache_control);
    if (typeof body.system === 'string') {
      if (body.system !== '') push({ type: 'text', text: body.system }, undefined);
    } else for (const b of body.system ?? []) push(b, b.cache_control);
    for (const m of body.messages) {
      if (typeof m.content === 'string') push({ role: m.role, type: 'text', text: m.content }, undefined);
      else for (const b of m.content) push({ role: m.role, ...b }, b.cache_control);
    }
    const total = Math.max(1, tokensOf(chars));
    // Prefixes are floored and the total ceiled so input_tokens never goes negative.
    const prefixTokens = (i: number): number => Math.floor((segments[i]?.chars ?? 0) / 4);
    const minimum = minCacheableTokens(body.model);
    const t = now();
    const isCached = (i: number): boolean => (promptCache.get(segments[i]?.key ?? '')?.expires ?? 0) > t;

    let read = 0;
    const writes: PromptCost['writes'] = [];
    segments.forEach((s, i) => {
      if (!s.ttl) return;
      for (let j = i; j >= Math.max(0, i - 19); j--) {
        if (isCached(j)) {
          read = Math.max(read, prefixTokens(j));
          const hit = promptCache.get(segments[j]?.key ?? '');
          if (hit) writes.push({ key: segments[j]?.key ?? '', ttlMs: hit.ttlMs, refresh: true });
          break;
        }
      }
    });
    let covered = read;
    let write5m = 0;
    let write1h = 0;
    segments.forEach((s, i) => {
      if (!s.ttl || prefixTokens(i) < minimum) return;
      writes.push({ key: s.key, ttlMs: s.ttl === '1h' ? 3_600_000 : 300_000 });
      const span = prefixTokens(i) - covered;
      if (span <= 0) return;
      if (s.ttl === '1h') write1h += span;
      else write5m += span;
      covered = prefixTokens(i);
    });
    return {
      inputTokens: total - read - write5m - write1h,
      cacheRead: read,
      cacheWrite5m: write5m,
      cacheWrite1h: write1h,
      writes,
    };
  };

  const server = createServer((req, res) => {
    stats.requests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const index = counter++;
    const requestId = `req_fake${String(index).padStart(20, '0')}`;
    void handle(req, res, index, requestId)
      .catch(() => {
        if (!res.headersSent)
          sendError(res, requestId, {}, { status: 500, type: 'api_error', message: 'Internal server error' });
        else res.destroy();
      })
      .finally(() => {
        stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1;
        stats.inFlight -= 1;
        if (stats.inFlight === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  });

  const sendError = (
    res: ServerResponse,
    requestId: string,
    headers: Record<string, string>,
    spec: ApiErrorSpec,
  ): void => {
    const error: Record<string, unknown> = { type: spec.type, message: spec.message };
    if (spec.errorCode) error['details'] = { error_code: spec.errorCode };
    const body = JSON.stringify({ type: 'error', error, request_id: requestId });
    res.writeHead(spec.status, { ...headers, 'content-type': 'application/json', 'request-id': requestId });
    res.end(body);
  };

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    index: number,
    requestId: string,
  ): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    // The query is ignored: Claude Code calls `/v1/messages?beta=true`.
    const counting = path === '/v1/messages/count_tokens';
    if (req.method !== 'POST' || (path !== '/v1/messages' && !counting)) {
      return sendError(res, requestId, {}, { status: 404, type: 'not_found_error', message: 'Not Found' });
    }
    // SDK 1.x sends the key as a bearer token; older clients send x-api-key, which wins
    // when both are present, as on the real API.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if ((req.headers['x-api-key'] ?? bearer) !== apiKey) {
      return sendError(
        res,
        requestId,
        {},
        { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
      );
    }
    const version = req.headers['anthropic-version'];
    if (typeof version !== 'string' || !versionAccepted(version)) {
      return sendError(
        res,
        requestId,
        {},
        {
          status: 400,
          type: 'invalid_request_error',
          message: version
            ? `anthropic-version: ${String(version)} is not a valid version`
            : 'anthropic-version: header is required',
        },
      );
    }
    let body: FakeRequest['body'];
    try {
      body = validate(JSON.parse(raw), version, counting);
    } catch (err) {
      const spec = err instanceof RequestError ? err.spec : undefined;
      return sendError(
        res,
        requestId,
        {},
        spec ?? { status: 400, type: 'invalid_request_error', message: 'invalid JSON body' },
      );
    }
    const model = findModel(body.model);
    if (!model) {
      return sendError(
        res,
        requestId,
        {},
        { status: 404, type: 'not_found_error', message: `model: ${body.model}` },
      );
    }
    if (counting) {
      // Free and unlimited here (the real endpoint has its own, separate rate limit).
      stats.countTokens += 1;
      const cost = costOf(body);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(
        JSON.stringify({
          input_tokens: cost.inputTokens + cost.cacheRead + cost.cacheWrite5m + cost.cacheWrite1h,
        }),
      );
      return;
    }
    const pool = poolFor(model.pool);
    const t = now();
    pool.requests.refill(t);
    pool.input.refill(t);
    pool.output.refill(t);

    const fault = nextFault();
    const cost = costOf(body);
    const inputCharge = cost.inputTokens + cost.cacheWrite5m + cost.cacheWrite1h;

    if (fault.kind === 'spend_limit') {
      // No retry-after: waiting does not help, a human has to raise the limit.
      return sendError(res, requestId, rateLimitHeaders(pool), {
        status: 429,
        type: 'rate_limit_error',
        message:
          'You have reached your specified workspace API usage limits. You will regain access when the limit resets.',
        errorCode: 'enforced_spend_limit_reached',
      });
    }
    if (fault.kind === 'rate_limit') {
      return sendError(
        res,
        requestId,
        { ...rateLimitHeaders(pool), 'retry-after': String(fault.retryAfterSeconds ?? 1) },
        {
          status: 429,
          type: 'rate_limit_error',
          message: 'This request would exceed the rate limit for your organization.',
        },
      );
    }
    const blocked: Array<[Bucket, number, string]> = [
      [pool.requests, 1, 'requests per minute'],
      [pool.input, inputCharge, 'input tokens per minute'],
      [pool.output, 1, 'output tokens per minute'],
    ];
    for (const [bucket, amount, what] of blocked) {
      const waitMs = bucket.msUntil(amount);
      if (waitMs > 0) {
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        return sendError(
          res,
          requestId,
          { ...rateLimitHeaders(pool), 'retry-after': String(retryAfter) },
          {
            status: 429,
            type: 'rate_limit_error',
            message: `This request would exceed the rate limit for your organization of ${bucket.capacity} ${what} (${model.pool}).`,
          },
        );
      }
    }
    if (fault.kind === 'overloaded') {
      return sendError(res, requestId, rateLimitHeaders(pool), {
        status: 529,
        type: 'overloaded_error',
        message: 'Overloaded',
      });
    }
    if (fault.kind === 'server_error') {
      return sendError(res, requestId, rateLimitHeaders(pool), {
        status: 500,
        type: 'api_error',
        message: 'Internal server error',
      });
    }

    pool.requests.level -= 1;
    pool.input.level -= inputCharge;
    for (const w of cost.writes) {
      // A 1-hour entry is not shortened by a 5-minute breakpoint on the same prefix.
      const kept = promptCache.get(w.key);
      const ttlMs = Math.max(w.ttlMs, kept && kept.expires > t ? kept.ttlMs : 0);
      promptCache.set(w.key, { expires: t + ttlMs, ttlMs });
    }

    const reply = await script.responder({
      index,
      body,
      pool: model.pool,
      headers: req.headers,
      path: req.url ?? path,
    });
    const messageId = `msg_fake${String(index).padStart(20, '0')}`;
    const blocks = reply.content.map((b, i) =>
      b.type === 'text'
        ? { type: 'text' as const, text: b.text }
        : {
            type: 'tool_use' as const,
            id: b.id ?? `toolu_fake${String(index).padStart(12, '0')}${i}`,
            name: b.name,
            json: 'rawInput' in b ? b.rawInput : JSON.stringify(b.input),
          },
    );
    const outputTokens = Math.max(
      1,
      reply.outputTokens ??
        tokensOf(
          blocks.reduce((n, b) => n + (b.type === 'text' ? b.text.length : b.name.length + b.json.length), 0),
        ),
    );
    const stopReason =
      reply.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const webSearch = reply.webSearchRequests ?? 0;
    const entry: BillingEntry = {
      requestId,
      messageId,
      model: body.model,
      pool: model.pool,
      inputTokens: cost.inputTokens,
      cacheCreationInputTokens: cost.cacheWrite5m + cost.cacheWrite1h,
      cacheCreation5mInputTokens: cost.cacheWrite5m,
      cacheCreation1hInputTokens: cost.cacheWrite1h,
      cacheReadInputTokens: cost.cacheRead,
      outputTokens: 0,
      webSearchRequests: webSearch,
      stream: body.stream === true,
      status: 'completed',
    };
    const usage = (output: number): Record<string, unknown> => ({
      input_tokens: entry.inputTokens,
      cache_creation_input_tokens: entry.cacheCreationInputTokens,
      cache_read_input_tokens: entry.cacheReadInputTokens,
      cache_creation: {
        ephemeral_5m_input_tokens: entry.cacheCreation5mInputTokens,
        ephemeral_1h_input_tokens: entry.cacheCreation1hInputTokens,
      },
      output_tokens: output,
      ...(webSearch > 0
        ? { server_tool_use: { web_search_requests: webSearch, web_fetch_requests: 0 } }
        : {}),
      service_tier: 'standard',
    });
    // Output is settled when the request ends, however it ends: like the real API, the
    // bucket is charged what was actually produced.
    const settle = (output: number, status: BillingStatus): void => {
      entry.outputTokens = output;
      entry.status = status;
      pool.output.refill(now());
      pool.output.level -= output;
      billing.push(entry);
    };
    const latency =
      (fault.kind === 'slow_first_token' ? fault.delayMs : 0) + (script.firstTokenLatencyMs ?? 0);

    if (body.stream !== true) {
      await sleep(latency);
      settle(outputTokens, 'completed');
      const message = {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: blocks.map((b) =>
          b.type === 'text' ? b : { type: 'tool_use', id: b.id, name: b.name, input: parseLoosely(b.json) },
        ),
        stop_reason: stopReason,
        stop_sequence: null,
        usage: usage(outputTokens),
      };
      res.writeHead(200, {
        ...rateLimitHeaders(pool),
        'content-type': 'application/json',
        'request-id': requestId,
      });
      const text = JSON.stringify(message);
      keep(requestId, text);
      res.end(text);
      return;
    }

    let closed = false;
    // A write to a socket that died may never call back; release such writers on close.
    const unflushed = new Set<() => void>();
    res.on('close', () => {
      closed = true;
      for (const release of unflushed) release();
      unflushed.clear();
    });
    // Output the client has been shown so far: what a cut or abort is billed.
    let seenOutput = 1;
    const send = (event: string, data: Record<string, unknown>): Promise<void> =>
      new Promise((resolve) => {
        if (closed) return resolve();
        const release = (): void => {
          unflushed.delete(release);
          resolve();
        };
        unflushed.add(release);
        // Waiting for the flush is what makes a cut land after this event, not before it.
        const text = `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
        keep(requestId, text);
        res.write(text, release);
      });
    const cut = (): void => {
      settle(seenOutput, 'cut');
      res.socket?.destroy();
    };

    res.writeHead(200, {
      ...rateLimitHeaders(pool),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    await send('message_start', {
      message: {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(seenOutput),
      },
    });
    if (!closed) {
      messageStarts.push({
        requestId,
        messageId,
        model: body.model,
        sentAt: Date.now(),
        inputTokens: entry.inputTokens,
        cacheCreation5mInputTokens: entry.cacheCreation5mInputTokens,
        cacheCreation1hInputTokens: entry.cacheCreation1hInputTokens,
        cacheReadInputTokens: entry.cacheReadInputTokens,
        outputTokens: seenOutput,
      });
    }
    await send('ping', {});
    if (fault.kind === 'cut_after_start') return cut();
    if (fault.kind === 'stream_error') {
      const type = fault.errorType ?? 'overloaded_error';
      await send('error', {
        error: { type, message: type === 'overloaded_error' ? 'Overloaded' : 'Internal server error' },
      });
      settle(seenOutput, 'stream_error');
      res.end();
      return;
    }
    await sleep(latency);

    const cutAfterDeltas = fault.kind === 'cut_mid_content' ? (fault.afterDeltas ?? 1) : Infinity;
    let deltas = 0;
    for (const [i, b] of blocks.entries()) {
      if (closed) return settle(seenOutput, 'aborted');
      await send('content_block_start', {
        index: i,
        content_block:
          b.type === 'text'
            ? { type: 'text', text: '' }
            : { type: 'tool_use', id: b.id, name: b.name, input: {} },
      });
      const source = b.type === 'text' ? b.text : b.json;
      for (let at = 0; at < source.length; at += chunkChars) {
        if (deltas >= cutAfterDeltas) return cut();
        await sleep(script.eventDelayMs ?? 0);
        if (closed) return settle(seenOutput, 'aborted');
        const piece = source.slice(at, at + chunkChars);
        await send('content_block_delta', {
          index: i,
          delta:
            b.type === 'text'
              ? { type: 'text_delta', text: piece }
              : { type: 'input_json_delta', partial_json: piece },
        });
        deltas += 1;
      }
      await send('content_block_stop', { index: i });
    }
    if (closed) return settle(seenOutput, 'aborted');
    await send('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: usage(outputTokens),
    });
    seenOutput = outputTokens;
    if (fault.kind === 'cut_before_stop') return cut();
    await send('message_stop', {});
    if (closed) return settle(seenOutput, 'aborted');
    settle(outputTokens, 'completed');
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    billing,
    messageStarts,
    stats,
    sentBodies,
    setScript(next) {
      script = {
        ...script,
        ...next,
        responder: next.responder ?? script.responder,
        faults: next.faults ? [...next.faults] : script.faults,
      };
    },
    whenIdle() {
      return stats.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function invalid(message: string): RequestError {
  return new RequestError({ status: 400, type: 'invalid_request_error', message });
}

/** The checks the real API would fail loudly on, so a malformed request from our code is caught in tests. */
function validate(body: unknown, version: string, counting = false): FakeRequest['body'] {
  if (body === null || typeof body !== 'object') throw invalid('body: expected an object');
  const b = body as Record<string, unknown>;
  if (version >= '2026-10-21') {
    for (const removed of ['temperature', 'top_p', 'top_k']) {
      if (removed in b) throw invalid(`${removed}: Extra inputs are not permitted`);
    }
  }
  if (typeof b['model'] !== 'string') throw invalid('model: Field required');
  // count_tokens takes the request without max_tokens.
  if (
    !counting &&
    (typeof b['max_tokens'] !== 'number' || !Number.isInteger(b['max_tokens']) || b['max_tokens'] < 1)
  ) {
    throw invalid('max_tokens: Field required');
  }
  const messages = b['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalid('messages: at least one message is required');
  for (const [i, m] of messages.entries()) {
    const msg = m as { role?: unknown; content?: unknown };
    // Newer clients (Claude Code on recent models) also send system messages mid-conversation.
    if (msg.role !== 'user' && msg.role !== 'assistant' && msg.role !== 'system')
      throw invalid(`messages.${i}.role: Input should be 'user', 'assistant' or 'system'`);
    if (typeof msg.content !== 'string' && !Array.isArray(msg.content))
      throw invalid(`messages.${i}.content: Field required`);
  }
  if (b['tools'] !== undefined && !Array.isArray(b['tools']))
    throw invalid('tools: Input should be a valid list');
  checkBreakpoints(b);
  return body as FakeRequest['body'];
}

/** Non-streaming replies carry parsed input; malformed scripted input is sent as a bare string. */
function parseLoosely(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/**
 * The API's rules for cache_control: at most 4 breakpoints, and in prompt order (tools,
 * system, messages) a 1-hour breakpoint never after a 5-minute one.
 */
function checkBreakpoints(b: Record<string, unknown>): void {
  const ttls: string[] = [];
  const visit = (block: unknown): void => {
    const cc = (block as { cache_control?: { ttl?: unknown } } | null)?.cache_control;
    if (cc) ttls.push(cc.ttl === '1h' ? '1h' : '5m');
  };
  for (const tool of (b['tools'] as unknown[] | undefined) ?? []) visit(tool);
  if (Array.isArray(b['system'])) for (const block of b['system']) visit(block);
  for (const m of b['messages'] as Array<{ content: unknown }>) {
    if (Array.isArray(m.content)) for (const block of m.content) visit(block);
  }
  if (ttls.length > MAX_CACHE_BREAKPOINTS)
    throw invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${ttls.length}.`);
  const firstShort = ttls.indexOf('5m');
  if (firstShort >= 0 && ttls.lastIndexOf('1h') > firstShort)
    throw invalid("a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block");
}
