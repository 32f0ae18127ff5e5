import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../engine/testing/harness.js';
import { git } from '../workspace/git.js';
import { FleetControl, TurnDeadLettered } from './fleet-control.js';
import { FleetWorker } from './fleet-worker.js';
import { TURN_QUEUE, turnJobSchema, type ModelReply, type TurnJob, type TurnResult, type TurnWorkspace } from './protocol.js';
import { buildCli, findRedisServer, flushTestRedis, startRedis, startWorkerProcess, type TestRedis } from './testing/fleet-fixture.js';

/** The queue's own guarantees, with the worker in this process (and once as a real process). */

const redisBinary = findRedisServer();
const run = redisBinary ? describe : describe.skip;
if (!redisBinary) console.log('fleet-control.test: skipped, redis-server is not installed (apt-get install redis-server)');

let redis: TestRedis | undefined;
let control: FleetControl | undefined;
let workers: FleetWorker[] = [];
let root: string | undefined;
let queue: Queue | undefined;

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
  await queue?.close();
  queue = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
  await flushTestRedis(redis);
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

function turn(
  c: FleetControl,
  key: string,
  role: 'leader' | 'coder' | 'reviewer',
  model: () => Promise<ModelReply>,
  signal = new AbortController().signal,
  workspace: TurnWorkspace | null = null,
) {
  return c.runTurn({ key, missionId: 'm1', agentId: key, agentName: key, role, workspace, model, signal });
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** `waitFor` for checks that need to await. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function turnQueue(): Queue {
  queue ??= new Queue(TURN_QUEUE, { connection: { url: redis?.url ?? '' } });
  return queue;
}

/** The one job on the queue, with what a worker reads in it (the API's URL and token). */
async function theJob(): Promise<{ id: string; data: TurnJob }> {
  let found: { id: string; data: TurnJob } | undefined;
  await until(
    async () => {
      const [job] = await turnQueue().getJobs(['waiting', 'prioritized', 'active']);
      if (job?.id) found = { id: job.id, data: turnJobSchema.parse(job.data) };
      return found !== undefined;
    },
    10_000,
    'the turn on the queue',
  );
  if (!found) throw new Error('unreachable');
  return found;
}

/** A result report as a worker sends it. */
async function report(data: TurnJob, body: unknown, token = data.control.token): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${data.control.url}/fleet/v1/turns/${data.turnId}/result`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** A coder's workspace on a fresh repository (one commit on main). */
async function coderWorkspace(name: string): Promise<TurnWorkspace> {
  const origin = join(root ?? tmpdir(), `origin-${name}`);
  mkdirSync(origin);
  await git(['init', '--quiet', '-b', 'main'], { cwd: origin, internal: true });
  writeFileSync(join(origin, 'README.md'), '# test\n');
  await git(['add', '--all'], { cwd: origin, internal: true });
  await git(['commit', '--quiet', '-m', 'start'], { cwd: origin, internal: true, identity: { name: 't', email: 't@example.com' } });
  const base = (await git(['rev-parse', 'HEAD'], { cwd: origin })).stdout.trim();
  return { repoUrl: origin, coderBranch: 'main', base, fleetRef: `refs/control-room/fleet/${name}`, writeScope: ['src/'], allowedCommands: [], commandTimeoutMs: 10_000 };
}

const result = (workerId: string, content: string): TurnResult => ({
  reply: 'reply',
  results: [{ ran: true, toolUseId: 'toolu_1', content, isError: false, progress: true }],
  workerId,
  waitMs: 1,
});

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
    await until(async () => (await c.status()).queue.waiting === 4, 10_000, 'four queued turns');
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

  it('asks the model again when a turn answered retry or blocked is queued again, instead of finding the old answer', async () => {
    const c = await setUp();
    await worker(1);
    const answers: ModelReply[] = [{ kind: 'retry' }, { kind: 'blocked' }, empty];
    let asked = 0;
    const model = (): Promise<ModelReply> => Promise.resolve(answers[asked++] ?? empty);
    // The queued driver asks for the same turn (the same key) until it gets a reply.
    await expect(turn(c, 'again', 'coder', model)).resolves.toMatchObject({ reply: 'retry' });
    await expect(turn(c, 'again', 'coder', model)).resolves.toMatchObject({ reply: 'blocked' });
    // Some time later: the person raised the budget.
    await new Promise((r) => setTimeout(r, 100));
    await expect(turn(c, 'again', 'coder', model)).resolves.toMatchObject({ reply: 'reply' });
    expect(asked).toBe(3);
  }, 30_000);

  it('runs a dead-lettered turn again when it is queued again (the person approved starting over)', async () => {
    const c = await setUp({ attempts: 2, backoffMs: 20 });
    await worker(1);
    let fail = true;
    let asked = 0;
    const model = (): Promise<ModelReply> => {
      asked += 1;
      return fail ? Promise.reject(new Error('always')) : Promise.resolve(empty);
    };
    await expect(turn(c, 'doomed', 'coder', model)).rejects.toBeInstanceOf(TurnDeadLettered);
    expect(asked).toBe(2);
    fail = false;
    await expect(turn(c, 'doomed', 'coder', model)).resolves.toMatchObject({ reply: 'reply' });
    expect(asked).toBe(3);
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
    await until(async () => (await c.status()).queue.waiting === 1, 10_000, 'a queued turn');
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await until(async () => (await c.status()).queue.waiting === 0, 10_000, 'the turn withdrawn');
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

  it("takes a worker's result report once: a bad token is refused, an unknown turn is told so, a second report is ignored", async () => {
    const c = await setUp();
    const pending = turn(c, 'reported', 'coder', () => Promise.resolve(empty));
    const { data } = await theJob();
    expect(await report(data, result('w-a', 'first'), 'x'.repeat(data.control.token.length))).toMatchObject({ status: 401 });
    expect(await report({ ...data, turnId: 't-unknown' }, result('w-a', 'first'))).toMatchObject({ status: 409 });
    expect(await report(data, { reply: 'reply' })).toMatchObject({ status: 400 });
    // A model RPC far longer than any ask is answered 413, not cut off.
    const oversized = await fetch(`${data.control.url}/fleet/v1/turns/${data.turnId}/model`, {
      method: 'POST',
      headers: { authorization: `Bearer ${data.control.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workerId: 'w-a', waitMs: 0, padding: 'x'.repeat(64 * 1024) }),
    });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toEqual({ error: 'the body is too large' });
    expect(await report(data, result('w-a', 'first'))).toEqual({ status: 200, body: { taken: true } });
    // The turn resolves on the report; no worker has touched its job yet.
    await expect(pending).resolves.toEqual(result('w-a', 'first'));
    expect(await report(data, result('w-b', 'second'))).toEqual({ status: 200, body: { taken: false } });
    expect((await c.status()).completed).toBe(1);
  }, 30_000);

  it('completes the job of a reported turn that a worker takes again without running its tools, and dead-letters nothing', async () => {
    const c = await setUp({ attempts: 2, backoffMs: 20 });
    // A coder's turn whose reply writes a file: a worker that ran it would write and push it.
    const workspace = await coderWorkspace('again');
    let asked = 0;
    const write: ModelReply = { kind: 'reply', uses: [{ id: 'toolu_1', name: 'write_file', input: { path: 'src/a.txt', content: 'again\n' } }], approved: [] };
    const pending = turn(c, 'again', 'coder', () => {
      asked += 1;
      return Promise.resolve(write);
    }, undefined, workspace);
    // The first attempt's worker reported and died before BullMQ completed its job: the job is
    // still on the queue when the next worker takes it.
    const { id, data } = await theJob();
    const reported = result('w-dead', 'written by the first attempt');
    expect(await report(data, reported)).toMatchObject({ status: 200 });
    await expect(pending).resolves.toEqual(reported);
    await worker(1);
    await until(async () => (await turnQueue().getJobState(id)) === 'completed', 10_000, 'the job completed');
    const job = await turnQueue().getJob(id);
    expect(job?.returnvalue).toEqual(reported);
    expect(job?.attemptsMade).toBe(1);
    expect(asked).toBe(0);
    // Nothing ran: no file written in the worker's clones, nothing pushed.
    const written = readdirSync(join(root ?? tmpdir(), 'w0'), { recursive: true }).map(String);
    expect(written.filter((path) => path.endsWith('a.txt'))).toEqual([]);
    expect((await git(['show-ref', workspace.fleetRef], { cwd: workspace.repoUrl, okExitCodes: [1] })).exitCode).toBe(1);
    const status = await c.status();
    expect(status.deadLetters).toBe(0);
    expect(status.completed).toBe(1);
  }, 30_000);

  it("resolves a turn from BullMQ's completion when the worker's report does not get through", async () => {
    // Workers reach the fleet API through a proxy that passes model RPCs and refuses reports.
    const port = await freePort();
    const proxy = createServer((req, res) => {
      if (req.url?.endsWith('/result')) {
        res.writeHead(503).end('{}');
        return;
      }
      req.pipe(
        httpRequest({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        }),
      );
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      root = mkdtempSync(join(tmpdir(), 'cr-fleet-ctl-'));
      control = await FleetControl.start({ redisUrl: redis?.url ?? '', port, advertiseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      const w = await worker(1);
      // A coder's turn: only its worker can tell its result, so the worker reports it.
      const workspace = await coderWorkspace('fallback');
      const write: ModelReply = { kind: 'reply', uses: [{ id: 'toolu_1', name: 'write_file', input: { path: 'src/a.txt', content: 'a\n' } }], approved: [] };
      await expect(turn(control, 'fallback', 'coder', () => Promise.resolve(write), undefined, workspace)).resolves.toMatchObject({
        reply: 'reply',
        results: [{ ran: true, toolUseId: 'toolu_1', isError: false, progress: true }],
        workerId: w.id,
      });
      expect((await control.status()).completed).toBe(1);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  }, 30_000);

  it("settles a turn that leaves its worker nothing to run as the model RPC is answered, and the job completes with the same result", async () => {
    const c = await setUp();
    const w = await worker(1);
    const plan: ModelReply = {
      kind: 'reply',
      uses: [
        { id: 'toolu_a', name: 'create_task', input: { title: 'a' } },
        { id: 'toolu_b', name: 'create_task', input: { title: 'b' } },
      ],
      approved: [],
    };
    const expected: TurnResult = {
      reply: 'reply',
      results: [
        { ran: false, toolUseId: 'toolu_a' },
        { ran: false, toolUseId: 'toolu_b' },
      ],
      workerId: w.id,
      waitMs: expect.any(Number) as number,
    };
    await expect(turn(c, 'leader', 'leader', () => Promise.resolve(plan))).resolves.toEqual(expected);
    await expect(turn(c, 'blocked', 'coder', () => Promise.resolve({ kind: 'blocked' }))).resolves.toMatchObject({ reply: 'blocked', results: [], workerId: w.id });
    await until(async () => (await turnQueue().getJobCounts('completed')).completed === 2, 10_000, 'the jobs completed');
    const jobs = await turnQueue().getJobs(['completed']);
    expect(jobs.map((j) => j.returnvalue as TurnResult).find((r) => r.reply === 'reply')).toEqual(expected);
  }, 30_000);

  it("pushes each coder turn's change to the fleet ref as one commit, and a turn that changes nothing pushes nothing", async () => {
    const c = await setUp();
    await worker(1);
    const workspace = await coderWorkspace('commits');
    const write = (n: number, content: string): ModelReply => ({
      kind: 'reply',
      uses: [{ id: `toolu_${n}`, name: 'write_file', input: { path: 'src/a.txt', content } }],
      approved: [],
    });
    const fleetHead = async (): Promise<string> =>
      (await git(['rev-parse', '--verify', '--quiet', workspace.fleetRef], { cwd: workspace.repoUrl, okExitCodes: [1] })).stdout.trim();
    const run = (n: number, content: string) => turn(c, `commits-${n}`, 'coder', () => Promise.resolve(write(n, content)), undefined, workspace);

    await expect(run(1, 'one\n')).resolves.toMatchObject({ results: [{ ran: true, isError: false }] });
    const first = await fleetHead();
    expect((await git(['rev-parse', `${first}^`], { cwd: workspace.repoUrl })).stdout.trim()).toBe(workspace.base);
    // The same content again: nothing to commit, the ref stays where it was.
    await expect(run(2, 'one\n')).resolves.toMatchObject({ results: [{ ran: true, isError: false }] });
    expect(await fleetHead()).toBe(first);
    await expect(run(3, 'three\n')).resolves.toMatchObject({ results: [{ ran: true, isError: false }] });
    const third = await fleetHead();
    expect((await git(['rev-parse', `${third}^`], { cwd: workspace.repoUrl })).stdout.trim()).toBe(first);
    expect((await git(['show', `${third}:src/a.txt`], { cwd: workspace.repoUrl })).stdout).toBe('three\n');
  }, 30_000);

  it("leaves a write outside the coder's task to the control room, and runs it once the control room approves it", async () => {
    const c = await setUp();
    await worker(1);
    const workspace = { ...(await coderWorkspace('owned')), ownedPaths: ['src/mine/'] };
    const reply = (approved: string[]): ModelReply => ({
      kind: 'reply',
      uses: [
        { id: 'toolu_in', name: 'write_file', input: { path: 'src/mine/a.txt', content: 'mine\n' } },
        { id: 'toolu_out', name: 'write_file', input: { path: 'src/theirs/b.txt', content: 'theirs\n' } },
      ],
      approved,
    });
    // Inside the task's paths the worker writes; outside, the control room's policy decides.
    await expect(turn(c, 'owned-1', 'coder', () => Promise.resolve(reply([])), undefined, workspace)).resolves.toMatchObject({
      results: [
        { ran: true, toolUseId: 'toolu_in', isError: false },
        { ran: false, toolUseId: 'toolu_out' },
      ],
    });
    const pushed = async (path: string) =>
      (await git(['show', `${workspace.fleetRef}:${path}`], { cwd: workspace.repoUrl, okExitCodes: [128] })).stdout;
    expect(await pushed('src/mine/a.txt')).toBe('mine\n');
    expect(await pushed('src/theirs/b.txt')).toBe('');
    // The leader (or the person) allowed it: the next model RPC lists it, and the worker runs it.
    await expect(turn(c, 'owned-2', 'coder', () => Promise.resolve(reply(['toolu_out'])), undefined, workspace)).resolves.toMatchObject({
      results: [
        { ran: true, toolUseId: 'toolu_in' },
        { ran: true, toolUseId: 'toolu_out', isError: false },
      ],
    });
    expect(await pushed('src/theirs/b.txt')).toBe('theirs\n');
  }, 30_000);

  it('completes the job the normal way when nobody waits for its report any more (409)', async () => {
    const c = await setUp();
    await worker(1);
    const abort = new AbortController();
    const pending = turn(c, 'gone', 'coder', () => {
      // The agent stops while its worker holds the turn: the report will find nobody waiting.
      abort.abort();
      return Promise.resolve(empty);
    }, abort.signal);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await until(async () => (await turnQueue().getJobCounts('completed')).completed === 1, 10_000, 'the job completed');
    expect((await c.status()).deadLetters).toBe(0);
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
