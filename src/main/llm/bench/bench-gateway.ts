/**
 * `npm run bench:gateway`: what the loopback Messages API gateway (Claude Code sessions'
 * path) adds to a call. 200 concurrent streaming callers make N calls each, in one run,
 * straight to the fake Messages API and through the gateway server (the real gateway:
 * budget admission, the real limiter with limits far above the load, a ledger row per
 * call in a real ledger in a temp dir, AnthropicProvider.forward). Direct and gateway
 * rounds alternate so that drift hits both alike. Prints P50 / P99 of time to first byte
 * and time to last byte per path, the difference (what the gateway adds), calls/s, and
 * whether the added P99 is under 2 ms.
 *
 * The callers and the fake each run in their own worker thread, so the main thread holds
 * only what a Control Room process would: the gateway server, limiter and ledger. All
 * traffic is on 127.0.0.1. The fake paces its stream like a model (a first-token delay,
 * then a delta every few ms): with an instant fake, 200 closed-loop callers measure the
 * gateway's throughput, and the "added latency" is then queueing behind other calls, not
 * what one call pays. `--first-token-ms 0 --event-ms 0` runs that saturation case.
 * Options: --callers N (default 200) --calls N (per caller and round, default 5)
 * --rounds N (default 2) --first-token-ms N (default 300) --event-ms N (default 40)
 * --timeout N (seconds, default 180). A benchmark prints figures; it is not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BudgetGuard, ledgerSpendSource } from '../../ledger/budgets.js';
import { CallsRepository } from '../../ledger/calls-repository.js';
import { openLedger } from '../../ledger/database.js';
import { defaultPricer } from '../../ledger/pricing.js';
import { RateLimiter } from '../../limiter/index.js';
import { AnthropicProvider } from '../anthropic-provider.js';
import { createGateway } from '../gateway.js';
import { startGatewayServer } from '../gateway-server.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi } from '../testing/fake-messages-api.js';

interface BenchArgs {
  callers: number;
  calls: number;
  rounds: number;
  'first-token-ms': number;
  'event-ms': number;
  timeout: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    callers: 200,
    calls: 5,
    rounds: 2,
    'first-token-ms': 300,
    'event-ms': 40,
    timeout: 180,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = (argv[i] ?? '').replace(/^--/, '') as keyof BenchArgs;
    const value = Number(argv[i + 1]);
    const least = key === 'first-token-ms' || key === 'event-ms' ? 0 : 1;
    if (!(key in args) || !Number.isInteger(value) || value < least)
      throw new Error(`bad option ${argv[i]} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

/** One phase for the callers' worker: every caller makes `calls` calls one after another. */
interface PhaseSpec {
  url: string;
  /** One key per caller (the fake's key for the direct path, a token each through the gateway). */
  keys: string[];
  calls: number;
}

interface PhaseResult {
  ttfb: number[];
  ttlb: number[];
  failures: number;
  wallMs: number;
}

type WorkerRole =
  { role: 'fake'; firstTokenLatencyMs: number; eventDelayMs: number } | { role: 'callers'; callers: number };

// The fake's buckets must never bind: the gateway's limiter is what is measured, not the fake's.
const UNBOUNDED = { requestsPerMinute: 1e9, inputTokensPerMinute: 1e12, outputTokensPerMinute: 1e12 };

const BODY = JSON.stringify({
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  stream: true,
  system: 'You are a careful coder working in a large repository. '.repeat(4),
  messages: [
    {
      role: 'user',
      content: `Fix the failing test in the parser module, then explain the change. ${'x'.repeat(160)}`,
    },
  ],
});

async function runFakeWorker(pace: { firstTokenLatencyMs: number; eventDelayMs: number }): Promise<void> {
  const fake = await startFakeMessagesApi({
    limits: { haiku: UNBOUNDED, sonnet: UNBOUNDED, opus: UNBOUNDED },
    firstTokenLatencyMs: pace.firstTokenLatencyMs,
    eventDelayMs: pace.eventDelayMs,
  });
  parentPort!.postMessage({ url: fake.url });
  parentPort!.once('message', () => {
    void fake.close().then(() => process.exit(0));
  });
}

