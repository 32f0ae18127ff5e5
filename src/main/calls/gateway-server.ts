/**
 * The loopback Messages API that Claude Code sessions talk to. Each session is started
 * with `ANTHROPIC_BASE_URL` set to this server and `ANTHROPIC_API_KEY` set to a token
 * issued for it, so every call it makes is authenticated, attributed to its agent,
 * admitted against the budgets, rate-limited with every other agent's traffic and
 * recorded in the ledger, while its bytes pass through unchanged (the gateway's
 * `forward`). The real API key never leaves the provider; tokens are per launch, random,
 * held in memory only, and never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { findModel } from '../../shared/models.js';
import { BodyTooLarge, readBody } from '../http/read-body.js';
import type { CallStatus, CallUsage } from '../ledger/calls-repository.js';
import { estimateRawInputTokens } from './estimate.js';
import { FORWARD_UNSUPPORTED_MESSAGE } from './gateway.js';
import {
  GatewayError,
  type CallAttribution,
  type ForwardingGateway,
  type ForwardSink,
  type ForwardTiming,
  type UpstreamError,
} from './gateway-types.js';
import type { ForwardPath, ForwardRequest } from '../llm/provider.js';

/** One recorded attempt of a session's call, as its owner hears of it. */
export interface RecordedGatewayCall {
  requestId: string;
  usage: CallUsage | undefined;
  costNano: number;
  status: CallStatus;
}

/** What the owner of a session (the engine) hears of its calls. */
export interface GatewaySessionHooks {
  /** After each attempt's ledger row is recorded (a retried call has a row per attempt). */
  onRecorded?(call: RecordedGatewayCall): void;
  /**
   * A call was refused before anything was sent: `budget_exceeded` (a cap would be
   * overrun; the session was answered 400, the engine escalates) or `pool_stopped` (the
   * session was answered 529 and keeps retrying until a person resumes the pool).
   */
  onRefused?(error: GatewayError): void;
}

export interface GatewayServer {
  /** `http://127.0.0.1:PORT`: the session's `ANTHROPIC_BASE_URL`. */
  readonly url: string;
  /** A fresh random token for one agent session (its API key); every call made with it is attributed to `who`. */
  issue(who: CallAttribution, hooks?: GatewaySessionHooks): string;
  /** Later requests with the token get 401; its calls in flight are aborted (and billed for what arrived). */
  revoke(token: string): void;
  /** Revokes every token, stops listening and waits until the calls in flight are recorded. */
  close(): Promise<void>;
}

export interface GatewayServerOptions {
  gateway: ForwardingGateway;
  /** Port on 127.0.0.1; 0 (the default) takes a free one. */
  port?: number;
  /** Largest request body accepted (default 32 MiB); larger ones get 413. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The caller's headers that choose the API's behaviour; they are forwarded, nothing else is. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

interface Session {
  digest: Buffer;
  who: CallAttribution;
  hooks: GatewaySessionHooks;
  /** Calls in flight, aborted when the token is revoked. */
  calls: Set<AbortController>;
}

interface ApiError {
  status: number;
  type: string;
  message: string;
}

class Refusal extends Error {
  constructor(readonly spec: ApiError) {
    super(spec.message);
  }
}

const tokenDigest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Starts the gateway server on 127.0.0.1 (never another interface: the tokens are the only
 * guard, and they are meant for processes on this machine).
 */
