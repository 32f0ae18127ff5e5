/**
 * `npm run bench:cost`: what prompt caching does to a mission's bill, and how close the
 * design estimate a person reads before launch comes to what the mission then costs.
 *
 * The same simulated mission (a fixed design: one team of a leader and three coders; a
 * fixed seed; a repository of 30 existing modules of ~3k tokens each) runs twice in one
 * run, caching off (the baseline) and on, over the real @anthropic-ai/sdk against the
 * loopback fake Messages API, whose prefix cache and bill are the ground truth the ledger
 * is priced from. Coders work as in real sessions (the simulated provider's `session`
 * workload): they read the code around their task one file a turn before writing, so a
 * task takes tens of turns, the context grows with each, and every tool output is a file
 * of a few thousand tokens. The simulated replies depend only on the seed and the request's
 * text, so both runs make the same calls; only the breakpoints differ.
 *
 * The estimate: before the measured caching-on mission, the same ledger gets earlier
 * missions of the same design (other seeds and goals, up to four, until every role and
 * model rests on enough calls to be measured: the history a person has after a few
 * missions). The designer's functions (`workloadFor`, `workNanoPerHour`) then price the
 * mission's agents at the measured workload: per call (the target: tokens per call are what
 * caching changes, and pace means little in scaled time) and per agent-hour (each agent's
 * hourly rate times the hours it worked). Both print against the ledger's cost, with the
 * estimate from today's assumed workload (no history) beside them.
 *
 * Targets: input cost per merged task at least 60 % lower with caching; the estimate
 * within 25 % of the measured cost. Figures are printed as measured, met or not.
 *
 * Options: --seed N (default 11)  --latency-scale X (simulated latency; default 0.1)
 *   --timeout-seconds N (default 600)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_WORKLOAD,
  measuredFor,
  MIN_MEASURED_CALLS,
  pricesAt,
  workloadFor,
  workNanoPerHour,
  type MeasuredWorkload,
} from '../../shared/design-estimate.js';
import { formatUsd } from '../../shared/money.js';
import type { AgentRole } from '../../shared/team.js';
import { createHarness, driveToEnd, makeRepo, saveDesign, type Harness } from '../../main/engine/testing/harness.js';
import { simulatedResponder } from '../../main/engine/testing/simulated-responder.js';
import { defaultPriceTable } from '../../main/ledger/pricing.js';
import { measuredWorkload } from '../../main/ledger/workload.js';
import { AnthropicProvider } from '../../main/llm/anthropic-provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi } from '../../main/llm/testing/fake-messages-api.js';
import { seedSources } from './repo.js';

interface BenchArgs {
  seed: number;
  latencyScale: number;
  timeoutSeconds: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { seed: 11, latencyScale: 0.1, timeoutSeconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i] ?? '';
    const n = Number(value);
    const need = (ok: boolean, what: string): number => {
      if (!ok || value === '') throw new Error(`${flag} needs ${what}, got "${value.slice(0, 40)}"`);
      return n;
    };
    switch (flag) {
      case '--seed':
        args.seed = need(Number.isInteger(n) && n >= 0, 'a whole number');
        break;
      case '--latency-scale':
        args.latencyScale = need(Number.isFinite(n) && n >= 0, 'a number from 0 (no latency) up');
        break;
      case '--timeout-seconds':
        args.timeoutSeconds = need(Number.isFinite(n) && n > 0, 'a positive number');
        break;
      default:
        throw new Error(`unknown option ${flag.slice(0, 40)} (known: --seed, --latency-scale, --timeout-seconds)`);
    }
  }
  return args;
}

const GOAL = 'Add a job-retry policy to the existing service: backoff settings, a retry queue, and the metrics the HTTP layer reports.';
/** The earlier missions' goals: work of the same shape, on other parts of the service. */
const HISTORY_GOALS = [
  'Add request tracing to the existing service: trace ids, a span store, and a report the jobs layer prints.',
  'Add rate limiting to the existing HTTP layer: a token bucket, per-client settings, and the headers it sends.',
  'Add an audit log to the existing storage layer: change records, a retention setting, and an export command.',
  'Add feature flags to the existing core layer: a flag store, per-environment defaults, and a listing endpoint.',
];
const CODERS = 3;