async function runCallersWorker(callers: number): Promise<void> {
  // Keep-alive sockets, one per caller at least: connection set-up is not what is measured.
  const agent = new Agent({ keepAlive: true, maxSockets: callers * 2 });
  const once = (url: URL, key: string): Promise<{ ttfb: number; ttlb: number; ok: boolean }> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(BODY),
            'x-api-key': key,
            'anthropic-version': '2023-06-01',
          },
        },
        (res) => {
          let first = 0;
          let tail = '';
          res.on('data', (chunk: Buffer) => {
            if (first === 0) first = performance.now();
            tail = (tail + chunk.toString('utf8')).slice(-64);
          });
          res.on('end', () => {
            const ended = performance.now();
            resolve({
              ttfb: (first || ended) - started,
              ttlb: ended - started,
              ok: res.statusCode === 200 && tail.includes('message_stop'),
            });
          });
          res.on('error', () => resolve({ ttfb: 0, ttlb: 0, ok: false }));
        },
      );
      req.on('error', () => resolve({ ttfb: 0, ttlb: 0, ok: false }));
      req.end(BODY);
    });

  parentPort!.on('message', (spec: PhaseSpec | 'close') => {
    if (spec === 'close') {
      agent.destroy();
      process.exit(0);
    }
    void (async () => {
      const url = new URL('/v1/messages', spec.url);
      const result: PhaseResult = { ttfb: [], ttlb: [], failures: 0, wallMs: 0 };
      const started = performance.now();
      await Promise.all(
        spec.keys.map(async (key) => {
          for (let i = 0; i < spec.calls; i++) {
            const call = await once(url, key);
            if (!call.ok) result.failures += 1;
            else {
              result.ttfb.push(call.ttfb);
              result.ttlb.push(call.ttlb);
            }
          }
        }),
      );
      result.wallMs = performance.now() - started;
      parentPort!.postMessage(result);
    })();
  });
  parentPort!.postMessage('ready');
}

function startWorker(data: WorkerRole): Worker {
  // The bundle is one file: each worker runs it again and takes the role it is given.
  return new Worker(new URL(import.meta.url), { workerData: data });
}

const nextMessage = <T>(worker: Worker): Promise<T> =>
  new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface Summary {
  calls: number;
  failures: number;
  ttfbP50: number;
  ttfbP99: number;
  ttlbP50: number;
  ttlbP99: number;
  callsPerSecond: number;
}

