import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../shared/wire.js';
import { openBackend, type Backend } from '../app/backend.js';
import { startServer, type RunningServer } from './server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Raw HTTP, so tests control the Host header and send paths no URL parser has normalised. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Client {
  ws: WebSocket;
  frames: ServerFrame[];
  next(predicate: (frame: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  invoke(id: number, channel: string, request: unknown): Promise<ServerFrame>;
}

/** Opens a socket; resolves once open, or rejects with the HTTP status of a refused upgrade. */
function connect(
  url: string,
  options: { origin?: string; headers?: Record<string, string> },
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin: options.origin, headers: options.headers });
    const frames: ServerFrame[] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as ServerFrame);
      for (const wake of waiters) wake();
    });
    ws.on('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.on('error', (error) => reject(error));
    const next: Client['next'] = (predicate, timeoutMs = 3_000) =>
      new Promise((done, fail) => {
        const check = () => {
          const found = frames.find(predicate);
          if (!found) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          done(found);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          fail(new Error('timed out waiting for a frame'));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        next,
        invoke(id, channel, request) {
          ws.send(JSON.stringify({ kind: 'invoke', id, channel, request }));
          return next((f) => f.kind === 'result' && f.id === id);
        },
      }),
    );
  });
}

function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => undefined,
    (error: { status?: number }) => error.status,
  );
}

const validDesign = {
  name: 'Alpha',
  description: '',
  teams: [],
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
};