/** What the ledger says one mission cost. */
interface MissionFigures {
  state: string;
  tasks: number;
  merged: number;
  calls: number;
  /** Turns per task: calls of coders over the tasks they worked on. */
  coderCallsPerTask: number;
  inputTokens: number;
  write5m: number;
  write1h: number;
  read: number;
  output: number;
  costInputNano: number;
  costCacheWriteNano: number;
  costCacheReadNano: number;
  costOutputNano: number;
  costTotalNano: number;
  /** Per agent of the mission: role, model, hours it worked (whole minutes, as the measured workload counts them), calls and cost. */
  agents: Array<{ id: string; role: AgentRole; model: string; hours: number; costNano: number; calls: number }>;
  wallMs: number;
}

/** Runs one mission of the bench's design in `h` on `repo` and reads its figures from the ledger. */
async function runMission(h: Harness, fake: FakeMessagesApi, repo: string, seed: number, args: BenchArgs, goal = GOAL): Promise<MissionFigures> {
  const sim = simulatedResponder({ seed, workload: 'session', latencyScale: args.latencyScale, commandRate: 0 });
  fake.setScript({ responder: sim.responder });
  const design = saveDesign(h.ledger, [{ id: 'core', coders: CODERS }]);
  const { id } = h.engine.create({
    designId: design.id,
    goal,
    repoPath: repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  const started = performance.now();
  await h.engine.start(id);
  await driveToEnd(h, id, () => ({ decision: 'approve' }), args.timeoutSeconds * 1000);
  const wallMs = performance.now() - started;

  await fake.whenIdle();
  const db = h.ledger.db;
  const sums = db
    .prepare(
      `SELECT count(*) AS calls, sum(input_tokens) AS inputTokens, sum(cache_creation_5m_tokens) AS write5m,
              sum(cache_creation_1h_tokens) AS write1h, sum(cache_read_tokens) AS read, sum(output_tokens) AS output,
              sum(cost_input_nano) AS costInputNano, sum(cost_cache_write_nano) AS costCacheWriteNano,
              sum(cost_cache_read_nano) AS costCacheReadNano, sum(cost_output_nano) AS costOutputNano,
              sum(cost_total_nano) AS costTotalNano
         FROM calls WHERE mission_id = ?`,
    )
    .get(id) as Omit<MissionFigures, 'state' | 'tasks' | 'merged' | 'agents' | 'wallMs' | 'coderCallsPerTask'>;
  const tasks = db.prepare('SELECT state, count(*) AS n FROM mission_tasks WHERE mission_id = ? GROUP BY state').all(id) as { state: string; n: number }[];
  const agents = db
    .prepare(
      // Hours as the measured workload counts them (ledger/workload.ts): from the minute of the
      // agent's first call to the end of the minute of its last, whole minutes.
      `SELECT a.id, a.role, a.model, (max(c.ended_at / 60000) - min(c.ended_at / 60000) + 1) / 60.0 AS hours,
              sum(c.cost_total_nano) AS costNano, count(*) AS calls
         FROM calls c JOIN mission_agents a ON a.mission_id = c.mission_id AND a.id = c.agent_id
        WHERE c.mission_id = ? AND c.status IN ('ok', 'partial')
        GROUP BY a.id`,
    )
    .all(id) as MissionFigures['agents'];
  const coderCalls = agents.filter((a) => a.role === 'coder').reduce((n, a) => n + a.calls, 0);
  const taskCount = tasks.reduce((n, t) => n + t.n, 0);
  return {
    ...sums,
    state: h.engine.get(id).mission.state,
    tasks: taskCount,
    merged: tasks.find((t) => t.state === 'merged')?.n ?? 0,
    coderCallsPerTask: taskCount > 0 ? coderCalls / taskCount : 0,
    agents,
    wallMs,
  };
}

/** One harness (ledger, engine, gateway) over the SDK against its own fake, with its own repository of existing code. */
async function setUp(promptCaching: boolean): Promise<{ h: Harness; fake: FakeMessagesApi }> {
  const fake = await startFakeMessagesApi();
  // A coder that reads two dozen files before its first write makes no "progress" (a write
  // or a submit) for that long: the stall detector (6 turns by default) must allow it.
  const h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }), {
    promptCaching,
    defaults: { stallTurns: 30, maxTurnsPerJob: 60 },
  });
  seedSources(h.repo);
  return { h, fake };
}

