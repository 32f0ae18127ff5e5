/**
 * `npm run bench:ui`: does the UI stay responsive while 1,000 busy agents stream in?
 * Target (from the issue): the page gets no more than a few batched messages a second
 * and shows no long task over 50 ms. A benchmark prints figures; it is not a test.
 *
 * What is real: the backend (ledger, handlers, EventHub with its 250 ms batching and
 * coalescing), browser mode's server and WebSocket, and the built renderer (store,
 * slices, virtualized agents table) in Debian's Chromium. What is synthetic: the event
 * source. Running 1,000 real agents needs 1,000 git worktrees, so a real draft mission
 * of 1,000 agents is created through `backend.invoke` and then `agents:changed`,
 * `tasks:changed`, `missions:changed` and `costs:changed` are emitted into the real hub
 * with the engine's own coalesce keys, at the rate a busy mission would produce them.
 *
 * Needs `npm run build` first (the npm script does it). Options: --seconds N (stream
 * per view, default 20 on Agents), --idle-seconds N (baseline, default 8),
 * --rate N (changes per agent per second, default 4). To see what the Agents view spends
 * its time on while it streams: --profile FILE writes the page's CPU profile (.cpuprofile)
 * and prints the functions that took the most time; --trace FILE writes a Chromium trace
 * (style, layout and paint too; both open in Chrome DevTools). Build the renderer with
 * `vite build --config renderer/vite.config.ts --minify false` first for readable names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium, type CDPSession, type Page } from '@playwright/test';
import { findChromium } from '../../../e2e/browser.js';
import type { AgentState, AgentView, MissionView, TaskState, TaskView } from '../../shared/mission.js';
import type { AgentSpec } from '../../shared/team.js';
import { openBackend, type Backend } from '../../main/app/backend.js';
import { startServer } from '../../main/server/server.js';

const AGENTS = 1_000;
const TEAM_SIZE = 20;
const TASKS = 200;
/** Ticks of the synthetic source per second; each tick touches a slice of the agents. */
const TICKS_PER_SECOND = 40;
const LIVE_STATES: readonly AgentState[] = ['working', 'working', 'waiting_tool', 'waiting_limiter', 'idle'];
const TASK_FLOW: readonly TaskState[] = ['ready', 'claimed', 'in_progress', 'submitted', 'reviewed'];

interface BenchArgs {
  seconds: number;
  idleSeconds: number;
  rate: number;
  profile: string | null;
  trace: string | null;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { seconds: 20, idleSeconds: 8, rate: 4, profile: null, trace: null };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--profile') {
      args.profile = argv[i + 1] ?? fail('--profile needs a file name');
      continue;
    }
    if (argv[i] === '--trace') {
      args.trace = argv[i + 1] ?? fail('--trace needs a file name');
      continue;
    }
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    if (flag === '--seconds') args.seconds = value;
    else if (flag === '--idle-seconds') args.idleSeconds = value;
    else if (flag === '--rate') args.rate = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

/** What the page measured over one window (see PAGE_PROBE). */
interface PageWindow {
  seconds: number;
  longTasks: number[];
  frames: number;
  heapMb: number | null;
}

interface PhaseResult {
  name: string;
  page: PageWindow;
  wsMessages: number;
  wsBytes: number;
  wsEvents: number;
  emitted: number;
}

/**
 * Installed before the app's own scripts: long tasks from a buffered observer, and a
 * requestAnimationFrame counter (frames the page actually produced). Read and reset per
 * window so each phase is measured on its own.
 */
const PAGE_PROBE = `(() => {
  const probe = { longTasks: [], frames: 0, since: performance.now() };
  window.__uiBench = probe;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const tick = () => { probe.frames += 1; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})();`;

// Strings rather than functions: this Node code is type-checked without the DOM library.
async function resetWindow(page: Page): Promise<void> {
  await page.evaluate(
    'Object.assign(window.__uiBench, { longTasks: [], frames: 0, since: performance.now() })',
  );
}

