/**
 * `npm run bench:gateway`: what the loopback Messages API gateway (Claude Code sessions'
 * path) adds to a call. 200 concurrent streaming callers make N calls each, in one run,
 * straight to the fake Messages API and through the gateway server (the real gateway:
 * budget admission, the real limiter with limits far above the load, a ledger row per
 * call in a real ledger in a temp dir that groups its writes as the app opens it,
 * AnthropicProvider.forward). Direct and gateway rounds alternate, with the same callers,
 * the same fake and the same load, so that drift hits both alike. Prints P50 / P99 of
 * time to first byte and time to last byte per path, the difference (what the gateway
 * adds), calls/s, the gateway process's CPU per call and event-loop delay, and whether
 * the added P99 is under 2 ms.
 *
 * The callers and the fake each run in a child process of their own, so the measured
 * process holds only what a Control Room process would (the gateway server, limiter and
 * ledger): its event loop is nobody else's, and its CPU time is the gateway's alone.
 * What the machine's other processes took meanwhile is printed too, since on a small
 * machine they decide the tail. All traffic is on 127.0.0.1. The fake paces its stream
 * like a model (a first-token delay, then a delta every few ms): with an instant fake,
 * 200 closed-loop callers measure the gateway's throughput, and the "added latency" is
 * then queueing behind other calls, not what one call pays. `--first-token-ms 0
 * --event-ms 0` runs that saturation case.
 * Options: --callers N (default 200) --calls N (recorded, per caller and round, default 4)
 * --rounds N (default 3) --first-token-ms N (default 300) --event-ms N (default 40)
 * --burst 1 (every caller starts at once, see below) --timeout N (seconds, default 180). A benchmark prints figures; it is not a test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BudgetGuard, ledgerSpendSource } from '../../main/ledger/budgets.js';
import { CallsRepository } from '../../main/ledger/calls-repository.js';
import { openLedger } from '../../main/ledger/database.js';
import { defaultPricer } from '../../main/ledger/pricing.js';
import { RateLimiter } from '../../main/limiter/index.js';
import { AnthropicProvider } from '../../main/llm/anthropic-provider.js';
import { createGateway } from '../../main/calls/gateway.js';
import { startGatewayServer } from '../../main/calls/gateway-server.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi } from '../../main/llm/testing/fake-messages-api.js';

interface BenchArgs {
  callers: number;
  calls: number;
  rounds: number;
  'first-token-ms': number;
  'event-ms': number;
  burst: number;
  timeout: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    callers: 200,
    calls: 4,
    rounds: 3,
    'first-token-ms': 300,
    'event-ms': 40,
    burst: 0,
    timeout: 180,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = (argv[i] ?? '').replace(/^--/, '') as keyof BenchArgs;
    const value = Number(argv[i + 1]);
    const least = key === 'first-token-ms' || key === 'event-ms' || key === 'burst' ? 0 : 1;
    if (!(key in args) || !Number.isInteger(value) || value < least)
      throw new Error(`bad option ${argv[i]} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

/**
 * One phase for the callers' process. Caller i starts `staggerMs * i / callers` in, then
 * calls one call after another: its first call is not recorded (the others are still
 * starting), its next `calls` are, and it goes on with unrecorded calls until every
 * caller has recorded its share, so that every recorded call ran among all the others.
 */
interface PhaseSpec {
  url: string;
  /** One key per caller (the fake's key for the direct path, a token each through the gateway). */
  keys: string[];
  calls: number;
  staggerMs: number;
}

interface PhaseResult {
  /** Of the recorded calls that succeeded. */
  ttfb: number[];
  ttlb: number[];
  /** Through the gateway: its own time to the status line and the API's, from its Server-Timing. */
  own: number[];
  upstream: number[];
  /** Every call the phase completed, recorded or not (what the CPU figures are divided by). */
  completed: number;
  /** Why calls failed, by status or error code, so a failing run says what broke. */
  failures: Record<string, number>;
  wallMs: number;
}

/** What the parent asks a child; every request is answered with one message. */
type ChildRequest = { kind: 'phase'; spec: PhaseSpec } | { kind: 'cpu' } | { kind: 'close' };

/** One metric's duration from a Server-Timing header (`name;dur=1.5, ...`). */
function serverTimingMs(header: string | undefined, name: string): number | undefined {
  const match = header?.match(new RegExp(`(?:^|,)\\s*${name};dur=([0-9.]+)`));
  return match ? Number(match[1]) : undefined;
}

/** The role a child process takes, passed in its environment. */
type Role =
  { role: 'fake'; firstTokenLatencyMs: number; eventDelayMs: number } | { role: 'callers'; callers: number };