function summarise(results: readonly PhaseResult[]): Summary {
  const ttfb = results.flatMap((r) => r.ttfb).sort((a, b) => a - b);
  const ttlb = results.flatMap((r) => r.ttlb).sort((a, b) => a - b);
  const wall = results.reduce((n, r) => n + r.wallMs, 0);
  return {
    calls: ttlb.length,
    failures: results.reduce((n, r) => n + r.failures, 0),
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    ttlbP50: percentile(ttlb, 50),
    ttlbP99: percentile(ttlb, 99),
    callsPerSecond: (ttlb.length / wall) * 1000,
  };
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

async function main(): Promise<void> {
  if (!isMainThread) {
    const data = workerData as WorkerRole;
    return data.role === 'fake' ? runFakeWorker(data) : runCallersWorker(data.callers);
  }
  const args = parseArgs(process.argv.slice(2));
  const deadline = setTimeout(() => {
    console.error(`bench:gateway: gave up after ${args.timeout} s`);
    process.exit(1);
  }, args.timeout * 1000);
  deadline.unref();

  const dir = mkdtempSync(join(tmpdir(), 'cr-bench-gateway-'));
  const fakeWorker = startWorker({
    role: 'fake',
    firstTokenLatencyMs: args['first-token-ms'],
    eventDelayMs: args['event-ms'],
  });
  const callersWorker = startWorker({ role: 'callers', callers: args.callers });
  const [{ url: fakeUrl }] = await Promise.all([
    nextMessage<{ url: string }>(fakeWorker),
    nextMessage<'ready'>(callersWorker),
  ]);

  const ledger = openLedger(join(dir, 'ledger.db'), { groupCommit: true, checkpoints: 'background' });
  const pricer = defaultPricer();
  const limiter = new RateLimiter({
    pools: {
      opus: { rpm: 1e7, itpm: 1e10, otpm: 1e10 },
      sonnet: { rpm: 1e7, itpm: 1e10, otpm: 1e10 },
      haiku: { rpm: 1e7, itpm: 1e10, otpm: 1e10 },
    },
    rampStartFraction: 1,
  });
  const gateway = createGateway({
    provider: new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fakeUrl }),
    limiter,
    budgets: new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer }),
    calls: new CallsRepository(ledger.db, pricer),
  });
  const server = await startGatewayServer({ gateway });
  // A token per caller, each its own agent: as many Claude Code sessions.
  const tokens = Array.from({ length: args.callers }, (_, i) =>
    server.issue({
      missionId: 'bench',
      teamId: `team-${i % 8}`,
      agentId: `cc-${i}`,
      role: 'coder',
      taskId: null,
    }),
  );
  const direct: PhaseSpec = { url: fakeUrl, keys: tokens.map(() => DEFAULT_FAKE_API_KEY), calls: args.calls };
  const through: PhaseSpec = { url: server.url, keys: tokens, calls: args.calls };
  const phase = (spec: PhaseSpec): Promise<PhaseResult> => {
    const done = nextMessage<PhaseResult>(callersWorker);
    callersWorker.postMessage(spec);
    return done;
  };

  console.log(
    `bench:gateway: ${args.callers} concurrent streaming callers x ${args.calls} calls x ${args.rounds} rounds per path, ` +
      `fake paced ${args['first-token-ms']} ms to first token + ${args['event-ms']} ms per delta; loopback, ` +
      `${availableParallelism()} cores (load ${loadavg()[0]!.toFixed(1)}), node ${process.version}`,
  );
  // Warm-up: JIT, keep-alive sockets on every hop, the ledger's first pages.
  await phase({ ...direct, calls: 2 });
  await phase({ ...through, calls: 2 });

  const directResults: PhaseResult[] = [];
  const gatewayResults: PhaseResult[] = [];
  let gatewayBusyMs = 0;
  // Process-wide CPU: the callers and the fake do the same work on both paths, so the
  // difference per call is what the gateway costs.
  let directCpuMs = 0;
  let gatewayCpuMs = 0;
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  for (let round = 0; round < args.rounds; round++) {
    let cpu = process.cpuUsage();
    directResults.push(await phase(direct));
    directCpuMs += cpuMs(cpu);
    cpu = process.cpuUsage();
    const before = performance.eventLoopUtilization();
    gatewayResults.push(await phase(through));
    gatewayBusyMs += performance.eventLoopUtilization(before).active;
    gatewayCpuMs += cpuMs(cpu);
  }
  await new Promise((resolve) => setImmediate(resolve));
  const rows = ledger.db.prepare("SELECT count(*) FROM calls WHERE status = 'ok'").pluck().get() as number;

  const d = summarise(directResults);
  const g = summarise(gatewayResults);
  const table = [
    ['', 'calls', 'failed', 'TTFB P50', 'TTFB P99', 'TTLB P50', 'TTLB P99', 'calls/s'],
    ...(
      [
        ['direct to the fake', d],
        ['through the gateway', g],
      ] as const
    ).map(([name, s]) => [
      name,
      String(s.calls),
      String(s.failures),
      ms(s.ttfbP50),
      ms(s.ttfbP99),
      ms(s.ttlbP50),
      ms(s.ttlbP99),
      s.callsPerSecond.toFixed(0),
    ]),
    [
      'added by the gateway',
      '',
      '',
      ms(g.ttfbP50 - d.ttfbP50),
      ms(g.ttfbP99 - d.ttfbP99),
      ms(g.ttlbP50 - d.ttlbP50),
      ms(g.ttlbP99 - d.ttlbP99),
      '',
    ],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c] ?? 0)).join('  '));
  const addedP99 = g.ttlbP99 - d.ttlbP99;
  console.log(
    `CPU per call, all threads: direct ${ms(directCpuMs / Math.max(1, d.calls))}, through the gateway ` +
      `${ms(gatewayCpuMs / Math.max(1, g.calls))} (the gateway's share: ` +
      `${ms((gatewayCpuMs - directCpuMs) / Math.max(1, g.calls))}); gateway thread busy ` +
      `${ms(gatewayBusyMs / Math.max(1, g.calls))} per call (wall time, includes waiting for a core)`,
  );
  console.log(`ledger rows ok: ${rows} (${g.calls + args.callers * 2} gateway calls incl. warm-up)`);
  console.log(
    `added P99 < 2 ms: time to last byte ${addedP99 < 2 ? 'yes' : 'no'} (${ms(addedP99)}), ` +
      `time to first byte ${g.ttfbP99 - d.ttfbP99 < 2 ? 'yes' : 'no'} (${ms(g.ttfbP99 - d.ttfbP99)})`,
  );

  await server.close();
  await gateway.drain();
  limiter.close();
  ledger.close();
  callersWorker.postMessage('close');
  fakeWorker.postMessage('close');
  await Promise.all([
    new Promise((resolve) => callersWorker.once('exit', resolve)),
    new Promise((resolve) => fakeWorker.once('exit', resolve)),
  ]);
  rmSync(dir, { recursive: true, force: true });
}

await main();