async function readWindow(page: Page): Promise<PageWindow> {
  return page.evaluate<PageWindow>(`(() => {
    const probe = window.__uiBench;
    return {
      seconds: (performance.now() - probe.since) / 1000,
      longTasks: probe.longTasks.filter((t) => t.start >= probe.since).map((t) => t.duration),
      frames: probe.frames,
      heapMb: performance.memory ? performance.memory.usedJSHeapSize / 2 ** 20 : null,
    };
  })()`);
}

const go = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);

/** Counts the WebSocket frames the page receives, from the browser's side (CDP), at no cost to the page. */
function countFrames(cdp: CDPSession): { messages: number; bytes: number; events: number; reset(): void } {
  const counter = {
    messages: 0,
    bytes: 0,
    events: 0,
    reset() {
      counter.messages = counter.bytes = counter.events = 0;
    },
  };
  cdp.on('Network.webSocketFrameReceived', ({ response }) => {
    counter.messages += 1;
    counter.bytes += response.payloadData.length;
    // Only event frames carry a list; answers to invokes do not.
    const match = /"kind":"events"/.test(response.payloadData);
    if (match) counter.events += (JSON.parse(response.payloadData) as { events: unknown[] }).events.length;
  });
  return counter;
}

/**
 * The synthetic source: every agent changes state, tokens and cost `rate` times a
 * second, a task moves along its flow about once a second, and every tick adds to the
 * mission's spend, as the engine's runtime and gateway would report them.
 */
class EventSource {
  emitted = 0;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private readonly agents: AgentView[];
  private readonly tasks: TaskView[];

  constructor(
    private readonly backend: Backend,
    private readonly mission: MissionView,
    agents: AgentView[],
    private readonly rate: number,
  ) {
    this.agents = agents.map((a) => ({ ...a }));
    this.tasks = Array.from({ length: TASKS }, (_, i) => ({
      id: `bench-task-${i}`,
      missionId: mission.id,
      teamId: agents[(i * TEAM_SIZE) % agents.length]?.teamId ?? 'team0',
      key: `T${i}`,
      title: `Synthetic task ${i}`,
      description: 'Streams through the hub so the task board has something to redraw.',
      acceptanceCriteria: ['It works'],
      owns: [`src/module-${i}.ts`],
      dependsOn: [],
      planRound: 0,
      state: 'ready',
      assignee: null,
      attempts: 0,
      feedback: null,
      submissionSummary: null,
      mergedCommit: null,
      updatedAt: new Date().toISOString(),
    }));
  }

  start(): void {
    const perTick = Math.max(1, Math.round((this.agents.length * this.rate) / TICKS_PER_SECOND));
    const tasksPerTick = Math.max(1, Math.round(TASKS / TICKS_PER_SECOND));
    this.timer = setInterval(() => {
      const events = this.backend.events;
      const now = new Date().toISOString();
      for (let i = 0; i < perTick; i++) {
        const a = this.agents[(this.tick * perTick + i) % this.agents.length] as AgentView;
        a.state = LIVE_STATES[(this.tick + i) % LIVE_STATES.length] as AgentState;
        a.inputTokens += 1_200;
        a.outputTokens += 150;
        a.costNanoUsd += 5_850_000;
        a.lastActivityAt = now;
        // The key MissionRuntime uses: only an agent's latest snapshot is sent.
        events.emit('agents:changed', { ...a }, `${a.missionId}:${a.id}`);
        this.emitted += 1;
      }
      for (let i = 0; i < tasksPerTick; i++) {
        const t = this.tasks[(this.tick * tasksPerTick + i) % this.tasks.length] as TaskView;
        t.state = TASK_FLOW[(TASK_FLOW.indexOf(t.state) + 1) % TASK_FLOW.length] as TaskState;
        t.assignee = t.state === 'ready' ? null : (this.agents[i]?.id ?? null);
        t.updatedAt = now;
        events.emit('tasks:changed', { ...t }, t.id);
        this.emitted += 1;
      }
      events.emit('costs:changed', { at: Date.now(), missionId: this.mission.id }, this.mission.id);
      this.emitted += 1;
      this.tick += 1;
    }, 1000 / TICKS_PER_SECOND);
  }