const ROLE_ENV = 'CR_BENCH_GATEWAY_ROLE';

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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** Answers the parent's `cpu` and `close` requests; `onPhase` handles the rest. */
function serveParent(onPhase: (spec: PhaseSpec) => Promise<PhaseResult>, close: () => Promise<void>): void {
  const start = process.cpuUsage();
  process.on('message', (message: ChildRequest) => {
    if (message.kind === 'cpu') process.send!({ cpuMs: cpuMsSince(start) });
    else if (message.kind === 'close') void close().then(() => process.exit(0));
    else void onPhase(message.spec).then((result) => process.send!(result));
  });
  // The parent went away (killed, or its deadline hit): nothing here is worth keeping.
  process.on('disconnect', () => process.exit(0));
}

async function runFake(pace: { firstTokenLatencyMs: number; eventDelayMs: number }): Promise<void> {
  const fake = await startFakeMessagesApi({
    limits: { haiku: UNBOUNDED, sonnet: UNBOUNDED, opus: UNBOUNDED },
    firstTokenLatencyMs: pace.firstTokenLatencyMs,
    eventDelayMs: pace.eventDelayMs,
  });
  serveParent(
    () => Promise.reject(new Error('the fake runs no phases')),
    () => fake.close(),
  );
  process.send!({ url: fake.url });
}

async function runCallers(callers: number): Promise<void> {
  // Keep-alive sockets, one per caller at least: connection set-up is not what is measured.
  const agent = new Agent({ keepAlive: true, maxSockets: callers * 2 });
  type Outcome = { ttfb: number; ttlb: number; timing: string | undefined; failure: string | null };
  const once = (url: URL, key: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const started = performance.now();
      const failed = (error: NodeJS.ErrnoException): void =>
        resolve({ ttfb: 0, ttlb: 0, timing: undefined, failure: error.code ?? error.message });
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
            tail = (tail + chunk.toString('latin1')).slice(-64);
          });
          res.on('end', () => {
            const ended = performance.now();
            const complete = res.statusCode === 200 && tail.includes('message_stop');
            resolve({
              ttfb: (first || ended) - started,
              ttlb: ended - started,
              timing: [res.headers['server-timing'] ?? []].flat().join(', ') || undefined,
              failure: complete
                ? null
                : `status ${res.statusCode}${res.statusCode === 200 ? ' (no message_stop)' : ''}`,
            });
          });
          res.on('error', failed);
        },
      );
      req.on('error', failed);
      req.end(BODY);
    });

  serveParent(
    async (spec) => {
      const url = new URL('/v1/messages', spec.url);
      const result: PhaseResult = { ttfb: [], ttlb: [], own: [], upstream: [], completed: 0, failures: {}, wallMs: 0 };
      const unrecorded = async (key: string): Promise<void> => {
        await once(url, key);
        result.completed += 1;
      };
      let recording = spec.keys.length;
      const started = performance.now();
      await Promise.all(
        spec.keys.map(async (key, index) => {
          await sleep((spec.staggerMs * index) / spec.keys.length);
          await unrecorded(key);
          for (let i = 0; i < spec.calls; i++) {
            const call = await once(url, key);
            result.completed += 1;
            if (call.failure !== null)
              result.failures[call.failure] = (result.failures[call.failure] ?? 0) + 1;
            else {
              result.ttfb.push(call.ttfb);
              result.ttlb.push(call.ttlb);
              const own = serverTimingMs(call.timing, 'cr-gateway');
              const upstream = serverTimingMs(call.timing, 'cr-upstream');
              if (own !== undefined && upstream !== undefined) {
                result.own.push(own);
                result.upstream.push(upstream);
              }
            }
          }
          recording -= 1;
          while (recording > 0) await unrecorded(key);
        }),
      );
      result.wallMs = performance.now() - started;
      return result;
    },
    async () => agent.destroy(),
  );
  process.send!('ready');
}

/** A child running this same bundle in the given role. */
function startChild(role: Role): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [ROLE_ENV]: JSON.stringify(role) },
    // The parent's flags (--cpu-prof, say) are for the gateway process only.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends one request to a child and resolves with its answer. */
const ask = <T>(child: ChildProcess, message?: ChildRequest): Promise<T> =>
  new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`a bench child exited (${code}) early`));
    child.once('exit', onExit);
    child.once('message', (answer) => {
      child.off('exit', onExit);
      resolve(answer as T);
    });
    if (message) child.send(message);
  });

