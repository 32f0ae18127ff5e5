import { createReadStream, statSync, type Stats } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { fail } from '../../shared/result.js';
import { TOKEN_PARAM } from '../../shared/wire.js';
import type { BackendHandle } from '../app/backend.js';
import {
  assertUsableToken,
  authenticate,
  generateToken,
  isAllowedHost,
  isAllowedOrigin,
  locationWithoutToken,
  LOOPBACK_HOST,
  sessionCookie,
} from './auth.js';
import { eventsFrame, parseClientFrame, resultFrame } from './frames.js';
import {
  cacheControlFor,
  contentTypeFor,
  decodeRequestPath,
  looksLikeFile,
  resolveInside,
} from './static-files.js';

/** The path of browser mode's one WebSocket. */
export const WEBSOCKET_PATH = '/ws';

/**
 * Largest client frame accepted. A team file may be 1 MiB of JSON text; sent as a
 * string inside an invoke frame its quotes and backslashes are escaped again, which at
 * worst doubles it, plus a little room for the envelope.
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024 + 64 * 1024;

/**
 * A socket with this much unsent data is not reading: event batches skip it rather
 * than queue without bound. Command answers are still sent (the client waits on them).
 */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** How long shutdown waits for clients to acknowledge the close before cutting them off. */
const CLOSE_GRACE_MS = 500;

/**
 * Where the built renderer sits relative to the CLI bundle (`dist/main/cli.js` ->
 * `dist/renderer/`). Only meaningful inside the bundle; tests pass their own folder.
 */
export const DEFAULT_STATIC_DIR: URL = new URL('../renderer/', import.meta.url);

export interface ServerOptions {
  /** The engine; only its command entry point and event hub are used. */
  backend: Pick<BackendHandle, 'invoke' | 'events'>;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The built renderer (`dist/renderer`); defaults to {@link DEFAULT_STATIC_DIR}. */
  staticDir?: string | URL;
  /** Fixed token for tests and fixtures; a fresh random one per launch otherwise. */
  token?: string;
  /** Where unexpected errors go. */
  logError?: (message: string, error?: unknown) => void;
}

export interface RunningServer {
  /** What to open in a browser: `http://127.0.0.1:PORT/?token=TOKEN`. */
  url: string;
  /** `http://127.0.0.1:PORT`, the origin the page and WebSocket must have. */
  origin: string;
  port: number;
  token: string;
  /** Stops listening, closes every WebSocket, and resolves once all connections are gone. */
  close(): Promise<void>;
}

