/**
 * `npm run bench:fleet`: agent turns per second, and what the fleet adds to each turn,
 * with the turns in this process (the in-process engine's way) and on 1, 2 and 4 real
 * `control-room worker` processes (built from this checkout) through BullMQ on a loopback
 * redis-server this bench starts and stops. A benchmark prints figures; it is not a test.
 *
 * The workload is synthetic rather than a MissionEngine mission: a mission's turns vary
 * (planning, reviews, merges, agents finishing), so its rate is neither steady nor
 * comparable across runs, and its engine work would hide what the queue costs. Here N
 * agents each run turns back to back, and every turn is what a coder's turn is on the
 * fleet: the model step (a fixed wait in `FleetControl.runTurn`'s `model()` answer, where
 * the queued driver makes its gateway call) returning a reply with one `write_file`, which
 * the worker runs in its clone of a real git repository, commits and pushes to the turn's
 * fleet ref. The in-process baseline runs the same turns without the queue: the same
 * wait, the same file tool in a clone, the same add/commit/push. A second pass runs
 * model-only turns (no workspace, as a leader's turn on the fleet): the model wait alone,
 * so what is left is the queue, Redis and the RPC, and throughput is bound by latency
 * rather than by the CPU that git's processes take.
 *
 * Overhead per turn = turn wall time − the queue wait − the model wait − the tool's git
 * work. The queue wait (queued until a worker took the job, as the job's timestamps say) is
 * printed on its own: with the agents outnumbering the slots it is mostly the wait for a
 * free slot (there is one when another turn ends: BullMQ hands the next job over in the
 * same call that completes the last), which is capacity, not overhead. The git work
 * is timed from git's own trace2 events (a HOME with `trace2.eventTarget` for this bench
 * only), since it runs in the worker processes: the span of the clone sync before the
 * model call (fetch, checkout, clean: work only the fleet does, printed on its own) and
 * the span of the commit and push after it. What is left is the queue, Redis, the model
 * RPC and the wire, plus Node starting the first and reaping the last git of each span;
 * the in-process row, measured the same way, shows that floor.
 *
 * Run from the checkout's root (npm does). Options: --agents N (64)  --concurrency N per worker (8)  --model-ms N (100)
 *   --seconds N measured per configuration (8)  --warmup N (2)  --workers 1,2,4  --passes coder,model
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { coderTools, parseToolCall } from '../../main/tools/agent-tools.js';
import { runFileTool } from '../../main/tools/workspace-tools.js';
import { createFileTools } from '../../main/workspace/file-tools.js';
import { AGENT_EMAIL, git } from '../../main/workspace/git.js';
import { FleetControl } from '../../main/fleet/fleet-control.js';
import type { ModelReply, TurnWorkspace } from '../../main/fleet/protocol.js';
import { buildCli, findRedisServer, startRedis, startWorkerProcess, type TestRedis, type WorkerProcess } from '../../main/fleet/testing/fleet-fixture.js';

interface BenchArgs {
  agents: number;
  concurrency: number;
  modelMs: number;
  seconds: number;
  warmup: number;
  workers: number[];
  passes: ('coder' | 'model')[];
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { agents: 64, concurrency: 8, modelMs: 100, seconds: 8, warmup: 2, workers: [1, 2, 4], passes: ['coder', 'model'] };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const raw = argv[i + 1] ?? '';
    if (flag === '--workers') {
      args.workers = raw.split(',').map(Number);
      if (args.workers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad option ${flag} ${raw}`);
      continue;
    }
    if (flag === '--passes') {
      const passes = raw.split(',');
      if (passes.length === 0 || passes.some((p) => p !== 'coder' && p !== 'model')) throw new Error(`bad option ${flag} ${raw}`);
      args.passes = passes as BenchArgs['passes'];
      continue;
    }
    const key = flag.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof BenchArgs;
    const value = Number(raw);
    if (!(key in args) || key === 'workers' || key === 'passes' || !Number.isFinite(value) || value <= 0) throw new Error(`bad option ${flag} ${raw}`);
    args[key] = value;
  }
  return args;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with git's trace2 times. */