  stop(): void {
    clearInterval(this.timer);
    this.backend.events.flush();
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/** The parts of a CDP `Profiler.Profile` read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The functions the page spent most time in: self time (the function's own code) and
 * total time (with what it called, each function counted once per sample however deep
 * its recursion), from the sampled stacks of a CDP profile.
 */
function printProfile(profile: CpuProfile, top = 25): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id: number) => {
    const f = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(name(id), (self.get(name(id)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(name(at));
    for (const n of seen) total.set(n, (total.get(n) ?? 0) + ms);
  });
  const list = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [n, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt(ms, 0).padStart(8)} ms  ${n}`);
  };
  list('CPU profile, self time:', self);
  list('CPU profile, total time:', total);
}

async function createMission(
  backend: Backend,
  repo: string,
): Promise<{ mission: MissionView; agents: AgentView[] }> {
  const teams = Math.ceil(AGENTS / TEAM_SIZE);
  const saved = await backend.invoke('teams:save', {
    design: {
      name: 'UI bench',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: Array.from({ length: teams }, (_, t) => ({
        id: `team${t}`,
        name: `Team ${t}`,
        budgetNanoUsd: null,
        position: { x: t * 100, y: 0 },
        agents: Array.from({ length: Math.min(TEAM_SIZE, AGENTS - t * TEAM_SIZE) }, (_, c): AgentSpec => ({
          id: c === 0 ? `team${t}-lead` : `team${t}-c${c}`,
          name: c === 0 ? `lead-${t}` : `coder-${t}-${c}`,
          role: c === 0 ? 'leader' : 'coder',
          model: c === 0 ? 'claude-opus-4-8' : 'claude-sonnet-4-6',
          budgetNanoUsd: null,
          systemPrompt: 'Write small, tested, dependency-free modules.',
          permissions: { allowedCommands: ['node --test'], writeScope: [] },
          idleTimeoutSec: null,
        })),
      })),
    },
  });
  if (!saved.ok) fail(`teams:save failed: ${saved.error.message}`);
  const created = await backend.invoke('missions:create', {
    designId: (saved.data as { id: string }).id,
    goal: 'Build a bookmarks manager with tags, search and an import from CSV',
    repoPath: repo,
    skipPlanApproval: true,
    budgetUsd: 100_000,
  });
  if (!created.ok) fail(`missions:create failed: ${created.error.message}`);
  const mission = created.data as MissionView;
  const listed = await backend.invoke('agents:list', { missionId: mission.id });
  if (!listed.ok) fail(`agents:list failed: ${listed.error.message}`);
  return { mission, agents: listed.data as AgentView[] };
}

async function runPhase(
  name: string,
  page: Page,
  frames: ReturnType<typeof countFrames>,
  seconds: number,
  source: EventSource | null,
): Promise<PhaseResult> {
  const emittedBefore = source?.emitted ?? 0;
  await resetWindow(page);
  frames.reset();
  await delay(seconds * 1000);
  const window = await readWindow(page);
  return {
    name,
    page: window,
    wsMessages: frames.messages,
    wsBytes: frames.bytes,
    wsEvents: frames.events,
    emitted: (source?.emitted ?? 0) - emittedBefore,
  };
}

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(results: PhaseResult[]): void {
  const baseline = results[0] as PhaseResult;
  const baseFps = baseline.page.frames / baseline.page.seconds;
  const rows = results.map((r) => {
    const s = r.page.seconds;
    const lt = r.page.longTasks;
    const over50 = lt.filter((d) => d > 50).length;
    const fps = r.page.frames / s;
    return [
      r.name,
      fmt(r.emitted / s, 0),
      fmt(r.wsMessages / s),
      fmt(r.wsEvents / s, 0),
      fmt(r.wsBytes / s / 1024, 0),
      String(lt.length),
      String(over50),
      lt.length ? fmt(Math.max(...lt), 0) : '-',
      fmt(
        lt.reduce((x, y) => x + y, 0),
        0,
      ),
      `${fmt(fps, 0)} (${fmt((fps / baseFps) * 100, 0)} %)`,
      r.page.heapMb === null ? '-' : fmt(r.page.heapMb, 0),
    ];
  });
  const head = [
    'phase',
    'emitted/s',
    'ws msgs/s',
    'events/s in',
    'KiB/s',
    'long tasks',
    '>50 ms',
    'max ms',
    'total ms',
    'rAF/s (vs idle)',
    'heap MB',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const staticDir = resolve('dist/renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    fail('dist/renderer is missing: run `npm run build` first (`npm run bench:ui` does).');
  }
  const dir = mkdtempSync(join(tmpdir(), 'cr-bench-ui-'));
  const repo = join(dir, 'repo');
  // A mission needs a repository with a commit; nothing is ever checked out from it here.
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync(
    'git',
    [
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@localhost',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'init',
    ],
    { cwd: repo },
  );
  const backend = openBackend({
    dataDir: join(dir, 'data'),
    runtime: 'browser',
    env: { ...process.env, ANTHROPIC_API_KEY: '' },
  });
  const server = await startServer({ backend, port: 0, staticDir });
  const found = findChromium();
  if ('missing' in found) throw new Error(`bench:ui needs a browser: ${found.missing}`);
  const browser = await chromium.launch({
    executablePath: found.path,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      // A hidden or occluded page is throttled; the person watching the control room is not.
      '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows',
      // performance.memory with real figures rather than bucketed ones.
      '--enable-precise-memory-info',
    ],
  });
  let source: EventSource | null = null;
  try {
    const { mission, agents } = await createMission(backend, repo);
    console.log(
      `UI bench: ${agents.length} agents in ${Math.ceil(agents.length / TEAM_SIZE)} teams, ${TASKS} tasks; ` +
        `${args.rate} changes per agent per second; hub flush 250 ms; Chromium ${browser.version()}.`,
    );
    console.log(
      'Event source: SYNTHETIC (no model calls, no worktrees). Real: backend, EventHub batching and\n' +
        'coalescing, browser-mode server and WebSocket, the built renderer (store, slices, virtualized table).\n',
    );

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.addInitScript(PAGE_PROBE);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const frames = countFrames(cdp);

    await page.goto(server.url);
    await go(page, '#/agents');
    // The table is virtualized; its row count says the whole list arrived.
    await page
      .locator(`[role="table"][aria-label="Agents"][aria-rowcount="${agents.length + 1}"]`)
      .waitFor({ timeout: 30_000 });
    await delay(2_000);

    const results: PhaseResult[] = [];
    results.push(await runPhase('Agents, idle (baseline)', page, frames, args.idleSeconds, null));

    source = new EventSource(backend, mission, agents, args.rate);
    source.start();
    if (args.profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    if (args.trace) {
      const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'];
      await browser.startTracing(page, { path: args.trace, categories });
    }
    results.push(await runPhase('Agents, streaming', page, frames, args.seconds, source));
    if (args.trace) await browser.stopTracing();
    let profile: CpuProfile | null = null;
    if (args.profile) {
      profile = ((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile;
      writeFileSync(args.profile, JSON.stringify(profile));
    }

    // Between views the source pauses and the page drains what it was sent, so that a view
    // which fell behind does not bill its backlog to the next one.
    const switchTo = async (hash: string) => {
      source?.stop();
      await delay(3_000);
      await go(page, hash);
      await delay(1_500);
      source?.start();
      await delay(500);
    };
    await switchTo('#/costs');
    results.push(await runPhase('Costs, streaming', page, frames, Math.max(5, args.seconds / 2), source));
    await switchTo(`#/missions/${mission.id}`);
    results.push(
      await runPhase('Mission page, streaming', page, frames, Math.max(5, args.seconds / 2), source),
    );
    source.stop();

    report(results);
    if (profile) printProfile(profile);
    const streamed = results.slice(1);
    const worst = Math.max(0, ...streamed.flatMap((r) => r.page.longTasks));
    const msgs = Math.max(...streamed.map((r) => r.wsMessages / r.page.seconds));
    console.log(
      `\nTargets: a few WebSocket messages a second (worst view: ${fmt(msgs)}/s) and no long task over 50 ms ` +
        `(worst while streaming: ${worst ? `${fmt(worst, 0)} ms` : 'none'}).`,
    );
    console.log(
      'Long tasks are the page\'s own (PerformanceObserver "longtask"); ws figures are counted over CDP.',
    );
    if (errors.length) console.log(`\nThe page reported ${errors.length} error(s), first: ${errors[0]}`);
  } finally {
    source?.stop();
    await browser.close();
    await server.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
