/**
 * `npm run bench:engine`: what orchestration costs per model call with 100 and 1,000
 * concurrent agents in one process, on a zero-latency provider and on one with the
 * simulation's realistic latency. Target: 1,000 agents with P99 overhead under 1 ms and
 * efficiency above 95 %. A benchmark prints figures; it is not a test.
 *
 * Options: --agents 100,1000  --zero-seconds N (default 6)  --real-seconds N (default 25)
 *   --only zero,real,serial,worktrees  --worktrees 19,57 (coders per probe)  --seed N
 * Run under `node --expose-gc` (the npm script does) so the memory figures are taken
 * after a full collection.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentRig, type TurnSample } from './synthetic-agents.js';
import { probeWorktrees, type WorktreeSample } from './worktree-probe.js';

interface BenchArgs {
  agents: number[];
  zeroSeconds: number;
  realSeconds: number;
  only: Set<string>;
  worktrees: number[];
  seed: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    agents: [100, 1_000],
    zeroSeconds: 6,
    realSeconds: 25,
    only: new Set(['zero', 'real', 'serial', 'worktrees']),
    worktrees: [19, 57],
    seed: 7,
  };
  const numbers = (flag: string, value: string): number[] => {
    const list = value.split(',').map(Number);
    if (list.length === 0 || !list.every((n) => Number.isFinite(n) && n > 0))
      throw new Error(`${flag} needs positive numbers, got "${value}"`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--agents':
        args.agents = numbers(flag, value);
        break;
      case '--worktrees':
        args.worktrees = numbers(flag, value);
        break;
      case '--zero-seconds':
        args.zeroSeconds = numbers(flag, value)[0] as number;
        break;
      case '--real-seconds':
        args.realSeconds = numbers(flag, value)[0] as number;
        break;
      case '--seed':
        args.seed = numbers(flag, value)[0] as number;
        break;
      case '--only':
        args.only = new Set(value.split(',').filter(Boolean));
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

// ------------------------------------------------------------------ measurement

interface Memory {
  heap: number;
  rss: number;
}

const collect = (globalThis as { gc?: () => void }).gc;

function memory(): Memory {
  collect?.();
  collect?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

interface ScenarioResult {
  label: string;
  agents: number;
  machinery: boolean;
  latencyScale: number;
  windowMs: number;
  calls: number;
  callsPerSecond: number;
  /** CPU (user + system) of the process per call in the window, µs. */
  cpuPerCallUs: number;
  overhead: { p50: number; p99: number; max: number; mean: number };
  providerMeanMs: number;
  plannedMeanMs: number;
  /** Provider wall time beyond what it planned: timers firing late on a busy loop. */
  timerLateP99Ms: number;
  eventLoopP99Ms: number;
  memoryPerAgent: Memory;
  ledger: { calls: number; transcript: number; log: number } | null;
  events: { events: number; batches: number; bytes: number };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

