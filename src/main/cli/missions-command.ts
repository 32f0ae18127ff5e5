import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FINAL_MISSION_STATES, type MissionSummary } from '../../shared/mission.js';
import { resultLabel } from '../../shared/mission-result.js';
import { formatUsd } from '../../shared/money.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { DATABASE_FILE, defaultDataDir } from '../app/paths.js';
import { missionSummary } from '../engine/state-writes.js';
import { openLedger } from '../ledger/database.js';
import { MissionStore } from '../ledger/mission-repository.js';
import type { MissionRecord } from '../ledger/mission-tables.js';
import { stringOption, type OptionSpecs, type ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';

/** The options of `control-room missions`, as its help shows them. */
export const MISSIONS_OPTIONS = {
  db: { type: 'string', valueName: 'FILE', description: "The ledger to read (default: the app's)" },
  json: { type: 'boolean', description: 'Print one JSON array of the missions (raw figures: nano-dollars, ISO times)' },
} as const satisfies OptionSpecs;

/** The ledger a command reads: `--db`, else the app's. */
export function ledgerPath(args: ParsedArgs, io: CliIo): string {
  return resolve(stringOption(args, 'db') ?? join(defaultDataDir(process.platform, io.env), DATABASE_FILE));
}

/** Tasks of the current plan merged, of those it has (a cancelled task is not work left). */
export function missionProgress(m: Pick<MissionSummary, 'taskCounts'>): { merged: number; total: number } {
  let total = 0;
  for (const [state, n] of Object.entries(m.taskCounts)) if (state !== 'cancelled') total += n ?? 0;
  return { merged: m.taskCounts.merged ?? 0, total };
}

/**
 * A mission's state as the listing shows it: how a finished one ended where its state
 * does not say ('done (merged)', 'done (declined)', 'done (pull request)'), else its state.
 */
export function stateText(m: Pick<MissionSummary, 'state' | 'resultKind'>): string {
  const kind = resultLabel(m)?.toLowerCase();
  return kind && kind !== m.state ? `${m.state} (${kind})` : m.state;
}

/** `3/5 merged`, or `no tasks yet`. */
export function progressText(m: Pick<MissionSummary, 'taskCounts'>): string {
  const { merged, total } = missionProgress(m);
  return total === 0 ? 'no tasks yet' : `${merged}/${total} merged`;
}

/** Summaries of every mission in the ledger, most recently updated first, read without starting an engine. */
export function listMissions(store: MissionStore): MissionSummary[] {
  return store
    .listMissions()
    .map((m) => missionSummary(store, m, store.tasks(m.id), store.escalations(m.id)))
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt));
}

/**
 * The mission `run --resume` continues: `requested` (an id, or an id's unique prefix), or
 * the most recently updated one that has not finished. Read before an engine opens the
 * ledger, whose start-up pauses every mission a crash left working (and so touches their
 * update times). Throws one line when there is none, or when the one named has finished.
 */
export function pickResumable(store: MissionStore, requested: string | undefined, dbPath: string): MissionRecord {
  const missions = store.listMissions();
  if (requested === undefined) {
    const open = missions
      .filter((m) => !FINAL_MISSION_STATES.includes(m.state))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt));
    const latest = open[0];
    if (!latest) throw new Error(`no paused or unfinished mission in ${quote(dbPath, 200)}; "control-room missions" lists them`);
    return latest;
  }
  const exact = missions.find((m) => m.id === requested);
  const matches = exact ? [exact] : requested.length >= 4 ? missions.filter((m) => m.id.startsWith(requested)) : [];
  if (matches.length > 1) throw new Error(`mission id ${quote(requested)} is ambiguous (${matches.length} missions start with it); give more of it`);
  const found = matches[0];
  if (!found) throw new Error(`no mission ${quote(requested)} in ${quote(dbPath, 200)}; "control-room missions" lists them`);
  if (FINAL_MISSION_STATES.includes(found.state)) {
    throw new Error(`mission ${quote(found.name)} (${found.id}) is ${found.state}; only a paused or unfinished mission can be resumed`);
  }
  return found;
}

/**
 * `control-room missions`: the ledger's missions, one line each (id, name, state,
 * progress, cost, last update), most recently updated first; `--json` prints the
 * summaries the app's list shows, with their progress. Reads only: no engine starts, so
 * a mission the app is running is not disturbed.
 */
export function missionsCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const dbPath = ledgerPath(args, io);
  const json = args.values.json === true;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  // Opening would create an empty ledger; a listing must not leave one behind.
  if (!existsSync(dbPath)) {
    if (json) out('[]');
    else out(`No missions: no ledger at ${quote(dbPath, 200)}.`);
    return Promise.resolve(0);
  }
  const ledger = openLedger(dbPath);
  try {
    const missions = listMissions(new MissionStore(ledger.db));
    if (json) {
      out(JSON.stringify(missions.map((m) => ({ ...m, progress: missionProgress(m) }))));
      return Promise.resolve(0);
    }
    if (missions.length === 0) {
      out(`No missions in ${quote(dbPath, 200)}.`);
      return Promise.resolve(0);
    }
    const rows = missions.map((m) => [
      m.id,
      safeMessage(m.name, 40),
      stateText(m),
      progressText(m),
      `${formatUsd(m.spentNanoUsd)}${m.budgetNanoUsd === null ? '' : ` / ${formatUsd(m.budgetNanoUsd)}`}`,
      m.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    ]);
    const header = ['ID', 'NAME', 'STATE', 'PROGRESS', 'COST', 'UPDATED'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    out(line(header));
    for (const r of rows) out(line(r));
    return Promise.resolve(0);
  } finally {
    ledger.close();
  }
}