describe('browser-mode server', () => {
  let root: string;
  let staticDir: string;
  let backend: Backend;
  let server: RunningServer;
  let cookie: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cr-server-'));
    staticDir = join(root, 'renderer');
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(
      join(staticDir, 'index.html'),
      '<!doctype html><title>Control Room</title><div id="root"></div>',
    );
    writeFileSync(join(staticDir, 'assets', 'index-abc123.js'), 'console.log("hi");');
    writeFileSync(join(staticDir, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET');
    backend = openBackend({ dataDir: join(root, 'data'), runtime: 'browser', flushIntervalMs: 10, env: {} });
    server = await startServer({ backend, staticDir });
    cookie = `cr_session_${server.port}=${server.token}`;
  });

  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });

  afterAll(async () => {
    await server?.close();
    backend?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('listens on loopback with a strong per-launch token in the printed URL', () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  describe('authentication', () => {
    it('answers 401 without a token, with the security headers', async () => {
      const reply = await get(server.port, '/');
      expect(reply.status).toBe(401);
      expect(reply.headers['content-type']).toMatch(/^text\/plain/);
      expect(reply.body).not.toContain('<');
      expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
      expect((await get(server.port, '/assets/index-abc123.js')).status).toBe(401);
    });

    it('trades a token in the query for an HttpOnly cookie and a redirect without it', async () => {
      const reply = await get(server.port, `/?token=${server.token}`);
      expect(reply.status).toBe(302);
      expect(reply.headers.location).toBe('/');
      const setCookie = reply.headers['set-cookie']?.[0] ?? '';
      expect(setCookie).toContain(`cr_session_${server.port}=${server.token}`);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');

      const deep = await get(server.port, `/teams/42?view=grid&token=${server.token}`);
      expect(deep.headers.location).toBe('/teams/42?view=grid');
    });

    it('never redirects off the server', async () => {
      const reply = await get(server.port, `//evil.example/?token=${server.token}`);
      expect(reply.status).toBe(302);
      expect(reply.headers.location).toBe('/evil.example/');
    });

    it('accepts the cookie and the header, and refuses wrong ones', async () => {
      expect((await get(server.port, '/', { cookie })).status).toBe(200);
      expect((await get(server.port, '/', { 'x-control-room-token': server.token })).status).toBe(200);
      expect((await get(server.port, '/', { cookie: `cr_session_${server.port}=nope` })).status).toBe(401);
      expect((await get(server.port, '/', { cookie: `cr_session_1=${server.token}` })).status).toBe(401);
      expect((await get(server.port, '/?token=wrong')).status).toBe(401);
      expect((await get(server.port, '/', { 'x-control-room-token': 'wrong' })).status).toBe(401);
    });

    it('refuses Host headers other than its own (DNS rebinding)', async () => {
      const evil = await get(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` });
      expect(evil.status).toBe(421);
      expect((await get(server.port, '/', { cookie, host: `127.0.0.1:${server.port + 1}` })).status).toBe(
        421,
      );
      expect((await get(server.port, '/', { cookie, host: '127.0.0.1' })).status).toBe(421);
      expect((await get(server.port, '/', { cookie, host: `localhost:${server.port}` })).status).toBe(200);
    });

    it('only answers GET and HEAD', async () => {
      const reply = await get(server.port, '/', { cookie }, 'POST');
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('static files', () => {
    it('serves index.html uncached, with the strict CSP and security headers', async () => {
      const reply = await get(server.port, '/', { cookie });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('<title>Control Room</title>');
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['content-security-policy']).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
          `connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}; ` +
          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
      );
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
      expect(reply.headers['cross-origin-opener-policy']).toBe('same-origin');
    });

    it('serves hashed assets with their content type and a long immutable cache', async () => {
      const js = await get(server.port, '/assets/index-abc123.js', { cookie });
      expect(js.status).toBe(200);
      expect(js.body).toBe('console.log("hi");');
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const css = await get(server.port, '/assets/index-abc123.css', { cookie });
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
      const head = await get(server.port, '/assets/index-abc123.js', { cookie }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['content-length']).toBe(String('console.log("hi");'.length));
    });

    it('falls back to index.html for client-side routes, but 404s missing files', async () => {
      const route = await get(server.port, '/designs/abc/edit', { cookie });
      expect(route.status).toBe(200);
      expect(route.body).toContain('<title>Control Room</title>');
      expect((await get(server.port, '/missing.js', { cookie })).status).toBe(404);
      expect((await get(server.port, '/assets/gone', { cookie })).status).toBe(404);
    });

    it.each([
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets\\..\\..\\secret.txt',
      '/%00index.html',
      '/%E0%A4%A',
    ])('refuses the traversal %s', async (path) => {
      const reply = await get(server.port, path, { cookie });
      expect(reply.status).toBe(400);
      expect(reply.body).not.toContain('TOP-SECRET');
    });

    it('never reads outside the root for absolute-looking paths', async () => {
      const abs = await get(server.port, '//etc/passwd', { cookie });
      expect(abs.body).not.toContain('root:');
      const absForm = await get(server.port, `http://127.0.0.1:${server.port}/secret.txt`, { cookie });
      expect(absForm.status).toBe(400);
    });

    it('answers 503 with a build hint when the renderer has not been built', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'cr-empty-'));
      const bare = await startServer({ backend, staticDir: join(empty, 'nothing-here') });
      try {
        const reply = await get(bare.port, '/', { 'x-control-room-token': bare.token });
        expect(reply.status).toBe(503);
        expect(reply.body).toContain('npm run build');
        expect(reply.headers['content-security-policy']).toBeDefined();
      } finally {
        await bare.close();
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });

  describe('WebSocket', () => {
    const wsUrl = () => `ws://127.0.0.1:${server.port}/ws`;
    const open = async (options: Parameters<typeof connect>[1], url = wsUrl()) => {
      const client = await connect(url, options);
      sockets.push(client.ws);
      return client;
    };

    it('refuses a foreign or missing Origin', async () => {
      expect(await refusal(open({ origin: 'http://evil.example', headers: { cookie } }))).toBe(403);
      expect(
        await refusal(open({ origin: `http://127.0.0.1:${server.port + 1}`, headers: { cookie } })),
      ).toBe(403);
      expect(await refusal(open({ origin: `https://127.0.0.1:${server.port}`, headers: { cookie } }))).toBe(
        403,
      );
      expect(await refusal(open({ headers: { cookie } }))).toBe(403);
    });

    it('refuses upgrades without a valid token or cookie', async () => {
      expect(await refusal(open({ origin: server.origin }))).toBe(401);
      expect(
        await refusal(open({ origin: server.origin, headers: { cookie: `cr_session_${server.port}=x` } })),
      ).toBe(401);
    });

    it('refuses a foreign Host and other paths', async () => {
      const host = { origin: server.origin, headers: { cookie, host: `evil.example:${server.port}` } };
      expect(await refusal(open(host))).toBe(421);
      expect(
        await refusal(
          open({ origin: server.origin, headers: { cookie } }, `ws://127.0.0.1:${server.port}/other`),
        ),
      ).toBe(404);
    });

    it('accepts its own origin with the cookie or the token', async () => {
      await expect(open({ origin: server.origin, headers: { cookie } })).resolves.toBeDefined();
      await expect(
        open({ origin: `http://localhost:${server.port}` }, `${wsUrl()}?token=${server.token}`),
      ).resolves.toBeDefined();
    });

    it('answers invokes with Results', async () => {
      const client = await open({ origin: server.origin, headers: { cookie } });

      const info = await client.invoke(1, 'app:get-info', {});
      expect(info).toMatchObject({
        kind: 'result',
        id: 1,
        result: { ok: true, data: { runtime: 'browser' } },
      });

      const bad = await client.invoke(2, 'teams:get', {});
      expect(bad).toMatchObject({
        kind: 'result',
        id: 2,
        result: { ok: false, error: { code: 'invalid_request' } },
      });
      expect(bad.kind === 'result' && !bad.result.ok && bad.result.error.message).toMatch(/\bid\b/);

      const unknown = await client.invoke(3, 'teams:explode', {});
      expect(unknown).toMatchObject({ result: { ok: false, error: { code: 'unknown_command' } } });
    });

    it('answers malformed frames it can attribute and survives the rest', async () => {
      const client = await open({ origin: server.origin, headers: { cookie } });
      client.ws.send('not json');
      client.ws.send('[1,2]');
      client.ws.send(JSON.stringify({ kind: 'invoke', channel: 'app:get-info' }));
      client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      client.ws.send(JSON.stringify({ kind: 'nonsense', id: 7 }));
      client.ws.send(JSON.stringify({ kind: 'invoke', id: 8, channel: 42 }));
      const seven = await client.next((f) => f.kind === 'result' && f.id === 7);
      expect(seven).toMatchObject({ result: { ok: false, error: { code: 'invalid_request' } } });
      const eight = await client.next((f) => f.kind === 'result' && f.id === 8);
      expect(eight).toMatchObject({ result: { ok: false, error: { code: 'invalid_request' } } });
      expect(eight.kind === 'result' && !eight.result.ok && eight.result.error.message).toContain('channel');
      // Still alive and answering.
      expect(await client.invoke(9, 'app:get-info', {})).toMatchObject({ result: { ok: true } });
    });

    it('closes a socket that sends an oversized frame without affecting others', async () => {
      const big = await open({ origin: server.origin, headers: { cookie } });
      const other = await open({ origin: server.origin, headers: { cookie } });
      const closed = new Promise<number>((resolve) => big.ws.on('close', (code) => resolve(code)));
      big.ws.send('x'.repeat(3 * 1024 * 1024));
      expect(await closed).toBe(1009);
      expect(await other.invoke(1, 'app:get-info', {})).toMatchObject({ result: { ok: true } });
    });

    it('accepts a 1 MiB team file in one frame', async () => {
      const client = await open({ origin: server.origin, headers: { cookie } });
      // Quotes double in size when the file's text is embedded in the frame.
      const json = JSON.stringify({ pad: '"'.repeat(400 * 1024) }).padEnd(1024 * 1024 - 16, ' ');
      const reply = await client.invoke(1, 'teams:import', { json });
      expect(reply.kind).toBe('result');
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('pushes events to every open socket after a save', async () => {
      const a = await open({ origin: server.origin, headers: { cookie } });
      const b = await open({ origin: server.origin, headers: { cookie } });
      const saved = await a.invoke(1, 'teams:save', { design: validDesign });
      expect(saved).toMatchObject({ result: { ok: true } });
      const id = saved.kind === 'result' && saved.result.ok ? (saved.result.data as { id: string }).id : '';
      const isChange = (f: ServerFrame) =>
        f.kind === 'events' && f.events.some((e) => e.name === 'teams:changed' && (e.payload as { id?: unknown }).id === id);
      for (const client of [a, b]) {
        const frame = await client.next(isChange);
        expect(frame).toMatchObject({
          kind: 'events',
          events: [{ name: 'teams:changed', payload: { change: 'saved' } }],
        });
      }
    });
  });

  it('refuses to share a port that is taken', async () => {
    await expect(startServer({ backend, staticDir, port: server.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('closes open sockets and stops listening on close()', async () => {
    const other = await startServer({ backend, staticDir });
    const client = await connect(`ws://127.0.0.1:${other.port}/ws?token=${other.token}`, {
      origin: other.origin,
    });
    const closed = new Promise<number>((resolve) => client.ws.on('close', (code) => resolve(code)));
    await other.close();
    expect(await closed).toBe(1001);
    await expect(get(other.port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await other.close(); // idempotent
  });
});