/**
 * The estimate of a mission two ways, both from the designer's own functions:
 * - `perCall`: each role and model's cost per call as the estimate prices it (its hourly
 *   rate over its calls per hour) times the calls the mission made. It tests what caching
 *   changes, the tokens of a call (fresh, read, written, output), independently of pace,
 *   which a simulation with scaled latency does not have.
 * - `perHour`: each agent's hourly rate times the hours it worked (first call to last).
 */
function estimateOf(figures: MissionFigures, measured: readonly MeasuredWorkload[] | undefined): { perCall: number; perHour: number } {
  const prices = pricesAt(defaultPriceTable(), Date.now());
  let perCall = 0;
  let perHour = 0;
  for (const a of figures.agents) {
    const price = prices[a.model];
    if (!price) continue;
    const work = measured ? workloadFor(a.role, a.model, measured) : DEFAULT_WORKLOAD[a.role];
    const rate = workNanoPerHour(work, price);
    perCall += (rate / work.callsPerHour) * a.calls;
    perHour += rate * a.hours;
  }
  return { perCall: Math.round(perCall), perHour: Math.round(perHour) };
}

// ------------------------------------------------------------------ report

const usd = (nano: number): string => formatUsd(Math.round(nano));
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
const inputSide = (f: MissionFigures): number => f.costInputNano + f.costCacheWriteNano + f.costCacheReadNano;
const allInput = (f: MissionFigures): number => f.inputTokens + f.write5m + f.write1h + f.read;
const perMerged = (nano: number, f: MissionFigures): number => (f.merged > 0 ? nano / f.merged : Number.NaN);