async function runScenario(options: {
  label: string;
  agents: number;
  active?: number;
  latencyScale: number;
  machinery: boolean;
  seconds: number;
  warmupSeconds: number;
  seed: number;
}): Promise<ScenarioResult> {
  const rig = new AgentRig({
    agents: options.agents,
    latencyScale: options.latencyScale,
    seed: options.seed,
    machinery: options.machinery,
  });
  try {
    // The ledger, the design and the mission's rows exist; nothing of an agent's run does yet.
    const before = memory();
    const active = options.active ?? options.agents;
    rig.start(active);
    await delay(options.warmupSeconds * 1_000);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpuStart = process.cpuUsage();
    const from = performance.now();
    await delay((options.seconds - options.warmupSeconds) * 1_000);
    const to = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    loop.disable();
    // Agents are up and mid-conversation: what they hold now is what an agent costs.
    const live = memory();
    await rig.stop();

    const samples: TurnSample[] = rig.samples.between(from, to);
    const overheads = samples.map((s) => s.turnMs - s.providerMs).sort((a, b) => a - b);
    const late = samples.map((s) => s.providerMs - s.plannedMs).sort((a, b) => a - b);
    const windowMs = to - from;
    return {
      label: options.label,
      agents: active,
      machinery: options.machinery,
      latencyScale: options.latencyScale,
      windowMs,
      calls: samples.length,
      callsPerSecond: (samples.length * 1_000) / windowMs,
      cpuPerCallUs: (cpu.user + cpu.system) / Math.max(1, samples.length),
      overhead: {
        p50: percentile(overheads, 50),
        p99: percentile(overheads, 99),
        max: overheads[overheads.length - 1] ?? NaN,
        mean: mean(overheads),
      },
      providerMeanMs: mean(samples.map((s) => s.providerMs)),
      plannedMeanMs: mean(samples.map((s) => s.plannedMs)),
      timerLateP99Ms: percentile(late, 99),
      // No sample at all: the loop never got to a timer in the whole window.
      eventLoopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : Infinity,
      memoryPerAgent: { heap: (live.heap - before.heap) / active, rss: (live.rss - before.rss) / active },
      ledger: rig.ledgerRows(),
      events: { ...rig.eventStats },
    };
  } finally {
    rig.close();
  }
}

// ------------------------------------------------------------------ report

const ms = (x: number, digits = 3): string => (Number.isFinite(x) ? `${x.toFixed(digits)} ms` : '-');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
const kib = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : '-');
const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface Verdict {
  efficiency: number;
  ideal: number;
}

function zeroVerdict(full: ScenarioResult, bare: ScenarioResult | undefined): Verdict {
  const ideal = bare?.callsPerSecond ?? NaN;
  return { ideal, efficiency: full.callsPerSecond / ideal };
}

/**
 * Against the control: the same agents, seed and latencies with no orchestration, on the
 * same machine in the same run. The theoretical figure (agents / mean planned latency)
 * is printed beside it but is no bound: how many calls end inside a 17 s window depends
 * on where the long calls fall, and the control itself scores 94-106 % of it.
 */
function realVerdict(full: ScenarioResult, control: ScenarioResult): Verdict {
  const ideal = control.callsPerSecond;
  return { ideal, efficiency: full.callsPerSecond / ideal };
}

/** Agents calling back to back complete one call per mean planned provider latency each. */
const plannedRate = (r: ScenarioResult): number => (r.agents * 1_000) / r.plannedMeanMs;

function resultRows(results: readonly { r: ScenarioResult; v: Verdict | null }[]): string[][] {
  const row = (name: string, cell: (x: { r: ScenarioResult; v: Verdict | null }) => string): string[] => [
    name,
    ...results.map(cell),
  ];
  return [
    row('calls in the measured window', ({ r }) => int(r.calls)),
    row('calls per second (achieved)', ({ r }) => r.callsPerSecond.toFixed(1)),
    row('ideal calls per second', ({ v }) => (v ? v.ideal.toFixed(1) : '-')),
    row('efficiency (achieved / ideal)', ({ v }) => (v ? pct(v.efficiency) : '-')),
    row('overhead per call P50', ({ r }) => ms(r.overhead.p50)),
    row('overhead per call P99', ({ r }) => ms(r.overhead.p99)),
    row('overhead per call mean / max', ({ r }) => `${ms(r.overhead.mean)} / ${ms(r.overhead.max, 1)}`),
    row('process CPU per call', ({ r }) => `${r.cpuPerCallUs.toFixed(0)} µs`),
    row('provider time per call (mean)', ({ r }) => ms(r.providerMeanMs, 1)),
    row('  of which planned latency (mean)', ({ r }) => ms(r.plannedMeanMs, 1)),
    row('  timers late, P99', ({ r }) => (r.latencyScale > 0 ? ms(r.timerLateP99Ms, 2) : '-')),
    row('event-loop delay P99', ({ r }) =>
      r.eventLoopP99Ms === Infinity ? `> ${ms(r.windowMs, 0)}` : ms(r.eventLoopP99Ms, 2),
    ),
    row('memory per agent: heap', ({ r }) => kib(r.memoryPerAgent.heap)),
    row('memory per agent: RSS', ({ r }) => kib(r.memoryPerAgent.rss)),
    row('ledger rows: calls / transcript / log', ({ r }) =>
      r.ledger ? `${int(r.ledger.calls)} / ${int(r.ledger.transcript)} / ${int(r.ledger.log)}` : '-',
    ),
    row('events emitted -> batches delivered', ({ r }) =>
      r.machinery ? `${int(r.events.events)} -> ${int(r.events.batches)}` : '-',
    ),
  ];
}