const now = (): number => performance.timeOrigin + performance.now();

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const IDENTITY = { name: 'Control Room worker', email: AGENT_EMAIL };

interface Agent {
  id: string;
  /** Also the basename of its clone, which is how git's trace events are matched to it. */
  slug: string;
  branch: string;
}

/** One turn as the turn's caller saw it (epoch ms). */
interface TurnSample {
  agent: string;
  t0: number;
  m0: number;
  m1: number;
  t1: number;
  waitMs: number | null;
}

interface Figures {
  name: string;
  turns: number;
  seconds: number;
  overhead: number[];
  sync: number[];
  push: number[];
  waits: number[];
  /** Share of both cores busy (all processes) while measuring. */
  cpu: number;
}

/** Busy and total jiffies of the whole machine. */
function cpuTimes(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Git's trace2 event files: one per git process; the top-level ones, with where and when they ran. */
interface GitRun {
  slug: string;
  start: number;
  end: number;
}

function traceTime(iso: string): number {
  // 2026-01-01T00:00:00.123456Z: Date.parse keeps milliseconds; the microseconds are added back.
  const micros = Number(/\.\d{3}(\d{3})Z$/.exec(iso)?.[1] ?? 0);
  return Date.parse(iso) + micros / 1000;
}

function readGitRuns(dir: string): Map<string, GitRun[]> {
  const bySlug = new Map<string, GitRun[]>();
  for (const file of readdirSync(dir)) {
    let sid = '';
    let start = NaN;
    let end = NaN;
    let worktree = '';
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line) as { event: string; sid: string; time: string; worktree?: string };
      if (event.event === 'version') {
        sid = event.sid;
        start = traceTime(event.time);
      } else if (event.event === 'def_repo' && event.worktree) worktree = event.worktree;
      else if (event.event === 'atexit') end = traceTime(event.time);
    }
    // Children (upload-pack, pack-objects, ...) run inside their parent's span.
    if (sid.includes('/') || !worktree || !Number.isFinite(start) || !Number.isFinite(end)) continue;
    const slug = basename(worktree);
    const list = bySlug.get(slug) ?? [];
    list.push({ slug, start, end });
    bySlug.set(slug, list);
  }
  return bySlug;
}

/** Spans of the turn's git work before the model step (clone sync) and after it (commit + push). */
function gitSpans(turn: TurnSample, runs: readonly GitRun[]): { sync: number; push: number } {
  let s0 = Infinity;
  let s1 = -Infinity;
  let p0 = Infinity;
  let p1 = -Infinity;
  for (const run of runs) {
    if (run.start < turn.t0 || run.end > turn.t1) continue;
    if (run.end <= turn.m0) {
      s0 = Math.min(s0, run.start);
      s1 = Math.max(s1, run.end);
    } else if (run.start >= turn.m1) {
      p0 = Math.min(p0, run.start);
      p1 = Math.max(p1, run.end);
    }
  }
  return { sync: s1 > s0 ? s1 - s0 : 0, push: p1 > p0 ? p1 - p0 : 0 };
}

class Bench {
  readonly agents: Agent[];
  private base = '';

  constructor(
    readonly args: BenchArgs,
    readonly scratch: string,
    readonly origin: string,
  ) {
    this.agents = Array.from({ length: args.agents }, (_, i) => {
      const n = String(i + 1).padStart(3, '0');
      return { id: `agent-${n}`, slug: `agent-${n}`, branch: `bench/agent-${n}` };
    });
  }

  /** The mission's repository: one commit, one coder branch per agent. */
  async makeOrigin(): Promise<void> {
    mkdirSync(this.origin, { recursive: true });
    await git(['init', '--quiet', '-b', 'main'], { cwd: this.origin, internal: true });
    writeFileSync(join(this.origin, 'README.md'), '# bench\n');
    mkdirSync(join(this.origin, 'work'));
    for (const a of this.agents) writeFileSync(join(this.origin, 'work', `${a.slug}.txt`), 'start\n');
    await git(['add', '--all'], { cwd: this.origin, internal: true });
    await git(['commit', '--quiet', '-m', 'start'], { cwd: this.origin, internal: true, identity: IDENTITY });
    this.base = (await git(['rev-parse', 'HEAD'], { cwd: this.origin })).stdout.trim();
    for (const a of this.agents) await git(['branch', a.branch, this.base], { cwd: this.origin, internal: true });
  }