function report(args: BenchArgs, off: MissionFigures, on: MissionFigures, history: readonly MeasuredWorkload[], benchMs: number): string[] {
  const lines: string[] = [];
  const out = (line = ''): void => void lines.push(line);
  out(`bench:cost: seed ${args.seed}, one team (1 leader + ${CODERS} coders), session workload, latency scale ${args.latencyScale}`);
  out();
  const row = (label: string, a: string, b: string, c = ''): void => out(`  ${label.padEnd(36)} ${a.padStart(14)} ${b.padStart(14)}  ${c}`);
  row('', 'caching off', 'caching on');
  row('mission', off.state, on.state);
  row('tasks merged / planned', `${off.merged} / ${off.tasks}`, `${on.merged} / ${on.tasks}`);
  row('calls (all roles)', int(off.calls), int(on.calls));
  row('coder calls per task', off.coderCallsPerTask.toFixed(1), on.coderCallsPerTask.toFixed(1));
  row('input tokens: fresh', int(off.inputTokens), int(on.inputTokens));
  row('input tokens: cache writes 5m / 1h', `${int(off.write5m)} / ${int(off.write1h)}`, `${int(on.write5m)} / ${int(on.write1h)}`);
  row('input tokens: cache reads', int(off.read), int(on.read));
  row('cache-read share of input tokens', pct(allInput(off) > 0 ? off.read / allInput(off) : 0), pct(allInput(on) > 0 ? on.read / allInput(on) : 0));
  row('output tokens', int(off.output), int(on.output));
  row('input $ (fresh + writes + reads)', usd(inputSide(off)), usd(inputSide(on)));
  row('total $', usd(off.costTotalNano), usd(on.costTotalNano));
  row('input $ per merged task', usd(perMerged(inputSide(off), off)), usd(perMerged(inputSide(on), on)));
  row('total $ per merged task', usd(perMerged(off.costTotalNano, off)), usd(perMerged(on.costTotalNano, on)));
  row('wall time', `${(off.wallMs / 1000).toFixed(1)} s`, `${(on.wallMs / 1000).toFixed(1)} s`);
  out();

  const ratio = perMerged(inputSide(on), on) / perMerged(inputSide(off), off);
  const cut = 1 - ratio;
  out(`Input cost per merged task with caching: ${ratio.toFixed(3)} × the baseline (${pct(cut)} lower). Target ≥ 60 % lower: ${verdict(Number.isFinite(cut) && cut >= 0.6)}`);
  out(`Total cost per merged task with caching: ${(perMerged(on.costTotalNano, on) / perMerged(off.costTotalNano, off)).toFixed(3)} × the baseline`);
  out();

  const measuredEstimate = estimateOf(on, history);
  const assumedEstimate = estimateOf(on, undefined);
  const agentCost = on.agents.reduce((n, a) => n + a.costNano, 0);
  const off_ = (estimate: number): string => `${pct((estimate - agentCost) / agentCost)} off`;
  const within = Math.abs(measuredEstimate.perCall - agentCost) / agentCost <= 0.25;
  out("Estimate before launch against the measured cost (caching on; the agents' calls):");
  out(`  measured (ledger)                                      ${usd(agentCost).padStart(10)}`);
  out(`  estimate, measured workload (history), per call        ${usd(measuredEstimate.perCall).padStart(10)}  ${off_(measuredEstimate.perCall)}. Target within 25 %: ${verdict(within)}`);
  out(`  estimate, measured workload (history), per agent-hour  ${usd(measuredEstimate.perHour).padStart(10)}  ${off_(measuredEstimate.perHour)} (not a target: agent-hours are whole minutes, and here agents work seconds of scaled time)`);
  out(`  estimate, assumed workload (no history), per call      ${usd(assumedEstimate.perCall).padStart(10)}  ${off_(assumedEstimate.perCall)} (today's defaults, for comparison)`);
  out(`  the workload the estimate used, measured in ${history.reduce((n, w) => Math.max(n, w.agents), 0) > 0 ? 'the earlier missions' : 'no mission'} (used where it rests on ${MIN_MEASURED_CALLS}+ calls, else assumed):`);
  for (const w of history) {
    out(
      `    ${w.role.padEnd(8)} ${w.model.padEnd(18)} ${int(w.calls).padStart(5)} calls, per call: ${int(w.inputTokensPerCall)} fresh, ${int(w.cachedInputTokensPerCall)} read, ${int(w.cacheWrite5mTokensPerCall + w.cacheWrite1hTokensPerCall)} written, ${int(w.outputTokensPerCall)} out`,
    );
  }
  out();
  out(`bench ran ${(benchMs / 1000).toFixed(1)} s`);
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const began = performance.now();
  const runs: Array<{ h: Harness; fake: FakeMessagesApi }> = [];
  try {
    const off = await setUp(false);
    runs.push(off);
    console.log('caching off: running the mission…');
    const offFigures = await runMission(off.h, off.fake, off.h.repo, args.seed, args);

    const on = await setUp(true);
    runs.push(on);
    // The history the estimate learns from: earlier missions of the same design, each on its
    // own repository, until every role and model of the design rests on enough calls to be
    // measured rather than assumed (MIN_MEASURED_CALLS), as a person's ledger would after a
    // few missions.
    let history: MeasuredWorkload[] = [];
    for (const [i, goal] of HISTORY_GOALS.entries()) {
      console.log(`caching on: earlier mission ${i + 1} (the history the estimate reads)…`);
      const dir = join(on.h.dir, `history-${i + 1}`);
      mkdirSync(dir, { recursive: true });
      const repo = makeRepo(dir);
      seedSources(repo);
      const figures = await runMission(on.h, on.fake, repo, args.seed + 1_000 * (i + 1), args, goal);
      history = measuredWorkload(on.h.ledger.db);
      if (figures.agents.every((a) => measuredFor(history, a.role, a.model) !== null)) break;
    }
    console.log('caching on: running the mission…');
    const onFigures = await runMission(on.h, on.fake, on.h.repo, args.seed, args);

    console.log('');
    for (const line of report(args, offFigures, onFigures, history, performance.now() - began)) console.log(line);
  } finally {
    for (const r of runs) {
      await r.h.cleanup();
      await r.fake.close();
    }
  }
}

await main();
