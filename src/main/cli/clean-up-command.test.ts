import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsRepository } from '../ledger/settings-repository.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { SETTINGS } from '../settings/setting-keys.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from '../engine/testing/harness.js';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

/** `control-room clean-up` on a ledger an engine wrote: a finished mission whose branches were kept, and a paused one. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {} },
    out: () => out,
    err: () => err,
  };
}

const crBranches = (harness: Harness, prefix: string) =>
  git(harness.repo, 'for-each-ref', '--format=%(refname:short)', `refs/heads/${prefix}`)
    .split('\n')
    .filter((b) => b !== '');

async function twoMissions(): Promise<{ harness: Harness; finished: string; paused: string }> {
  const harness = createHarness(new SimulatedProvider({ seed: 3, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 }), { keepBranches: true });
  h = harness;
  // As the app does: the Settings toggle is saved in the ledger and handed to the engine.
  new SettingsRepository(harness.ledger.db).set(SETTINGS.keepBranches.key, SETTINGS.keepBranches.spec, true);
  const design = saveDesign(harness.ledger, [{ id: 'core', coders: 1 }]);
  const create = (name: string) =>
    harness.engine.create({ designId: design.id, name, goal: 'Build a todo CLI', repoPath: harness.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] }).id;
  const finished = create('Done one');
  await harness.engine.start(finished);
  await driveToEnd(harness, finished);
  const paused = create('Paused one');
  await harness.engine.start(paused);
  harness.engine.pause(paused);
  await waitFor(() => !harness.engine.isBusy(paused), 10_000, 'idle');
  await harness.engine.branchesSettled();
  return { harness, finished, paused };
}

describe('control-room clean-up', () => {
  it('lists without removing under --dry-run, keeps kept branches unless the mission is named, and never touches a paused mission', async () => {
    const { harness, finished, paused } = await twoMissions();
    const db = harness.dbPath;
    const pausedBranches = crBranches(harness, 'cr/paused-one/');
    expect(pausedBranches).toHaveLength(3);

    const dry = capture();
    expect(await runCli(['clean-up', '--db', db, '--dry-run'], dry.io)).toBe(0);
    expect(dry.out()).toContain(`keeping  ${finished}  Done one  done  0 worktrees, 2 branches  (branches kept)`);
    expect(dry.out()).not.toContain(paused);
    expect(dry.out()).toContain('Nothing was removed (--dry-run).');
    expect(crBranches(harness, 'cr/done-one/')).toHaveLength(3);

    // Naming the paused mission is refused whole, in one line.
    const refused = capture();
    expect(await runCli(['clean-up', '--db', db, finished, paused], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/^control-room clean-up: only finished missions can be cleaned up: "Paused one" is paused; nothing was removed\n$/);
    expect(crBranches(harness, 'cr/done-one/')).toHaveLength(3);

    const named = capture();
    expect(await runCli(['clean-up', '--db', db, finished], named.io)).toBe(0);
    expect(named.out()).toContain('Removed 0 worktrees and 2 branches; mission branches were kept.');
    expect(crBranches(harness, 'cr/done-one/')).toEqual(['cr/done-one/@mission']);
    expect(crBranches(harness, 'cr/paused-one/')).toEqual(pausedBranches);
    expect(git(harness.repo, 'worktree', 'list').split('\n')).toHaveLength(1 + 3);

    const again = capture();
    expect(await runCli(['clean-up', '--db', join(harness.dir, 'nowhere.db')], again.io)).toBe(0);
    expect(again.out()).toMatch(/^Nothing to clean up: no ledger at /);
  });
});