/**
 * Starts browser mode's host on 127.0.0.1: the built renderer over HTTP and the contract
 * over one WebSocket at `/ws`. Every request must carry the per-launch token (query or
 * `x-control-room-token` header) or the session cookie that the first tokened page load
 * sets, and must name this server in its Host header (DNS-rebinding defence); WebSocket
 * upgrades must also come from the server's own origin. Rejects when the port cannot be
 * bound (the error's `code` is `EADDRINUSE` when it is taken).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? generateToken();
  assertUsableToken(token);
  const staticRoot = toPath(options.staticDir ?? DEFAULT_STATIC_DIR);
  const logError =
    options.logError ??
    ((message: string, error?: unknown) => console.error(`[control-room] ${message}`, error ?? ''));

  // Filled in once listening: headers and checks all depend on the real port.
  let port = 0;
  let headers: Record<string, string> = {};
  let closing = false;
  const sockets = new Set<WebSocket>();

  const server = createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (error) {
      logError('request failed', error);
      if (!res.headersSent) sendText(res, 500, 'Internal error.');
      else res.destroy();
    }
  });

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (!isAllowedHost(req.headers.host, port)) {
      sendText(res, 421, `This server only answers to 127.0.0.1:${port} and localhost:${port}.`);
      return;
    }
    const url = requestUrl(req.url, port);
    if (!url) {
      sendText(res, 400, 'Bad request.');
      return;
    }
    const auth = authenticate(req, url, token, port);
    if (!auth.ok) {
      sendText(res, 401, unauthorizedText(auth.reason));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Method not allowed.');
      return;
    }
    if (auth.source === 'query') {
      // Move the token out of the address bar and history into an HttpOnly cookie.
      res.setHeader('Set-Cookie', sessionCookie(port, token));
      res.setHeader('Location', locationWithoutToken(url));
      sendText(res, 302, 'Signed in; redirecting.');
      return;
    }
    if (url.pathname === WEBSOCKET_PATH) {
      res.setHeader('Upgrade', 'websocket');
      sendText(res, 426, 'This endpoint only speaks WebSocket.');
      return;
    }
    serveStatic(req, res, (req.url ?? '/').split('?')[0] ?? '/');
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): void {
    const segments = decodeRequestPath(rawPath);
    const target = segments && resolveInside(staticRoot, segments);
    if (!segments || !target) {
      sendText(res, 400, 'Bad path.');
      return;
    }
    const indexPath = resolveInside(staticRoot, ['index.html']);
    const indexStats = indexPath ? fileStats(indexPath) : undefined;
    if (!indexPath || !indexStats) {
      sendNotBuilt(res);
      return;
    }
    const stats = segments.length > 0 ? fileStats(target) : undefined;
    if (stats) {
      sendFile(req, res, target, stats, cacheControlFor(segments));
      return;
    }
    if (looksLikeFile(segments) || segments[0] === 'assets') {
      sendText(res, 404, 'Not found.');
      return;
    }
    // A client-side route: the single-page app decides what to show.
    sendFile(req, res, indexPath, indexStats, 'no-store');
  }

  function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    stats: Stats,
    cache: string,
  ): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', contentTypeFor(path));
    res.setHeader('Content-Length', stats.size);
    res.setHeader('Cache-Control', cache);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(path);
    stream.on('error', (error) => {
      logError(`could not read ${path}`, error);
      res.destroy();
    });
    stream.pipe(res);
  }

  function sendNotBuilt(res: ServerResponse): void {
    const body =
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Control Room: renderer not built</title></head>' +
      '<body><h1>The Control Room UI has not been built</h1>' +
      `<p>No <code>index.html</code> in <code>${escapeHtml(staticRoot)}</code>.</p>` +
      '<p>Run <code>npm run build</code>, then start <code>control-room serve</code> again.</p></body></html>\n';
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Without a listener a reset during the handshake would crash the process.
    socket.on('error', () => socket.destroy());
    if (!isAllowedHost(req.headers.host, port)) {
      refuseUpgrade(socket, 421, `This server only answers to 127.0.0.1:${port} and localhost:${port}.`);
      return;
    }
    const url = requestUrl(req.url, port);
    if (!url || url.pathname !== WEBSOCKET_PATH) {
      refuseUpgrade(socket, 404, 'Not found.');
      return;
    }
    if (!isAllowedOrigin(req.headers.origin, port)) {
      refuseUpgrade(socket, 403, "WebSocket connections are only accepted from this server's own pages.");
      return;
    }
    const auth = authenticate(req, url, token, port);
    if (!auth.ok) {
      refuseUpgrade(socket, 401, unauthorizedText(auth.reason));
      return;
    }
    if (closing) {
      refuseUpgrade(socket, 503, 'The server is shutting down.');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      void onMessage(ws, rawText(data));
    });
    ws.on('close', () => sockets.delete(ws));
    // ws reports protocol errors (an oversized frame, bad UTF-8) here and then closes
    // the socket itself; the listener only keeps the error from crashing the process.
    ws.on('error', () => sockets.delete(ws));
  }

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    const parsed = parseClientFrame(text);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'malformed') {
      reply(ws, resultFrame(parsed.id, fail('invalid_request', parsed.message)));
      return;
    }
    const { id, channel, request } = parsed.frame;
    let frame: string;
    try {
      frame = resultFrame(id, await options.backend.invoke(channel, request));
    } catch (error) {
      // invoke answers a Result by contract; this guards the socket against a bug there
      // or against a response that cannot be serialised.
      logError(`${channel} failed`, error);
      frame = resultFrame(id, fail('internal', `${channel} failed unexpectedly; see the log for details`));
    }
    reply(ws, frame);
  }

  function reply(ws: WebSocket, frame: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame, (error) => {
      if (error) sockets.delete(ws);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK_HOST, port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  headers = securityHeaders(port);
  server.on('error', (error) => logError('server error', error));

  const unsubscribe = options.backend.events.subscribe((batch) => {
    if (sockets.size === 0 || batch.length === 0) return;
    const frame = eventsFrame(batch);
    for (const ws of sockets) {
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      ws.send(frame);
    }
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      unsubscribe();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const open = [...sockets];
      for (const ws of open) ws.close(1001, 'Control Room is shutting down');
      await Promise.race([
        Promise.all(open.map((ws) => waitClosed(ws))),
        new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
      ]);
      for (const ws of open) ws.terminate();
      sockets.clear();
      wss.close();
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };

  const origin = `http://${LOOPBACK_HOST}:${port}`;
  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    port,
    token,
    close,
  };
}

/**
 * The response headers every answer carries, the errors included. The CSP allows only
 * this server's own files and its own WebSocket: no inline script, no eval, no framing.
 */
export function securityHeaders(port: number): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${LOOPBACK_HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
}

/**
 * Parses a request target. Only origin-form (`/path?query`) is accepted; the base is
 * prefixed as text so `//host/x` stays a path instead of naming another host.
 */
function requestUrl(target: string | undefined, port: number): URL | null {
  if (!target?.startsWith('/')) return null;
  try {
    return new URL(`http://${LOOPBACK_HOST}:${port}${target}`);
  } catch {
    return null;
  }
}

function unauthorizedText(reason: 'missing' | 'invalid'): string {
  return reason === 'invalid'
    ? "Unauthorized: the token is not this launch's. Open the URL that control-room serve printed."
    : 'Unauthorized: open the URL that control-room serve printed (it carries the token).';
}

function sendText(res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Answers a refused upgrade with a real HTTP response, then drops the socket. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ].join('\r\n');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
}

function waitClosed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function fileStats(path: string): Stats | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

function toPath(dir: string | URL): string {
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
