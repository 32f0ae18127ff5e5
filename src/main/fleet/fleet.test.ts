import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { ProviderError, type ModelProvider } from '../llm/provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from '../engine/testing/harness.js';
import { createFleet, type Fleet } from './index.js';
import { TURN_QUEUE } from './protocol.js';
import { buildCli, findRedisServer, flushTestRedis, startRedis, startWorkerProcess, type TestRedis, type WorkerProcess } from './testing/fleet-fixture.js';

/**
 * The fleet end to end, on this machine: a real Redis, real `control-room worker`
 * processes built from this checkout, a mission on a real git repository.
 */

const redisBinary = findRedisServer();
const run = redisBinary ? describe : describe.skip;
if (!redisBinary) console.log('fleet.test: skipped, redis-server is not installed (apt-get install redis-server)');

let redis: TestRedis | undefined;
let cli: { script: string; cleanup(): void } | undefined;
let h: Harness | undefined;
let fleet: Fleet | undefined;
let workers: WorkerProcess[] = [];
let scratch: string | undefined;

beforeAll(async () => {
  if (!redisBinary) return;
  [redis, cli] = await Promise.all([startRedis(redisBinary), buildCli()]);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  cli?.cleanup();
});
afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await h?.cleanup();
  await fleet?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  h = undefined;
  fleet = undefined;
  scratch = undefined;
  // A fresh queue for the next test.
  await flushTestRedis(redis);
});

function setUp(provider: ModelProvider, fleetOptions: { attempts?: number; backoffMs?: number } = {}): { h: Harness; fleet: Fleet } {
  if (!redis) throw new Error('no redis');
  fleet = createFleet({ redisUrl: redis.url, ...fleetOptions });
  h = createHarness(provider, { fleet: { turns: fleet } });
  scratch = mkdtempSync(join(tmpdir(), 'cr-fleet-'));
  return { h, fleet };
}

function worker(name: string, concurrency = 2): WorkerProcess {
  if (!cli || !redis || !scratch) throw new Error('not set up');
  const w = startWorkerProcess(cli.script, { redisUrl: redis.url, concurrency, workspaceRoot: join(scratch, name) });
  workers.push(w);
  return w;
}

async function ready(w: WorkerProcess): Promise<void> {
  await waitFor(() => w.log().includes('Control Room worker '), 30_000, `worker ready (${w.log()})`);
}

function launch(harness: Harness, coders: number): string {
  const design = saveDesign(harness.ledger, [{ id: 'core', coders }]);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['node --test'],
    copyFiles: [],
  }).id;
}

/** Every billed call has exactly one row and every reply in a transcript was billed exactly once. */
function expectLedgerExact(harness: Harness, missionId: string): void {
  const calls = harness.ledger.db
    .prepare(`SELECT count(*) AS n, count(DISTINCT request_id) AS ids, sum(status = 'ok') AS ok FROM calls WHERE mission_id = ?`)
    .get(missionId) as { n: number; ids: number; ok: number };
  expect(calls.ids).toBe(calls.n);
  const replies = harness.ledger.db
    .prepare(`SELECT count(*) FROM transcript_entries WHERE mission_id = ? AND role = 'assistant' AND kind = 'message'`)
    .pluck()
    .get(missionId) as number;
  // Compaction summaries are billed calls too, stored as compaction rows rather than replies.
  const compactions = harness.ledger.db
    .prepare(`SELECT count(*) FROM transcript_entries WHERE mission_id = ? AND kind = 'compaction'`)
    .pluck()
    .get(missionId) as number;
  expect(calls.ok).toBe(replies + compactions);
}

run('the fleet', () => {
  it('finishes a mission on two worker processes after one is killed mid-turn; no ledger row lost or doubled', async () => {
    const setup = setUp(new SimulatedProvider({ seed: 5, latencyScale: 0.6, questionRate: 0, commandRate: 0.5, rejectRate: 0 }));
    const events = new QueueEvents(TURN_QUEUE, { connection: { url: redis?.url ?? '' } });
    await events.waitUntilReady();
    const stalled = new Set<string>();
    const completedAfterStall = new Set<string>();
    events.on('stalled', ({ jobId }) => stalled.add(jobId));
    events.on('completed', ({ jobId }) => {
      if (stalled.has(jobId)) completedAfterStall.add(jobId);
    });
    try {
      // Worker A alone first, so every coder turn is its own: with two workers, B could take
      // the turns while A sat idle, and A was never seen holding one (a CI run waited 60 s).
      const a = worker('a');
      await ready(a);
      const missionId = launch(setup.h, 2);
      await setup.h.engine.start(missionId);

      // Kill worker A while it holds a coder's turn, after it has finished at least one.
      const holding = (): boolean => {
        const log = a.log();
        const started = log.match(/taking a turn of core-c\d/g)?.length ?? 0;
        const ended = log.match(/\nturn of core-c\d/g)?.length ?? 0;
        return ended >= 1 && started > ended;
      };
      await waitFor(holding, 60_000, 'worker a holding a coder turn');
      a.child.kill('SIGKILL');
      expect(await a.exited).toBe('SIGKILL');
      // Worker B joins: it takes the turns left and finds the one A held stalled.
      const b = worker('b');
      await ready(b);

      const decided = await driveToEnd(setup.h, missionId, () => ({ decision: 'approve' }), 150_000);
      const detail = setup.h.engine.get(missionId);
      expect(detail.mission.state).toBe('done');
      expect(detail.tasks.every((t) => t.state === 'merged')).toBe(true);
      expect(decided.some((e) => e.type === 'final_merge')).toBe(true);
      // The coders' work, written in the workers' clones, is on main.
      const files = git(setup.h.repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
      for (const t of detail.tasks) for (const path of t.owns) expect(files).toContain(path);
      expectLedgerExact(setup.h, missionId);
      // Worker B did turns too; any turn A held when it died went to B.
      expect(b.log()).toMatch(/turn of core-c\d/);
      // The turn A held was found stalled and finished by B.
      expect(stalled.size).toBeGreaterThan(0);
      for (const id of stalled) expect(completedAfterStall.has(id)).toBe(true);
      expect(setup.h.errors).toEqual([]);
    } finally {
      await events.close();
    }
  }, 200_000);

  it('puts a turn that fails past its retries in the dead-letter queue and in the inbox', async () => {
    // A provider that always fails makes every attempt of the turn fail (the gateway's own
    // retries are exhausted first), so the fleet dead-letters it.
    const failing: ModelProvider = {
      send: () => Promise.reject(new ProviderError({ kind: 'invalid_request', status: 400, message: 'the request is malformed' })),
    };
    const setup = setUp(failing, { attempts: 2, backoffMs: 50 });
    const w = worker('only', 1);
    await ready(w);
    const missionId = launch(setup.h, 1);
    await setup.h.engine.start(missionId);
    const esc = await waitFor(
      () => setup.h.engine.escalations(missionId, true).find((e) => e.type === 'stall' && e.level === 'human'),
      60_000,
      'a dead-letter escalation',
    );
    expect(esc.title).toMatch(/failed on the fleet 2 times/);
    expect(esc.detail).toMatch(/dead-letter queue/);
    const status = await setup.fleet.status();
    expect(status.connected && status.deadLetters).toBe(1);
  }, 90_000);
});