export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const { gateway } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Keyed by the token's SHA-256, so the lookup's timing says nothing about the token
  // itself; the digest is then compared in constant time all the same.
  const sessions = new Map<string, Session>();
  const handling = new Set<Promise<void>>();
  // A session's calls come one after another on its keep-alive connection: the token the
  // connection last authenticated with is remembered on it, so each later call costs a
  // string comparison instead of a SHA-256. The comparison is with what this same
  // connection sent before, so its timing tells the caller nothing it did not know; a
  // revoked session fails the identity check against the live map.
  const lastOnSocket = new WeakMap<Socket, { token: string; key: string; session: Session }>();

  const authenticate = (req: IncomingMessage): Session | undefined => {
    // x-api-key wins over a bearer token, as on the real API.
    const header = req.headers['x-api-key'];
    const token =
      (Array.isArray(header) ? header[0] : header) ??
      /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return undefined;
    const last = lastOnSocket.get(req.socket);
    if (last && last.token === token && sessions.get(last.key) === last.session) return last.session;
    const digest = tokenDigest(token);
    const key = digest.toString('hex');
    const session = sessions.get(key);
    if (!session || !timingSafeEqual(session.digest, digest)) return undefined;
    lastOnSocket.set(req.socket, { token, key, session });
    return session;
  };

  const server = createServer((req, res) => {
    const pending = handle(req, res).catch(() => {
      // Only a failure to write the response lands here; the caller sees a broken connection.
      if (!res.headersSent)
        sendError(res, { status: 500, type: 'api_error', message: 'Control Room: internal error' });
      else res.destroy();
    });
    handling.add(pending);
    void pending.finally(() => handling.delete(pending));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = performance.now();
    const session = authenticate(req);
    if (!session) {
      req.resume();
      return sendError(res, {
        status: 401,
        type: 'authentication_error',
        message: 'Control Room: invalid API key (this gateway accepts only the tokens it issued)',
      });
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname as ForwardPath;
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
      req.resume();
      return sendError(res, {
        status: 404,
        type: 'not_found_error',
        message: `Control Room: no route ${url.pathname}`,
      });
    }
    if (!gateway.canForward) {
      req.resume();
      return sendError(res, { status: 501, type: 'api_error', message: FORWARD_UNSUPPORTED_MESSAGE });
    }

    let bytes: Buffer;
    let body: Record<string, unknown>;
    try {
      bytes = await readBody(req, maxBodyBytes);
      body = parseBody(bytes, path);
    } catch (caught) {
      const error =
        caught instanceof BodyTooLarge
          ? new Refusal({ status: 413, type: 'request_too_large', message: `Control Room: ${caught.message}` })
          : caught;
      if (!(error instanceof Refusal)) throw error;
      if (error.spec.status === 413) res.setHeader('connection', 'close');
      return sendError(res, error.spec);
    }

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const beta = url.searchParams.get('beta');
    const request: ForwardRequest = {
      path,
      headers,
      body: bytes,
      ...(beta !== null ? { query: { beta } } : {}),
    };

    const controller = new AbortController();
    session.calls.add(controller);
    // The caller went away before its answer was complete: the call is aborted upstream
    // and billed for what arrived.
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);
    try {
      if (path === '/v1/messages/count_tokens') await countTokens(request, res, controller.signal);
      else await forward(request, body, session, res, controller.signal, arrivedAt);
    } finally {
      session.calls.delete(controller);
      res.off('close', onClose);
    }
  }

  async function countTokens(
    request: ForwardRequest,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const response = await gateway.countTokens(request, { signal });
      res.writeHead(response.status, response.headers);
      for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch (error) {
      answerFailure(res, error, undefined);
    }
  }

  async function forward(
    request: ForwardRequest,
    body: Record<string, unknown>,
    session: Session,
    res: ServerResponse,
    signal: AbortSignal,
    arrivedAt: number,
  ): Promise<void> {
    const sink: ForwardSink = {
      head: (status, headers, timing) => {
        // node:http servers disable Nagle by default: each SSE event goes out as it arrives.
        // The API's own Server-Timing, if any, is kept after ours.
        const upstream = headers['server-timing'];
        const ours = serverTiming(arrivedAt, timing);
        res.writeHead(status, { ...headers, 'server-timing': upstream ? `${ours}, ${upstream}` : ours });
      },
      write: (chunk) => {
        if (res.destroyed) return;
        if (res.write(chunk)) return;
        return new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      },
      end: () => res.end(),
    };
    const { hooks } = session;
    try {
      await gateway.forward(
        {
          request: { ...request, path: '/v1/messages' },
          model: body['model'] as string,
          maxTokens: body['max_tokens'] as number,
          stream: body['stream'] === true,
          estimatedInputTokens: estimateRawInputTokens(body, request.body.byteLength),
        },
        session.who,
        sink,
        {
          signal,
          onRecorded: hooks.onRecorded
            ? (record, costNano) =>
                hooks.onRecorded?.({
                  requestId: record.requestId,
                  usage: record.usage as CallUsage | undefined,
                  costNano,
                  status: record.status,
                })
            : undefined,
        },
      );
    } catch (error) {
      answerFailure(res, error, hooks);
    }
  }

  /** The caller's answer to a call that failed, in the API's error shape (or the API's own). */
  function answerFailure(res: ServerResponse, error: unknown, hooks: GatewaySessionHooks | undefined): void {
    // Part of the answer is out: the caller must see it broken, never a clean end.
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (res.destroyed) return;
    const failure =
      error instanceof GatewayError
        ? error
        : new GatewayError('failed', (error as Error)?.message ?? String(error));
    switch (failure.kind) {
      case 'budget_exceeded':
        notifyRefused(hooks, failure);
        // A 400, not a 429: the client must not retry into a cap; the engine escalates instead.
        return sendError(res, {
          status: 400,
          type: 'invalid_request_error',
          message: `Control Room: ${failure.message}`,
        });
      case 'pool_stopped':
        notifyRefused(hooks, failure);
        return sendError(res, {
          status: 529,
          type: 'overloaded_error',
          message: `Control Room: ${failure.message}`,
        });
      case 'aborted':
        // The caller left, or its token was revoked: there is nobody to answer.
        res.destroy();
        return;
      case 'failed':
        if (failure.upstream) return sendUpstream(res, failure.upstream);
        return sendError(res, {
          status: 502,
          type: 'api_error',
          message: `Control Room: ${failure.message}`,
        });
    }
  }

  const notifyRefused = (hooks: GatewaySessionHooks | undefined, error: GatewayError): void => {
    try {
      hooks?.onRefused?.(error);
    } catch {
      // The session's answer must not depend on its owner's listener.
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const revoke = (token: string): void => {
    const key = tokenDigest(token).toString('hex');
    const session = sessions.get(key);
    if (!session) return;
    sessions.delete(key);
    for (const controller of session.calls) controller.abort();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    issue(who, hooks = {}) {
      const token = `cr_${randomBytes(32).toString('base64url')}`;
      const digest = tokenDigest(token);
      sessions.set(digest.toString('hex'), { digest, who, hooks, calls: new Set() });
      return token;
    },
    revoke,
    async close() {
      for (const session of sessions.values()) for (const controller of session.calls) controller.abort();
      sessions.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Aborted calls record what they were billed before their handlers settle.
      await Promise.allSettled([...handling]);
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The `Server-Timing` header of a forwarded answer: what the gateway itself took until
 * the status line (`cr-gateway`: reading and checking the request, admission, the
 * relay), apart from the limiter's queue (`cr-limiter`) and the API (`cr-upstream`), so a
 * slow call says where its time went. Durations in milliseconds, as the header wants.
 */
function serverTiming(arrivedAt: number, timing: ForwardTiming): string {
  const own = Math.max(0, performance.now() - arrivedAt - timing.limiterWaitMs - timing.upstreamMs);
  const dur = (ms: number): string => ms.toFixed(3);
  return `cr-gateway;dur=${dur(own)}, cr-limiter;dur=${dur(timing.limiterWaitMs)}, cr-upstream;dur=${dur(timing.upstreamMs)}`;
}

function sendError(res: ServerResponse, spec: ApiError): void {
  const body = JSON.stringify({ type: 'error', error: { type: spec.type, message: spec.message } });
  res.writeHead(spec.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The API's own error answer, once the gateway gave up retrying it. */
function sendUpstream(res: ServerResponse, upstream: UpstreamError): void {
  const body =
    upstream.body ??
    JSON.stringify({
      type: 'error',
      error: { type: 'api_error', message: `upstream status ${upstream.status}` },
    });
  const headers: Record<string, string> = { ...upstream.headers };
  // The body may have been re-serialised: describe the one sent now.
  for (const name of ['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])
    delete headers[name];
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(upstream.status, headers);
  res.end(body);
}

const badRequest = (message: string): Refusal =>
  new Refusal({ status: 400, type: 'invalid_request_error', message: `Control Room: ${message}` });

/**
 * What must hold before anything is sent or billed: a JSON object naming a model that can
 * be priced, and (for a Messages call) a `max_tokens` for the worst-case admission. The
 * rest is the API's to judge.
 */
function parseBody(bytes: Buffer, path: ForwardPath): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw badRequest(`the request body is not valid JSON (${(error as Error).message})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (typeof b['model'] !== 'string' || b['model'] === '') throw badRequest('model: Field required');
  if (!findModel(b['model'])) {
    throw badRequest(
      `model: "${b['model']}" is not a model Control Room can price, so it cannot be admitted`,
    );
  }
  if (path === '/v1/messages') {
    const max = b['max_tokens'];
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw badRequest('max_tokens: Field required (a positive integer)');
    }
  }
  return b;
}
