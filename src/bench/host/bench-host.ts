/**
 * `npm run bench:host`: does a busy engine still leave the host thread (Electron's main
 * thread, browser mode's HTTP + WebSocket thread) free to answer? The same load runs
 * twice: (a) in-process, on the host thread as before, and (b) in a worker thread
 * behind `openWorkerBackend`'s proxy, the host receiving every event batch and
 * serialising it as a transport does. Meanwhile the host thread is sampled: event-loop
 * delay (monitorEventLoopDelay, P99 and max) and the gaps of a 5 ms interval timer
 * (how many exceed 50 ms, the issue's bound), and how busy its loop was. On a machine with
 * fewer free cores than busy threads the OS also delays the host; the idle column and the
 * utilisation tell that apart from work on the thread. A benchmark prints figures; it is
 * not a test.
 *
 * The load: the engine bench's synthetic agents (src/bench/engine/synthetic-agents.ts),
 * each running the coder turn loop through the real gateway, limiter, ledger and event hub.
 * Options: --agents N (default 1000)  --seconds N (measured, default 20)
 *   --warmup N (default 3)  --latency X (simulation latency scale, default 1)  --seed N
 */
import { resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentRig, type RigOptions } from '../engine/synthetic-agents.js';
import { bundleWorker } from '../../main/host/testing/bundle-worker.js';
import { openWorkerBackend } from '../../main/host/worker-backend.js';
import { RIG_OPTIONS_ENV, RIG_START, RIG_STATS, type RigStats } from './rig-commands.js';

interface BenchArgs {
  agents: number;
  seconds: number;
  warmup: number;
  latency: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { agents: 1_000, seconds: 20, warmup: 3, latency: 1, seed: 7 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = Number(argv[i + 1]);
    const key = flag.replace(/^--/, '') as keyof BenchArgs;
    if (!(key in args) || !Number.isFinite(value) || value < 0)
      throw new Error(`bad option ${flag} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

/** What the host thread lived through while the engine was busy. */
interface HostFigures {
  seconds: number;
  delayP99Ms: number;
  delayMaxMs: number;
  gapsOver50: number;
  maxGapMs: number;
  /** Share of the time the host's loop was busy (not waiting for I/O or timers). */
  utilization: number;
  calls: number;
  batches: number;
  /** JSON the host's transport produced. */
  bytes: number;
}

/** Samples the thread it runs on: event-loop delay, and the gaps of a 5 ms interval timer. */
function sampleHost(): () => Omit<HostFigures, 'calls' | 'batches' | 'bytes'> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  let last = started;
  let gapsOver50 = 0;
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap > 50) gapsOver50 += 1;
    maxGap = Math.max(maxGap, gap);
  }, 5);
  return () => {
    clearInterval(timer);
    histogram.disable();
    return {
      seconds: (performance.now() - started) / 1000,
      delayP99Ms: histogram.percentile(99) / 1e6,
      delayMaxMs: histogram.max / 1e6,
      gapsOver50,
      maxGapMs: maxGap,
      utilization: performance.eventLoopUtilization(elu).utilization,
    };
  };
}

async function inProcess(rigOptions: RigOptions, args: BenchArgs): Promise<HostFigures> {
  // The rig's own hub sink serialises every batch, as a transport on this thread would.
  const rig = new AgentRig(rigOptions);
  try {
    rig.start();
    await delay(args.warmup * 1000);
    const before = { calls: rig.callsCompleted, ...rig.eventStats };
    const finish = sampleHost();
    await delay(args.seconds * 1000);
    const host = finish();
    return {
      ...host,
      calls: rig.callsCompleted - before.calls,
      batches: rig.eventStats.batches - before.batches,
      bytes: rig.eventStats.bytes - before.bytes,
    };
  } finally {
    await rig.stop();
    rig.close();
  }
}

async function inWorker(rigOptions: RigOptions, args: BenchArgs, workerUrl: URL): Promise<HostFigures> {
  // The stand-in opens its own ledger (the rig's temp folder); the data folder is unused.
  const backend = await openWorkerBackend({
    dataDir: '',
    runtime: 'browser',
    workerUrl,
    env: { [RIG_OPTIONS_ENV]: JSON.stringify(rigOptions) },
  });
  let received = 0;
  let bytes = 0;
  // What browser mode's server does with each batch: one JSON frame.
  backend.events.subscribe((batch) => {
    received += 1;
    bytes += JSON.stringify({ type: 'events', events: batch }).length;
  });
  const stats = async (channel: string): Promise<RigStats> => {
    const result = await backend.invoke(channel, {});
    if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
    return result.data as RigStats;
  };
  try {
    await stats(RIG_START);
    await delay(args.warmup * 1000);
    const before = { calls: (await stats(RIG_STATS)).calls, batches: received, bytes };
    const finish = sampleHost();
    await delay(args.seconds * 1000);
    const host = finish();
    const after = await stats(RIG_STATS);
    return {
      ...host,
      calls: after.calls - before.calls,
      batches: received - before.batches,
      bytes: bytes - before.bytes,
    };
  } finally {
    await backend.shutdown(10_000);
  }
}

const fmt = (n: number, digits = 1): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(idle: HostFigures, a: HostFigures, b: HostFigures): void {
  const ratio = (x: number, y: number): string => (y === 0 ? (x === 0 ? '-' : 'inf') : `${fmt(x / y)}x`);
  const rows: [string, (f: HostFigures) => number, (n: number) => string][] = [
    ['event-loop delay P99 (ms)', (f) => f.delayP99Ms, (n) => fmt(n)],
    ['event-loop delay max (ms)', (f) => f.delayMaxMs, (n) => fmt(n)],
    ['5 ms timer gaps > 50 ms', (f) => f.gapsOver50, String],
    ['5 ms timer, longest gap (ms)', (f) => f.maxGapMs, (n) => fmt(n)],
    ['event-loop utilisation (%)', (f) => f.utilization * 100, (n) => fmt(n)],
    ['model calls / s (the load)', (f) => f.calls / f.seconds, (n) => fmt(n, 0)],
    ['event batches / s on host', (f) => f.batches / f.seconds, (n) => fmt(n)],
    ['event JSON KiB / s on host', (f) => f.bytes / f.seconds / 1024, (n) => fmt(n, 0)],
  ];
  const head = ['host thread', 'idle host', '(a) in-process', '(b) worker', '(a)/(b)'];
  const cells = rows.map(([name, get, show]) => [
    name,
    show(get(idle)),
    show(get(a)),
    show(get(b)),
    ratio(get(a), get(b)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]): string =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const row of cells) console.log(line(row));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const workerUrl = await bundleWorker(
    resolve('.'),
    'src/bench/host/rig-worker.ts',
    resolve('node_modules/.cache/bench'),
  );
  const rigOptions: RigOptions = {
    agents: args.agents,
    latencyScale: args.latency,
    seed: args.seed,
    machinery: true,
  };
  console.log(
    `Host bench: ${args.agents} synthetic agents (real gateway, limiter, ledger, event hub), latency scale ` +
      `${args.latency}, ${args.warmup} s warm-up, ${args.seconds} s measured per variant; Node ${process.version}.\n`,
  );
  // The baseline: what this machine's timers look like with no engine at all.
  const finishIdle = sampleHost();
  await delay(args.seconds * 1000);
  const idle = { ...finishIdle(), calls: 0, batches: 0, bytes: 0 };
  const a = await inProcess(rigOptions, args);
  const b = await inWorker(rigOptions, args, workerUrl);
  report(idle, a, b);
}

await main();
