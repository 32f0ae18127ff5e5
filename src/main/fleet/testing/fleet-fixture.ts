import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Test support for the fleet: a throwaway Redis (Debian's redis-server) on a free
 * loopback port, and real `control-room worker` processes built from this checkout's CLI.
 */

/** The redis-server binary, or null (the fleet tests then skip with this reason). */
export function findRedisServer(): string | null {
  if (process.env.CONTROL_ROOM_TEST_REDIS_URL) return 'external';
  for (const candidate of [process.env.CONTROL_ROOM_REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface TestRedis {
  /** This test file's own database: flush it (`FLUSHDB`), never the whole server. */
  url: string;
  /** The server without a database, for tests that choose databases themselves (1 to 3). */
  server: string;
  stop(): Promise<void>;
}

/**
 * Empties this test file's database between tests; nothing when there is no Redis (the
 * tests were skipped, and a client without a URL would reach for localhost:6379 and fail
 * the run on a machine that has no redis-server).
 */
export async function flushTestRedis(redis: TestRedis | undefined): Promise<void> {
  if (!redis) return;
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await client.flushdb();
  client.disconnect();
}

/** Databases 4 to 15 of a shared server go one to each test file that asks, in turn. */
const FIRST_SHARED_DB = 4;
const SHARED_DBS = 12;

/**
 * The Redis the tests use: `CONTROL_ROOM_TEST_REDIS_URL` when set (`.ci/run` starts one on
 * loopback), otherwise redis-server started here on a free 127.0.0.1 port, without persistence.
 * Test files run in parallel, so on a shared server each gets a database of its own.
 */
export async function startRedis(binary: string): Promise<TestRedis> {
  const given = process.env.CONTROL_ROOM_TEST_REDIS_URL?.replace(/\/+$/, '');
  if (given) {
    const { Redis } = await import('ioredis');
    const client = new Redis(given, { maxRetriesPerRequest: 1 });
    const n = await client.incr('control-room-tests:databases-given');
    client.disconnect();
    const db = FIRST_SHARED_DB + ((n - 1) % SHARED_DBS);
    return { url: `${given}/${db}`, server: given, stop: () => Promise.resolve() };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cr-redis-'));
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const { Redis } = await import('ioredis');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // refused until the server listens
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    server: url,
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Bundles the CLI (as `npm run build` does) into a temp folder; returns the script's path.
 * `root` is the checkout; a caller that is itself bundled elsewhere (a bench) passes it.
 */
export async function buildCli(root = resolve(import.meta.dirname, '../../../..')): Promise<{ script: string; cleanup(): void }> {
  // Inside the checkout, so the bundle's external packages resolve from its node_modules.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'cr-cli-'));
  await build({
    entryPoints: { cli: join(root, 'src/main/cli/index.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    loader: { '.sql': 'text' },
    logLevel: 'error',
    absWorkingDir: root,
  });
  return { script: join(dir, 'cli.mjs'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed on stderr so far. */
  log(): string;
  /** Resolves with its exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Starts `control-room worker` as its own process. */
export function startWorkerProcess(
  script: string,
  options: { redisUrl: string; concurrency: number; workspaceRoot: string; lockMs?: number },
): WorkerProcess {
  const child = spawn(
    process.execPath,
    [script, 'worker', '--redis', options.redisUrl, '--concurrency', String(options.concurrency), '--workspace-root', options.workspaceRoot],
    {
      env: { ...process.env, CONTROL_ROOM_FLEET_LOCK_MS: String(options.lockMs ?? 1_500) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? -1)));
  return { child, log: () => text, exited };
}
