/**
 * `npm run bench:coordination`: one simulated 4 × 4 × 4 mission (four teams of a leader
 * and three coders, the template's briefs) in two phases on a real git repository in a
 * temp dir, driven as `control-room run --director --auto-approve` drives it: the
 * director drafts each team's share and the draft is approved once written, every plan
 * approval and the final merge are approved at once. Then, from the ledger and the
 * repository of that run, it prints how long each phase waited for the previous one's
 * integration, the director's and the integrations' share of the mission's wall time,
 * duplicate work between teams and merge conflicts that reached the person (targets: 0
 * with disjoint briefs), and the ledger's calls, tokens and dollars. A benchmark prints
 * figures; it is not a test. It talks to nobody (the simulated provider, no server) and
 * removes its temp dir.
 *
 * Options: --seed N (default 7)  --latency-scale X (simulated latency; default 0.05)
 *   --phases 1|2|3 (default 2)  --timeout-seconds N (default 300)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { briefPayload } from '../../shared/mission-brief.js';
import type { MissionDetail } from '../../shared/mission.js';
import { formatUsd } from '../../shared/money.js';
import { createEngineServices, type EngineServices } from '../../main/app/engine-services.js';
import { openLedger, type Ledger } from '../../main/ledger/database.js';
import { TeamRepository } from '../../main/ledger/team-repository.js';
import { makeRepo } from '../../main/engine/testing/harness.js';
import { CODERS_PER_TEAM, coordinationDesign, PHASE_CHOICES } from './design.js';
import { measureMission, type CoordinationFigures } from './measure.js';

interface BenchArgs {
  seed: number;
  latencyScale: number;
  phases: number;
  timeoutSeconds: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { seed: 7, latencyScale: 0.05, phases: 2, timeoutSeconds: 300 };
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
      case '--phases':
        args.phases = need(PHASE_CHOICES.includes(n), `one of ${PHASE_CHOICES.join(', ')}`);
        break;
      case '--timeout-seconds':
        args.timeoutSeconds = need(Number.isFinite(n) && n > 0, 'a positive number');
        break;
      default:
        throw new Error(`unknown option ${flag.slice(0, 40)} (known: --seed, --latency-scale, --phases, --timeout-seconds)`);
    }
  }
  return args;
}

const GOAL = 'Build a job-processing service: a database schema and config, background workers and queues, deployment and health checks, and an API with a small UI.';

/** Answers every open human escalation as `run --auto-approve` does, until the mission ends or the time is up. */
async function driveToEnd(services: EngineServices, missionId: string, deadline: number): Promise<MissionDetail> {
  const { engine } = services;
  for (;;) {
    const detail = engine.get(missionId);
    const state = detail.mission.state;
    if (state === 'done' || state === 'failed' || state === 'cancelled') return detail;
    if (performance.now() > deadline) {
      engine.pause(missionId);
      throw new Error(`the mission was still ${state} at the timeout (raise --timeout-seconds or lower --latency-scale)`);
    }
    for (const e of engine.escalations(missionId, true)) {
      if (e.level !== 'human') continue;
      // The director's draft is answered once written, as the CLI does; until then the mission waits.
      const status = e.type === 'mission_brief' ? briefPayload(e.payload)?.status : null;
      if (status === 'drafting') continue;
      await engine.decide({ id: e.id, decision: 'approve', comment: '', alwaysAllow: false });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ------------------------------------------------------------------ report

const sec = (x: number): string => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : '-');
const pct = (part: number, whole: number): string => (Number.isFinite(part) && whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : '-');
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

function report(args: BenchArgs, detail: MissionDetail, f: CoordinationFigures, benchMs: number): string[] {
  const lines: string[] = [];
  const out = (line = ''): void => void lines.push(line);
  const phases = [...new Set(detail.teams.map((t) => t.phase))].sort((a, b) => a - b);
  out(`Mission ${detail.mission.state}: ${detail.mission.outcome ?? ''}`);
  out(`  ${detail.teams.length} teams × (1 leader + ${CODERS_PER_TEAM} coders), ${phases.length} phase(s): ${phases
    .map((p) => `${p}: ${detail.teams.filter((t) => t.phase === p).map((t) => t.name).join(', ')}`)
    .join('; ')}`);
  out(`  ${detail.tasks.length} tasks (${detail.tasks.filter((t) => t.state === 'merged').length} merged), mission wall time ${sec(f.wallMs)} (started → done, from the ledger)`);
  out();

  const row = (label: string, x: number, share = true, note = ''): void =>
    out(`  ${label.padEnd(44)} ${sec(x).padStart(9)}${share ? `  ${pct(x, f.wallMs).padStart(7)}` : ''}${note ? `  ${note}` : ''}`);

  out("Phase waits: from the previous phase's last task merged into its team branch (task log) to this phase's first leader call (calls ledger)");
  if (f.phaseWaits.length === 0) out('  (one phase: nothing waits)');
  for (const w of f.phaseWaits) {
    row(`phase ${w.phase} (${w.teams.join(', ')})`, w.to - w.from, false);
    row('  last task merged → integrating', w.untilIntegrating, false);
    row('  integrating → last team merged', w.merging, false);
    row('  last team merged → planning', w.startingBranches, false, "(this phase's branches start from the mission branch)");
    row('  planning → first leader call', w.untilFirstCall, false);
  }
  out();

  out("Share of the mission's wall time");
  row('director: start → its draft approved', f.director.stageMs);
  row(`  of which its ${f.director.calls} model call(s)`, f.director.callMs);
  let integrationMs = 0;
  for (const i of f.integrations) {
    integrationMs += i.ms;
    row(`integration of phase ${i.phase} (${i.teamsMerged} team${i.teamsMerged === 1 ? '' : 's'} merged)`, i.ms);
  }
  row('integration, all phases', integrationMs);
  row('final merge: asked → approved', f.finalMerge.askedToApprovedMs, true, "(the auto-approver's poll)");
  row('final merge: approved → merged into main', f.finalMerge.approvedToDoneMs);
  out("  (a phase's integration: the mission entering `integrating` → the phase's last team merged into the mission branch)");
  out(`  (model latency is scaled by ${args.latencyScale}; git and the engine run at full speed, so at scale 1 their shares are smaller)`);
  out();

  const d = f.duplicates;
  out('Duplicate work');
  out(`  task pairs of different teams owning overlapping paths: ${d.taskPairs.length}  (target 0: ${verdict(d.taskPairs.length === 0)})`);
  for (const p of d.taskPairs.slice(0, 5)) out(`    ${p.a} and ${p.b} (${p.path})`);
  out(`  files changed by more than one team:                    ${d.sharedFiles.length}  (target 0: ${verdict(d.sharedFiles.length === 0)})`);
  for (const s of d.sharedFiles.slice(0, 5)) out(`    ${s.file}: ${s.teams.join(', ')}`);
  out(`  files changed per team: ${Object.entries(d.filesPerTeam).map(([team, n]) => `${team} ${n}`).join(', ')}`);
  out();

  out('Merge conflicts');
  out(`  that reached the person: ${f.conflicts.reachedPerson} of ${f.conflicts.total}  (target 0 with disjoint briefs: ${verdict(f.conflicts.reachedPerson === 0)})`);
  const answered = Object.entries(f.personAnswered).map(([type, n]) => `${type} ${n}`).join(', ');
  out(`  answered for the person (auto-approved): ${answered || 'none'}`);
  out();

  const l = f.ledger;
  out('Ledger (this mission)');
  out(`  calls: ${int(l.calls)} (${Object.entries(l.callsByRole).map(([role, n]) => `${role} ${n}`).join(', ')})`);
  out(`  tokens: input ${int(l.inputTokens)}, output ${int(l.outputTokens)}, cache read ${int(l.cacheReadTokens)}, cache write ${int(l.cacheWriteTokens)}`);
  out(`  dollars: ${formatUsd(l.costNano)}`);
  out();
  out(`seed ${args.seed}, latency scale ${args.latencyScale}, ${cpus().length} CPU(s); the bench took ${sec(benchMs)} in all`);
  return lines;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const benchStart = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cr-bench-coordination-'));
  let ledger: Ledger | undefined;
  let services: EngineServices | undefined;
  const cleanup = (): void => {
    try {
      services?.close();
    } finally {
      services = undefined;
      ledger?.close();
      ledger = undefined;
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  };
  const interrupted = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    const repo = makeRepo(dir);
    const dataDir = join(dir, 'data');
    ledger = openLedger(join(dataDir, 'ledger.db'));
    // No key and no fleet in the environment: the simulated provider only, nothing leaves the process.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANTHROPIC_') && !k.startsWith('CONTROL_ROOM_')));
    services = createEngineServices({
      db: ledger.db,
      dataDir,
      provider: 'simulated',
      env,
      seed: args.seed,
      latencyScale: args.latencyScale,
      logError: (what, error) => process.stderr.write(`[bench] ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`),
    });
    const design = new TeamRepository(ledger.db).save(coordinationDesign(args.phases));
    const mission = services.engine.create({
      designId: design.id,
      goal: GOAL,
      repoPath: repo,
      baseBranch: 'main',
      skipPlanApproval: false,
      allowedCommands: [],
      copyFiles: [],
      director: true,
    });
    process.stdout.write(`bench:coordination: ${design.teams.length} teams, ${args.phases} phase(s), seed ${args.seed}, latency scale ${args.latencyScale} …\n`);
    await services.engine.start(mission.id);
    const detail = await driveToEnd(services, mission.id, performance.now() + args.timeoutSeconds * 1_000);
    if (detail.mission.state !== 'done') throw new Error(`the mission ended ${detail.mission.state}: ${detail.mission.outcome ?? 'no outcome'}`);
    const figures = measureMission(ledger.db, repo, detail);
    process.stdout.write(`${report(args, detail, figures, performance.now() - benchStart).join('\n')}\n`);
  } finally {
    process.removeListener('SIGINT', interrupted);
    cleanup();
  }
}

try {
  await main();
} catch (error) {
  // Bad options or a mission that did not finish: one line, no stack.
  process.stderr.write(`bench:coordination: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