/** Busy and total jiffies of the whole machine, from /proc/stat (null where there is none). */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((n, v) => n + v, 0);
    // idle and iowait are not busy.
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return null;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface Summary {
  calls: number;
  completed: number;
  failures: Record<string, number>;
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
  const failures: Record<string, number> = {};
  for (const r of results)
    for (const [why, n] of Object.entries(r.failures)) failures[why] = (failures[why] ?? 0) + n;
  const completed = results.reduce((n, r) => n + r.completed, 0);
  return {
    calls: ttlb.length,
    completed,
    failures,
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    ttlbP50: percentile(ttlb, 50),
    ttlbP99: percentile(ttlb, 99),
    callsPerSecond: (completed / wall) * 1000,
  };
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const failed = (s: Summary): number => Object.values(s.failures).reduce((n, v) => n + v, 0);

/** CPU and machine time spent over one phase. */
interface PhaseCost {
  gatewayCpuMs: number;
  gatewayUserMs: number;
  childCpuMs: number;
  machineBusyMs: number;
  machineMs: number;
}

async function main(): Promise<void> {
  const roleText = process.env[ROLE_ENV];
  if (roleText) {
    const role = JSON.parse(roleText) as Role;
    return role.role === 'fake' ? runFake(role) : runCallers(role.callers);
  }
  const args = parseArgs(process.argv.slice(2));
  const children: ChildProcess[] = [];
  const deadline = setTimeout(() => {
    console.error(`bench:gateway: gave up after ${args.timeout} s`);
    for (const child of children) child.kill();
    process.exit(1);
  }, args.timeout * 1000);
  deadline.unref();

  const dir = mkdtempSync(join(tmpdir(), 'cr-bench-gateway-'));
  const fakeChild = startChild({
    role: 'fake',
    firstTokenLatencyMs: args['first-token-ms'],
    eventDelayMs: args['event-ms'],
  });
  const callersChild = startChild({ role: 'callers', callers: args.callers });
  children.push(fakeChild, callersChild);
  const [{ url: fakeUrl }] = await Promise.all([ask<{ url: string }>(fakeChild), ask<'ready'>(callersChild)]);

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
  const direct: PhaseSpec = {
    url: fakeUrl,
    keys: tokens.map(() => DEFAULT_FAKE_API_KEY),
    calls: args.calls,
    staggerMs: 0,
  };
  const through: PhaseSpec = { ...direct, url: server.url, keys: tokens };
  const childCpuMs = async (): Promise<number> =>
    (
      await Promise.all([fakeChild, callersChild].map((c) => ask<{ cpuMs: number }>(c, { kind: 'cpu' })))
    ).reduce((n, r) => n + r.cpuMs, 0);
  // One histogram per gateway phase (left running while the gateway idles, one would count
  // the direct phases' quiet as delay); the worst phase's figures are printed.
  const loopDelays: IntervalHistogram[] = [];
  const phase = async (spec: PhaseSpec, cost?: PhaseCost): Promise<PhaseResult> => {
    const childBefore = await childCpuMs();
    const machineBefore = machineTicks();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const delay = cost && spec === through ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
    delay?.enable();
    const result = await ask<PhaseResult>(callersChild, { kind: 'phase', spec });
    delay?.disable();
    if (delay) loopDelays.push(delay);
    const used = process.cpuUsage(cpu);
    const gatewayCpuMs = (used.user + used.system) / 1000;
    const wallMs = performance.now() - started;
    const machineAfter = machineTicks();
    if (cost) {
      cost.gatewayCpuMs += gatewayCpuMs;
      cost.gatewayUserMs += used.user / 1000;
      cost.childCpuMs += (await childCpuMs()) - childBefore;
      if (machineBefore && machineAfter) {
        // Jiffies over all cores: the busy share of the machine's capacity, in ms of one core.
        const share =
          (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total);
        cost.machineBusyMs += share * wallMs * availableParallelism();
        cost.machineMs += wallMs;
      }
    }
    return result;
  };

  console.log(
    `bench:gateway: ${args.callers} concurrent streaming callers x ${args.calls} recorded calls x ${args.rounds} rounds per path, ` +
      `starts ${args.burst ? 'all at once (--burst)' : 'spread over a call'}, ` +
      `fake paced ${args['first-token-ms']} ms to first token + ${args['event-ms']} ms per delta; loopback, ` +
      `callers, fake and gateway in 3 processes; ${availableParallelism()} cores (load ${loadavg()[0]!.toFixed(1)}), node ${process.version}`,
  );
  // Warm-up: JIT, keep-alive sockets on every hop, the ledger's first pages, and how long
  // a call takes, over which the callers' starts are spread (unless --burst 1): the fake
  // paces every reply alike, so callers that start together stay in step, and 200
  // requests arriving in the same millisecond, call after call, measure a queue, not
  // what a call at 200 concurrent streams pays.
  const warm = await phase({ ...direct, calls: 1 });
  const warmThrough = await phase({ ...through, calls: 1 });
  const staggerMs = args.burst
    ? 0
    : percentile(
        [...warm.ttlb].sort((a, b) => a - b),
        50,
      );
  direct.staggerMs = staggerMs;
  through.staggerMs = staggerMs;

  const directResults: PhaseResult[] = [];
  const gatewayResults: PhaseResult[] = [];
  const fresh = (): PhaseCost => ({
    gatewayCpuMs: 0,
    gatewayUserMs: 0,
    childCpuMs: 0,
    machineBusyMs: 0,
    machineMs: 0,
  });
  const directCost = fresh();
  const gatewayCost = fresh();
  for (let round = 0; round < args.rounds; round++) {
    directResults.push(await phase(direct, directCost));
    gatewayResults.push(await phase(through, gatewayCost));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const rows = ledger.db.prepare("SELECT count(*) FROM calls WHERE status = 'ok'").pluck().get() as number;

  const d = summarise(directResults);
  const g = summarise(gatewayResults);
  const gatewayCompleted = warmThrough.completed + g.completed;
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
      String(failed(s)),
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
  for (const [name, s] of [
    ['direct', d],
    ['gateway', g],
  ] as const) {
    if (failed(s) > 0) console.log(`failures ${name}: ${JSON.stringify(s.failures)}`);
  }
  const perCall = (value: number, calls: number): string => ms(value / Math.max(1, calls));
  console.log(
    `CPU per call: gateway process ${perCall(gatewayCost.gatewayCpuMs, g.completed)} ` +
      `(user ${perCall(gatewayCost.gatewayUserMs, g.completed)}, system ${perCall(gatewayCost.gatewayCpuMs - gatewayCost.gatewayUserMs, g.completed)}; ` +
      `idle while direct: ${perCall(directCost.gatewayCpuMs, d.completed)}); callers + fake ` +
      `${perCall(gatewayCost.childCpuMs, g.completed)} through the gateway, ${perCall(directCost.childCpuMs, d.completed)} direct`,
  );
  const cores = (cost: PhaseCost, ours: number): string =>
    cost.machineMs === 0
      ? 'n/a'
      : `${(cost.machineBusyMs / cost.machineMs).toFixed(2)} cores busy, ` +
        `${(Math.max(0, cost.machineBusyMs - ours) / cost.machineMs).toFixed(2)} of them not this bench`;
  console.log(
    `machine (${availableParallelism()} cores): direct ${cores(directCost, directCost.gatewayCpuMs + directCost.childCpuMs)}; ` +
      `gateway ${cores(gatewayCost, gatewayCost.gatewayCpuMs + gatewayCost.childCpuMs)}`,
  );
  const lag = (of: (h: IntervalHistogram) => number): string => ms(Math.max(...loopDelays.map(of)) / 1e6);
  console.log(
    `gateway event-loop delay while it served (worst round): P50 ${lag((h) => h.percentile(50))}, ` +
      `P99 ${lag((h) => h.percentile(99))}, max ${lag((h) => h.max)}`,
  );
  // Where the added time goes: the gateway's own work per call, as its Server-Timing
  // header reports it, and the fake's answer as the gateway waited on it (one more
  // loopback hop each way than the direct path, and one more process to be woken).
  const own = gatewayResults.flatMap((r) => r.own).sort((a, b) => a - b);
  const upstream = gatewayResults.flatMap((r) => r.upstream).sort((a, b) => a - b);
  console.log(
    `the gateway's own time to the status line (Server-Timing cr-gateway: request, admission, limiter, relay; ${own.length} calls): ` +
      `P50 ${ms(percentile(own, 50))}, P99 ${ms(percentile(own, 99))}; the fake's answer as the gateway waited on it (cr-upstream): ` +
      `P50 ${ms(percentile(upstream, 50))}, P99 ${ms(percentile(upstream, 99))} (direct TTFB P50 ${ms(d.ttfbP50)}, P99 ${ms(d.ttfbP99)})`,
  );
  console.log(`ledger rows ok: ${rows} (gateway calls completed incl. warm-up: ${gatewayCompleted})`);
  const addedTtlb = g.ttlbP99 - d.ttlbP99;
  const addedTtfb = g.ttfbP99 - d.ttfbP99;
  const met = addedTtlb < 2 && addedTtfb < 2 && failed(g) === 0;
  console.log(
    `target (added P99 < 2 ms per call at ${args.callers} concurrent streams): ${met ? 'MET' : 'NOT MET'} ` +
      `(TTLB +${ms(addedTtlb)}, TTFB +${ms(addedTtfb)}${failed(g) > 0 ? `, ${failed(g)} calls failed` : ''})`,
  );

  await server.close();
  await gateway.drain();
  limiter.close();
  ledger.close();
  await Promise.all(
    [callersChild, fakeChild].map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.send({ kind: 'close' } satisfies ChildRequest);
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}

await main();
