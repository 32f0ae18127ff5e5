import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../engine/testing/harness.js';
import { FleetControl, TurnDeadLettered } from './fleet-control.js';
import { FleetWorker } from './fleet-worker.js';
import type { ModelReply } from './protocol.js';
import { buildCli, findRedisServer, startRedis, startWorkerProcess, type TestRedis } from './testing/fleet-fixture.js';

/** The queue's own guarantees, with the worker in this process (and once as a real process). */

const redisBinary = findRedisServer();
const run = redisBinary ? describe : describe.skip;
if (!redisBinary) console.log('fleet-control.test: skipped, redis-server is not installed (apt-get install redis-server)');

let redis: TestRedis | undefined;
let control: FleetControl | undefined;
let workers: FleetWorker[] = [];
let root: string | undefined;

beforeAll(async () => {
  if (redisBinary) redis = await startRedis(redisBinary);
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await control?.close();
  control = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
  const { Redis } = await import('ioredis');
  const client = new Redis(redis?.url ?? '', { maxRetriesPerRequest: 1 });
  await client.flushdb();
  client.disconnect();
});

async function setUp(options: { attempts?: number; backoffMs?: number } = {}): Promise<FleetControl> {
  root = mkdtempSync(join(tmpdir(), 'cr-fleet-ctl-'));
  control = await FleetControl.start({ redisUrl: redis?.url ?? '', ...options });
  return control;
}

async function worker(concurrency = 1): Promise<FleetWorker> {
  const w = await FleetWorker.start({ redisUrl: redis?.url ?? '', concurrency, workspaceRoot: join(root ?? tmpdir(), `w${workers.length}`), lockDurationMs: 2_000 });
  workers.push(w);
  return w;
}

const empty: ModelReply = { kind: 'reply', uses: [], approved: [] };

function turn(c: FleetControl, key: string, role: 'leader' | 'coder' | 'reviewer', model: () => Promise<ModelReply>, signal = new AbortController().signal) {
  return c.runTurn({ key, missionId: 'm1', agentId: key, agentName: key, role, workspace: null, model, signal });
}

run('FleetControl and FleetWorker', () => {
  it("serves leaders' turns ahead of coders' turns queued before them", async () => {
    const c = await setUp();
    const order: string[] = [];
    const answer = (name: string) => () => {
      order.push(name);
      return Promise.resolve(empty);
    };
    const turns = [
      turn(c, 'coder-1', 'coder', answer('coder-1')),
      turn(c, 'coder-2', 'coder', answer('coder-2')),
      turn(c, 'reviewer', 'reviewer', answer('reviewer')),
      turn(c, 'leader', 'leader', answer('leader')),
    ];
    // Every turn is queued before the only worker starts.
    await waitFor(async () => (await c.status()).queue.waiting === 4, 10_000, 'four queued turns');
    await worker(1);
    await Promise.all(turns);
    expect(order).toEqual(['leader', 'reviewer', 'coder-1', 'coder-2']);
    const status = await c.status();
    expect(status.completed).toBe(4);
    expect(status.waitMs.samples).toBe(4);
    expect(status.workers).toHaveLength(1);
    expect(status.workers[0]).toMatchObject({ concurrency: 1, draining: false });
  }, 30_000);

  it('retries a failed attempt with back-off and succeeds', async () => {
    const c = await setUp({ attempts: 3, backoffMs: 50 });
    await worker(1);
    let calls = 0;
    const result = await turn(c, 'flaky', 'coder', () => {
      calls += 1;
      return calls < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve(empty);
    });
    expect(calls).toBe(3);
    expect(result.reply).toBe('reply');
    expect((await c.status()).deadLetters).toBe(0);
  }, 30_000);

  it('dead-letters a turn that fails on every attempt', async () => {
    const c = await setUp({ attempts: 2, backoffMs: 20 });
    await worker(1);
    const failed = turn(c, 'doomed', 'coder', () => Promise.reject(new Error('always')));
    await expect(failed).rejects.toBeInstanceOf(TurnDeadLettered);
    await expect(failed).rejects.toMatchObject({ attempts: 2 });
    expect((await c.status()).deadLetters).toBe(1);
  }, 30_000);

  it('withdraws a queued turn when its agent stops', async () => {
    const c = await setUp();
    const abort = new AbortController();
    let called = false;
    const pending = turn(c, 'stopped', 'coder', () => {
      called = true;
      return Promise.resolve(empty);
    }, abort.signal);
    await waitFor(async () => (await c.status()).queue.waiting === 1, 10_000, 'a queued turn');
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(async () => (await c.status()).queue.waiting === 0, 10_000, 'the turn withdrawn');
    await worker(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(called).toBe(false);
  }, 30_000);

  it('drains on close: the turn in hand finishes, the next one waits for another worker', async () => {
    const c = await setUp();
    const w = await worker(1);
    let release: (() => void) | undefined;
    const slow = turn(c, 'slow', 'coder', () => new Promise<ModelReply>((r) => (release = () => r(empty))));
    await waitFor(() => release !== undefined, 10_000, 'the slow turn taken');
    const closing = w.close();
    workers = [];
    let nextCalled = false;
    const next = turn(c, 'next', 'coder', () => {
      nextCalled = true;
      return Promise.resolve(empty);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(nextCalled).toBe(false);
    release?.();
    await expect(slow).resolves.toMatchObject({ reply: 'reply' });
    await closing;
    await worker(1);
    await expect(next).resolves.toMatchObject({ reply: 'reply' });
  }, 30_000);

  it('a worker process drains on SIGTERM and exits 0', async () => {
    const c = await setUp();
    const cli = await buildCli();
    try {
      const p = startWorkerProcess(cli.script, { redisUrl: redis?.url ?? '', concurrency: 1, workspaceRoot: join(root ?? tmpdir(), 'proc') });
      await waitFor(() => p.log().includes('Control Room worker '), 30_000, 'the worker ready');
      let release: (() => void) | undefined;
      const held = turn(c, 'held', 'coder', () => new Promise<ModelReply>((r) => (release = () => r(empty))));
      // The worker holds the turn: it is waiting for the model's answer.
      await waitFor(() => release !== undefined, 10_000, 'the turn taken');
      p.child.kill('SIGTERM');
      await waitFor(() => p.log().includes('Draining'), 10_000, 'draining');
      release?.();
      await expect(held).resolves.toMatchObject({ reply: 'reply' });
      expect(await p.exited).toBe(0);
      expect(p.log()).toContain('Stopped.');
    } finally {
      cli.cleanup();
    }
  }, 60_000);
});

describe('a Redis that does not answer', () => {
  it('fails start within seconds, with the reason and without the password', async () => {
    const started = Date.now();
    await expect(FleetControl.start({ redisUrl: 'redis://ops:FAKE-pass@127.0.0.1:1' })).rejects.toThrow(
      /cannot reach Redis at redis:\/\/ops:\*\*\*@127\.0\.0\.1:1/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);
});