function worktreeReport(samples: readonly WorktreeSample[], target: number): string[] {
  const lines = samples.map(
    (s) =>
      `  ${String(s.coders).padStart(4)} coders (${s.teams} teams): ${(s.ms / 1000).toFixed(1)} s, ${s.msPerCoder.toFixed(0)} ms per coder worktree`,
  );
  const [a, b] = [samples[0], samples[samples.length - 1]];
  if (a && b && b.coders > a.coders) {
    // Fit t = k1 n + k2 n^2 through the smallest and largest probe: the per-worktree cost
    // grows with the number already registered (each add lists every worktree).
    const k2 = Math.max(0, (b.msPerCoder - a.msPerCoder) / (b.coders - a.coders));
    const k1 = a.msPerCoder - k2 * a.coders;
    const est = k1 * target + k2 * target * target;
    lines.push(
      `  extrapolated to ${target} coder worktrees (linear + quadratic fit): about ${(est / 1000).toFixed(0)} s`,
    );
  }
  return lines;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  if (!collect)
    console.log('note: run with node --expose-gc for memory figures taken after a full collection\n');
  console.log('Engine benchmark: synthetic agents through the real gateway, limiter, ledger and event hub');
  const os = await import('node:os');
  const load = (): string =>
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ');
  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs, load average (1 / 5 / 15 min) ${load()}; seed ${args.seed}\n`,
  );

  const sections: string[] = [];
  const targets: string[] = [];

  if (args.only.has('zero')) {
    const results: { r: ScenarioResult; v: Verdict | null }[] = [];
    for (const n of args.agents) {
      const common = {
        agents: n,
        latencyScale: 0,
        seconds: args.zeroSeconds,
        warmupSeconds: Math.min(2, args.zeroSeconds / 4),
        seed: args.seed,
      };
      const bare = await runScenario({ ...common, label: `${n} bare`, machinery: false });
      const full = await runScenario({ ...common, label: `${n} engine`, machinery: true });
      results.push({ r: bare, v: null }, { r: full, v: zeroVerdict(full, bare) });
    }
    sections.push(
      'Zero-latency provider (latencyScale 0): the CPU is the only limit, so achieved / ideal is',
      'the share of the CPU left to the provider; "bare" is the ideal: the same agents and loop',
      'calling the provider directly (no gateway, limiter, budgets, ledger or events).',
      table(['', ...results.map(({ r }) => r.label)], resultRows(results)),
      'Overhead here includes queueing for the CPU behind every other agent (nothing else',
      'makes an agent wait), so it grows with the agent count; the uncontended figure below is',
      'the cost of one call alone.',
      '',
    );
  }

  if (args.only.has('serial')) {
    const r = await runScenario({
      label: '1 agent, engine',
      agents: 20,
      active: 1,
      latencyScale: 0,
      machinery: true,
      seconds: 4,
      warmupSeconds: 1,
      seed: args.seed,
    });
    const bare = await runScenario({
      label: '1 agent, bare',
      agents: 20,
      active: 1,
      latencyScale: 0,
      machinery: false,
      seconds: 4,
      warmupSeconds: 1,
      seed: args.seed,
    });
    sections.push(
      'Uncontended: one agent at a time on a zero-latency provider (the intrinsic cost of a call).',
      table(
        ['', bare.label, r.label],
        resultRows([
          { r: bare, v: null },
          { r, v: zeroVerdict(r, bare) },
        ]).slice(0, 8),
      ),
      '',
    );
  }

  if (args.only.has('real')) {
    const results: { r: ScenarioResult; v: Verdict | null }[] = [];
    for (const n of args.agents) {
      const common = {
        agents: n,
        latencyScale: 1,
        seconds: args.realSeconds,
        // Every agent starts at once; let the calls spread out before measuring.
        warmupSeconds: Math.min(8, args.realSeconds / 3),
        seed: args.seed,
      };
      // The control: the same agents with no machinery, on the same (shared, noisy) machine.
      const bare = await runScenario({ ...common, label: `${n} bare`, machinery: false });
      results.push({ r: bare, v: null });
      const r = await runScenario({ ...common, label: `${n} engine`, machinery: true });
      const v = realVerdict(r, bare);
      results.push({ r, v });
      // The engine issue sets its targets at 1,000 agents; smaller runs are reported against
      // them too, for comparison. With few agents the loop idles between turns and every
      // turn runs colder (the control's own P50 doubles), and a P99 of a few hundred calls
      // is the fifth-slowest one.
      const verdict = (ok: boolean) => (n >= 1_000 ? (ok ? 'met' : 'MISSED') : ok ? 'within' : 'above');
      targets.push(
        `${n} agents, realistic latency, ${int(r.calls)} calls: P99 overhead ${ms(r.overhead.p99)} (target < 1 ms: ${verdict(r.overhead.p99 < 1)}), ` +
          `efficiency ${pct(v.efficiency)} (target > 95 %: ${verdict(v.efficiency > 0.95)})`,
      );
    }
    sections.push(
      'Realistic latency (latencyScale 1: log-normal time to first token, streamed output at',
      'the model\'s speed). "bare" is the control: the same agents, seed and latencies with no',
      'orchestration, in this run; ideal = the control\'s calls per second.',
      table(
        ['', ...results.map(({ r }) => r.label)],
        [
          ...resultRows(results),
          ['agents / mean planned latency', ...results.map(({ r }) => plannedRate(r).toFixed(1))],
          [
            '  achieved / that',
            ...results.map(({ r }) => pct(r.callsPerSecond / plannedRate(r))),
          ],
        ],
      ),
      '',
    );
  }

  if (args.only.has('worktrees')) {
    const samples = await probeWorktrees(args.worktrees);
    sections.push(
      'Workspace creation (real createMissionWorkspace: a branch per team and coder, a git',
      'worktree per coder, on a 40-file repository):',
      ...worktreeReport(samples, 950),
      '',
    );
  }

  console.log(sections.join('\n'));
  console.log(
    [
      'What is measured',
      '- Agents: every agent of a saved design (teams of a leader and 19 coders; leaders on Opus,',
      '  coders on Sonnet) runs the coder turn loop of MissionRuntime: the coder prompt and tool',
      '  set, tool-input validation, a transcript row per message, agent-state rows and',
      "  mission_log rows in the runtime's transactions, budget admission under a mission cap,",
      '  the RateLimiter (limits far above the load: its bookkeeping, not its waiting), a calls',
      '  ledger row with its roll-ups, and EventHub events serialised per batch.',
      '- Not measured: git worktrees, file and command tools (answered at once with canned',
      '  results), escalations and reviews. 1,000 coders would need 950 worktrees before any',
      '  agent runs; their creation is timed separately above.',
      "- Overhead per call = wall time from the end of an agent's previous reply handling to",
      '  this reply stored, minus the time inside provider.send.',
      '- Memory per agent = heap / RSS growth from the ledger and mission rows alone to agents',
      "  mid-conversation, after a forced GC, divided by the agent count. RSS includes SQLite's",
      '  page cache.',
      '',
      ...(targets.length > 0
        ? ['Targets (the issue sets them at 1,000 agents; other counts show "within" or "above")', ...targets.map((t) => `- ${t}`), '']
        : []),
      `Total run time ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()}.`,
    ].join('\n'),
  );
}

await main();