  /** Points git's trace2 events of every git started from now on (here and in workers started after) at `dir`. */
  traceTo(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(this.scratch, 'home', '.gitconfig'), `[trace2]\n\teventTarget = ${dir}\n`);
  }

  workspace(config: string, agent: Agent): TurnWorkspace {
    return {
      repoUrl: this.origin,
      coderBranch: agent.branch,
      base: this.base,
      fleetRef: `refs/control-room/fleet/${config}/${agent.slug}`,
      writeScope: ['work/'],
      allowedCommands: [],
      commandTimeoutMs: 60_000,
    };
  }

  reply(agent: Agent, n: number, tools: boolean): ModelReply {
    if (!tools) return { kind: 'reply', uses: [], approved: [] };
    return {
      kind: 'reply',
      uses: [{ id: `toolu_${agent.slug}_${n}`, name: 'write_file', input: { path: `work/${agent.slug}.txt`, content: `turn ${n} of ${agent.id}\n` } }],
      approved: [],
    };
  }

  /**
   * Every agent runs turns back to back for the warm-up and the measured window; the turns
   * that ended inside the window count.
   */
  async load(turn: (agent: Agent, n: number) => Promise<TurnSample>): Promise<{ samples: TurnSample[]; from: number; to: number; cpu: number }> {
    const samples: TurnSample[] = [];
    let stop = false;
    const started = now();
    const from = started + this.args.warmup * 1000;
    const to = from + this.args.seconds * 1000;
    let cpuFrom = cpuTimes();
    const cpuTimer = setTimeout(() => (cpuFrom = cpuTimes()), this.args.warmup * 1000);
    let cpu = 0;
    const stopTimer = setTimeout(
      () => {
        const c = cpuTimes();
        cpu = (c.busy - cpuFrom.busy) / Math.max(1, c.total - cpuFrom.total);
        stop = true;
      },
      (this.args.warmup + this.args.seconds) * 1000,
    );
    await Promise.all(
      this.agents.map(async (agent) => {
        for (let n = 1; !stop; n += 1) samples.push(await turn(agent, n));
      }),
    );
    clearTimeout(cpuTimer);
    clearTimeout(stopTimer);
    return { samples: samples.filter((s) => s.t1 >= from && s.t1 <= to), from, to, cpu };
  }

  figures(name: string, run: { samples: TurnSample[]; from: number; to: number; cpu: number }, traceDir: string): Figures {
    const runs = readGitRuns(traceDir);
    const overhead: number[] = [];
    const sync: number[] = [];
    const push: number[] = [];
    for (const s of run.samples) {
      const spans = gitSpans(s, runs.get(s.agent) ?? []);
      sync.push(spans.sync);
      push.push(spans.push);
      overhead.push(s.t1 - s.t0 - (s.waitMs ?? 0) - (s.m1 - s.m0) - spans.sync - spans.push);
    }
    return {
      name,
      turns: run.samples.length,
      seconds: (run.to - run.from) / 1000,
      overhead,
      sync,
      push,
      waits: run.samples.flatMap((s) => (s.waitMs === null ? [] : [s.waitMs])),
      cpu: run.cpu,
    };
  }

  /** The baseline: the same turns in this process, as the engine runs them without a fleet. */
  async inProcess(tools: boolean): Promise<Figures> {
    const config = `${tools ? 'coder' : 'model'}-in-process`;
    const traceDir = join(this.scratch, 'trace', config);
    const root = join(this.scratch, config);
    // The agents' worktrees exist before the work starts (as the engine's do): untimed, untraced.
    const clones = new Map<string, string>();
    for (const agent of tools ? this.agents : []) {
      const dir = join(root, agent.slug);
      mkdirSync(dir, { recursive: true });
      await git(['init', '--quiet'], { cwd: dir, internal: true });
      await git(['remote', 'add', 'origin', this.origin], { cwd: dir, internal: true });
      await git(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${agent.branch}:refs/control-room/base`], { cwd: dir, internal: true });
      await git(['checkout', '--quiet', '--force', '--detach', this.base], { cwd: dir, internal: true });
      clones.set(agent.id, dir);
    }
    this.traceTo(traceDir);
    const run = await this.load(async (agent, n) => {
      const clone = clones.get(agent.id) ?? '';
      const ws = this.workspace(config, agent);
      const t0 = now();
      const m0 = now();
      await delay(this.args.modelMs);
      const reply = this.reply(agent, n, tools);
      const m1 = now();
      if (reply.kind !== 'reply') throw new Error('unreachable');
      const files = createFileTools(clone, { writeScope: ws.writeScope });
      for (const use of reply.uses) {
        const parsed = parseToolCall(coderTools, use.name, use.input);
        if (!parsed.ok) throw new Error(parsed.error);
        const outcome = await runFileTool(files, use.name, parsed.input);
        if (!outcome || outcome.isError) throw new Error(`write_file failed: ${outcome?.content}`);
      }
      if (!tools) return { agent: agent.slug, t0, m0, m1, t1: now(), waitMs: null };
      // The worker's commit and push, command for command.
      await git(['add', '--all'], { cwd: clone, internal: true });
      const commit = await git(['commit', '--quiet', '--no-verify', '-m', `${agent.id}: turn ${n}`], { cwd: clone, internal: true, identity: IDENTITY, okExitCodes: [1] });
      if (commit.exitCode === 0) await git(['push', '--quiet', 'origin', `HEAD:${ws.fleetRef}`], { cwd: clone, internal: true });
      return { agent: agent.slug, t0, m0, m1, t1: now(), waitMs: null };
    });
    const figures = this.figures('in-process', run, traceDir);
    rmSync(traceDir, { recursive: true, force: true });
    return figures;
  }

  /** The same turns on `count` real worker processes through the queue. */
  async onWorkers(count: number, tools: boolean, redis: TestRedis, cli: string): Promise<Figures> {
    const config = `${tools ? 'coder' : 'model'}-w${count}`;
    const traceDir = join(this.scratch, 'trace', config);
    this.traceTo(traceDir);
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < count; i += 1) {
      workers.push(
        startWorkerProcess(cli, {
          redisUrl: redis.url,
          concurrency: this.args.concurrency,
          workspaceRoot: join(this.scratch, config, `worker-${i + 1}`),
          lockMs: 30_000, // BullMQ's default, as `control-room worker` runs by default
        }),
      );
    }
    const control = await FleetControl.start({ redisUrl: redis.url, logError: (what, error) => console.error(what, error) });
    try {
      const deadline = Date.now() + 30_000;
      while (!workers.every((w) => w.log().includes('Control Room worker '))) {
        const dead = workers.find((w) => w.child.exitCode !== null);
        if (dead || Date.now() > deadline) throw new Error(`a worker did not start: ${(dead ?? workers[0])?.log()}`);
        await delay(50);
      }
      const run = await this.load(async (agent, n) => {
        let m0 = NaN;
        let m1 = NaN;
        const t0 = now();
        const result = await control.runTurn({
          key: `bench:${config}:${agent.id}:${n}`,
          missionId: 'bench',
          agentId: agent.id,
          agentName: agent.id,
          role: 'coder',
          workspace: tools ? this.workspace(config, agent) : null,
          model: async () => {
            m0 = now();
            await delay(this.args.modelMs);
            m1 = now();
            return this.reply(agent, n, tools);
          },
          signal: new AbortController().signal, // one per turn, as the engine's driver does
        });
        const t1 = now();
        const ran = result.results[0];
        if (result.reply !== 'reply' || (tools && (!ran?.ran || ran.isError))) throw new Error(`a turn did not write: ${JSON.stringify(result)}`);
        return { agent: agent.slug, t0, m0, m1, t1, waitMs: result.waitMs };
      });
      const figures = this.figures(`${count} worker${count === 1 ? '' : 's'}`, run, traceDir);
      rmSync(traceDir, { recursive: true, force: true });
      return figures;
    } finally {
      await control.close();
      for (const w of workers) w.child.kill('SIGTERM'); // the worker drains and exits
      await Promise.all(workers.map((w) => w.exited));
      const { Redis } = await import('ioredis');
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await client.flushdb();
      client.disconnect();
    }
  }
}

function report(args: BenchArgs, title: string, rows: Figures[]): void {
  console.log(title);
  const rate = (f: Figures): number => f.turns / f.seconds;
  const one = rows.find((r) => r.name === '1 worker');
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');
  const head = ['configuration', 'slots', 'turns/s', '× 1 worker', 'overhead P50', 'P95', 'P99', 'queue wait P50', 'P95', 'clone sync P50', 'commit+push P50', 'CPU busy'];
  const cells = rows.map((f) => {
    const workers = Number(/^(\d+) worker/.exec(f.name)?.[1] ?? 0);
    return [
      f.name,
      workers ? String(workers * args.concurrency) : String(args.agents),
      rate(f).toFixed(1),
      one ? `${(rate(f) / rate(one)).toFixed(2)}×` : '–',
      ms(quantile(f.overhead, 0.5)),
      ms(quantile(f.overhead, 0.95)),
      ms(quantile(f.overhead, 0.99)),
      f.waits.length ? ms(quantile(f.waits, 0.5)) : '–',
      f.waits.length ? ms(quantile(f.waits, 0.95)) : '–',
      ms(quantile(f.sync, 0.5)),
      ms(quantile(f.push, 0.5)),
      `${Math.round(f.cpu * 100)}%`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(head));
  for (const row of cells) console.log(line(row));
  console.log('(times in ms; overhead = wall − queue wait − model wait − git spans; queue wait = queued until a worker took it; CPU busy = both cores, every process)\n');

  const two = rows.find((r) => r.name === '2 workers');
  if (one && two) {
    const ratio = rate(two) / rate(one);
    console.log(`throughput at 2 workers ≥ 1.8× 1 worker: ${ratio >= 1.8 ? 'MET' : 'MISSED'} (${ratio.toFixed(2)}×)`);
  }
  const fleet = rows.filter((r) => r.name.includes('worker'));
  if (fleet.length > 0) {
    const worst = fleet.reduce((a, b) => (quantile(a.overhead, 0.99) >= quantile(b.overhead, 0.99) ? a : b));
    const p99 = quantile(worst.overhead, 0.99);
    console.log(`overhead P99 < 10 ms: ${p99 < 10 ? 'MET' : 'MISSED'} (${p99.toFixed(1)} ms, worst at ${worst.name})`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const scratch = mkdtempSync(join(tmpdir(), 'cr-bench-fleet-'));
  mkdirSync(join(scratch, 'home'));
  // Git here and in the workers (which inherit this environment) reads this bench's
  // global config, which switches trace2 on; nothing of the user's config applies.
  process.env.HOME = join(scratch, 'home');
  delete process.env.XDG_CONFIG_HOME;
  const bench = new Bench(args, scratch, join(scratch, 'origin'));
  let redis: TestRedis | undefined;
  let cli: { script: string; cleanup(): void } | undefined;
  try {
    [redis, cli] = await Promise.all([startRedis(binary), buildCli(resolve('.')), bench.makeOrigin()]);
    console.log(
      `Fleet bench: ${args.agents} agents doing turns back to back (model step ${args.modelMs} ms), ` +
        `${args.concurrency} turns at once per worker, ${args.warmup} s warm-up and ${args.seconds} s measured per configuration; ` +
        `Redis on loopback; Node ${process.version}.\n`,
    );
    for (const tools of args.passes.map((p) => p === 'coder')) {
      const rows: Figures[] = [await bench.inProcess(tools)];
      for (const count of args.workers) rows.push(await bench.onWorkers(count, tools, redis, cli.script));
      report(
        args,
        tools
          ? 'Coder turns (model step, then write_file, commit and push in the clone):'
          : 'Model-only turns (model step, no workspace: the queue, Redis and the RPC alone):',
        rows,
      );
      console.log('');
    }
  } finally {
    await redis?.stop();
    cli?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
