import { existsSync } from 'node:fs';
import type { MissionLeftovers } from '../../shared/contract/missions.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { MissionBranches } from '../engine/mission-branches.js';
import { openLedger } from '../ledger/database.js';
import { MissionStore } from '../ledger/mission-repository.js';
import { SettingsRepository } from '../ledger/settings-repository.js';
import { SETTINGS } from '../settings/setting-keys.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';
import { ledgerPath } from './missions-command.js';

/** The options of `control-room clean-up`, as its help shows them. */
export const CLEAN_UP_OPTIONS = {
  db: { type: 'string', valueName: 'FILE', description: "The ledger whose missions to clean up (default: the app's)" },
  'dry-run': { type: 'boolean', description: 'List what finished missions left; remove nothing' },
} as const satisfies OptionSpecs;

/** How many missions may be named on the command line at once. */
export const CLEAN_UP_MAX_MISSIONS = 100;

function describe(m: MissionLeftovers): string {
  const parts = [
    `${m.worktrees.length} worktree${m.worktrees.length === 1 ? '' : 's'}`,
    `${m.branches.length} branch${m.branches.length === 1 ? '' : 'es'}`,
  ];
  if (m.sizeBytes !== null && m.sizeBytes > 0) parts.push(`${(m.sizeBytes / 1024 / 1024).toFixed(1)} MB`);
  return `${m.missionId}  ${safeMessage(m.name, 40)}  ${m.state}  ${parts.join(', ')}${m.keepBranches ? '  (branches kept)' : ''}`;
}

/**
 * `control-room clean-up [MISSION...] [--dry-run]`: lists what done, failed and cancelled
 * missions left (worktrees, team and coder branches) and removes it: every finished
 * mission's whose branches were not kept, or the missions named (kept ones too). A named
 * mission that is not finished is refused and nothing is removed. Like `missions`, it starts
 * no engine, so missions the app is running stay as they are; mission branches stay.
 */
export async function cleanUpCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const dbPath = ledgerPath(args, io);
  const dryRun = args.values['dry-run'] === true;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const named = args.positionals;
  if (!existsSync(dbPath)) {
    if (named.length > 0) throw new Error(`no ledger at ${quote(dbPath, 200)}, so no mission ${quote(named[0] ?? '')}`);
    out(`Nothing to clean up: no ledger at ${quote(dbPath, 200)}.`);
    return 0;
  }
  const ledger = openLedger(dbPath);
  try {
    const store = new MissionStore(ledger.db);
    const branches = new MissionBranches({
      db: ledger.db,
      store,
      now: () => new Date().toISOString(),
      logError: (what, error) => io.stderr.write(`${what}: ${error instanceof Error ? error.message : String(error)}\n`),
      current: (id) => store.getMission(id),
      openWorkspace: () => null,
      workspaceRemoved: () => undefined,
    });
    // The app's setting says which finished missions keep their branches, as it does for the app.
    branches.setDefaultKeep(new SettingsRepository(ledger.db).get(SETTINGS.keepBranches.key, SETTINGS.keepBranches.spec));
    const { missions, unknown } = await branches.leftovers();
    const chosen = named.length > 0 ? named : missions.filter((m) => !m.keepBranches).map((m) => m.missionId);
    if (missions.length === 0 && named.length === 0) out('Finished missions left nothing behind.');
    for (const m of missions) out(`${chosen.includes(m.missionId) ? (dryRun ? 'would remove' : 'removing') : 'keeping'}  ${describe(m)}`);
    for (const u of unknown) out(`not ours    cr/${u.slug}/ in ${u.repoPath}: ${u.branches.length} branch${u.branches.length === 1 ? '' : 'es'} (left alone)`);
    if (dryRun || chosen.length === 0) {
      if (dryRun) out('Nothing was removed (--dry-run).');
      return 0;
    }
    const result = await branches.cleanUp(chosen);
    const trees = result.missions.reduce((n, m) => n + m.worktrees.length, 0);
    const gone = result.missions.reduce((n, m) => n + m.branches.length, 0);
    out(`Removed ${trees} worktree${trees === 1 ? '' : 's'} and ${gone} branch${gone === 1 ? '' : 'es'}; mission branches were kept.`);
    return 0;
  } finally {
    ledger.close();
  }
}
