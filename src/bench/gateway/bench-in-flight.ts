/**
 * `npm run bench:in-flight`: what billing a streamed call from its message_start costs the
 * ledger (issue 20). Each call is written the way the gateway writes it, in a real ledger
 * opened as the app opens it (group commit, background checkpoints), with N calls ending
 * per event-loop turn; three ways in one run, each three times (median shown):
 *   - row only: the attempt's calls row at its end (the baseline, as before);
 *   - in flight across turns: an in-flight row at message_start, committed with that turn,
 *     then the calls row and the in-flight row's removal at the end, a turn later (a real
 *     stream: message_start and the end are never in one turn);
 *   - in one turn: message_start and the end in the same turn (an instant provider), where
 *     the queued in-flight row is never written.
 * Prints microseconds per call of this process's CPU time (user + system: SQLite's work, the
 * commits included; steadier than wall time on a busy machine) and of wall time, each with
 * its ratio to the baseline. Options: --calls N (default 20000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallsRepository, type CallRecord, type InFlightCall } from '../../main/ledger/calls-repository.js';
import { openLedger } from '../../main/ledger/database.js';
import { defaultPricer } from '../../main/ledger/pricing.js';

type Mode = 'row only' | 'in flight across turns' | 'in one turn';
const T0 = Date.UTC(2026, 0, 15);
const turn = () => new Promise((resolve) => setImmediate(resolve));

function record(requestId: string, ended: boolean): CallRecord {
  return {
    requestId,
    missionId: 'm1',
    teamId: 't1',
    agentId: `a${requestId.length % 50}`,
    role: 'coder',
    modelRequested: 'claude-sonnet-4-6',
    startedAt: T0,
    endedAt: T0 + 500,
    status: ended ? 'ok' : 'partial',
    usage: { inputTokens: 1_200, outputTokens: ended ? 300 : 1, cacheReadTokens: 20_000 },
  };
}

interface Sample {
  cpuUs: number;
  wallUs: number;
}

/** Microseconds of CPU and wall time per call for `calls` calls, `perTurn` ending in each turn. */
async function run(mode: Mode, calls: number, perTurn: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-in-flight-'));
  const ledger = openLedger(join(dir, 'ledger.db'), { groupCommit: true, checkpoints: 'background' });
  const repo = new CallsRepository(ledger.db, defaultPricer());
  let pending: { id: string; inFlight?: InFlightCall }[] = [];
  let started = 0;
  const t = performance.now();
  const cpu = process.cpuUsage();
  while (started < calls || pending.length > 0) {
    const ending = pending;
    pending = [];
    for (const p of ending) repo.insertLater(record(p.id, true), undefined, p.inFlight);
    for (let i = 0; i < perTurn && started < calls; i++, started++) {
      const id = `req-${started}`;
      if (mode === 'row only') pending.push({ id });
      else if (mode === 'in flight across turns') pending.push({ id, inFlight: repo.startLater(record(id, false)) });
      else repo.insertLater(record(id, true), undefined, repo.startLater(record(id, false)));
    }
    await turn();
  }
  await turn();
  const wallUs = ((performance.now() - t) * 1_000) / calls;
  const used = process.cpuUsage(cpu);
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpuUs: (used.user + used.system) / calls, wallUs };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--calls');
  const calls = at > 0 ? Number(process.argv[at + 1]) : 20_000;
  const modes: Mode[] = ['row only', 'in flight across turns', 'in one turn'];
  for (const perTurn of [1, 10]) {
    await run('row only', 2_000, perTurn); // warm-up
    const samples = new Map<Mode, Sample[]>(modes.map((m) => [m, []]));
    // Interleaved, so drift hits every mode alike.
    for (let round = 0; round < 3; round++) for (const mode of modes) samples.get(mode)!.push(await run(mode, calls, perTurn));
    const median = (mode: Mode, key: keyof Sample) => samples.get(mode)!.map((s) => s[key]).sort((a, b) => a - b)[1]!;
    console.log(`${perTurn} call(s) ending per turn:`);
    for (const mode of modes) {
      const cpu = median(mode, 'cpuUs');
      const wall = median(mode, 'wallUs');
      console.log(
        `  ${mode.padEnd(24)} CPU ${cpu.toFixed(1)} us/call (x${(cpu / median('row only', 'cpuUs')).toFixed(2)}), ` +
          `wall ${wall.toFixed(1)} us/call (x${(wall / median('row only', 'wallUs')).toFixed(2)})`,
      );
    }
  }
}

await main();
