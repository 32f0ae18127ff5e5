import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MissionView } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

/**
 * Branches over a mission's life, end to end on a real repository: readable names, what a
 * finished mission leaves (its mission branch; its team and coder branches only when
 * kept; never a worktree), and the "clean up" action, which touches nothing of a mission
 * that is not finished.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.engine.branchesSettled();
  await h?.cleanup();
  h = undefined;
});

const sim = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

function create(harness: Harness, name: string): MissionView {
  const design = saveDesign(harness.ledger, [{ id: 'core', coders: 2 }]);
  return harness.engine.create({
    designId: design.id,
    name,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
}

const crBranches = (harness: Harness, prefix = 'cr/') =>
  git(harness.repo, 'for-each-ref', '--format=%(refname:short)', `refs/heads/${prefix}`)
    .split('\n')
    .filter((b) => b !== '')
    .sort();
const worktrees = (harness: Harness) =>
  git(harness.repo, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));

async function finish(harness: Harness, name: string): Promise<MissionView> {
  const m = create(harness, name);
  await harness.engine.start(m.id);
  await driveToEnd(harness, m.id);
  await harness.engine.branchesSettled();
  return harness.engine.get(m.id).mission;
}

describe('a mission that ends', () => {
  it('leaves its mission branch, named after it, and neither a worktree nor a team or coder branch', async () => {
    h = createHarness(sim());
    const m = create(h, 'Todo CLI: first cut');
    await h.engine.start(m.id);
    // While it works, its branches read as the mission, team and coder names.
    expect(crBranches(h)).toEqual([
      'cr/todo-cli-first-cut/@mission',
      'cr/todo-cli-first-cut/core/@team',
      'cr/todo-cli-first-cut/core/core-c1',
      'cr/todo-cli-first-cut/core/core-c2',
    ]);
    expect(worktrees(h).length).toBe(1 + 4);
    await driveToEnd(h, m.id);
    await h.engine.branchesSettled();

    const done = h.engine.get(m.id).mission;
    expect(done.state).toBe('done');
    expect(done.missionBranch).toBe('cr/todo-cli-first-cut/@mission');
    expect(done.keepBranches).toBe(false);
    expect(crBranches(h)).toEqual(['cr/todo-cli-first-cut/@mission']);
    expect(worktrees(h)).toEqual([h.repo]);
    expect(existsSync(join(h.dir, 'worktrees', m.id))).toBe(false);
    // The mission branch was merged: main holds its work.
    expect(git(h.repo, 'merge-base', '--is-ancestor', 'cr/todo-cli-first-cut/@mission', 'main')).toBe('');
    // A coder's Diff still answers (from what it contributed) and makes no worktree or branch again.
    const diff = await h.engine.diff(m.id, 'core-c1');
    expect(diff.agentId).toBe('core-c1');
    expect(crBranches(h)).toEqual(['cr/todo-cli-first-cut/@mission']);
    expect(worktrees(h)).toEqual([h.repo]);
  });

  it('keeps its team and coder branches (not its worktrees) when the Settings say so, or the mission does', async () => {
    h = createHarness(sim(), { keepBranches: true });
    const kept = await finish(h, 'Kept');
    expect(kept.keepBranches).toBe(true);
    expect(crBranches(h, 'cr/kept/')).toEqual(['cr/kept/@mission', 'cr/kept/core/@team', 'cr/kept/core/core-c1', 'cr/kept/core/core-c2']);
    expect(worktrees(h)).toEqual([h.repo]);

    // The mission's own choice wins over the default.
    h.engine.setKeepBranchesDefault(false);
    const m = create(h, 'Chosen');
    expect(h.engine.setKeepBranches(m.id, true).keepBranches).toBe(true);
    await h.engine.start(m.id);
    await driveToEnd(h, m.id);
    await h.engine.branchesSettled();
    expect(crBranches(h, 'cr/chosen/')).toHaveLength(4);
    // A second mission of a name already used gets a slug of its own.
    const again = await finish(h, 'Kept');
    expect(again.missionBranch).toBe('cr/kept-2/@mission');
    expect(crBranches(h, 'cr/kept-2/')).toEqual(['cr/kept-2/@mission']);
  });

  it('when cancelled, loses its worktrees and its coder branches too', async () => {
    h = createHarness(sim());
    const m = create(h, 'Cancel me');
    await h.engine.start(m.id);
    expect(crBranches(h)).toHaveLength(4);
    h.engine.cancel(m.id);
    await h.engine.branchesSettled();
    expect(crBranches(h)).toEqual(['cr/cancel-me/@mission']);
    expect(worktrees(h)).toEqual([h.repo]);
  });

  it('keeps naming by ids a mission whose branches a version before readable names made, to its end', async () => {
    h = createHarness(sim());
    const m = create(h, 'Old timer');
    // What a start interrupted before this version left: the id-named mission branch.
    git(h.repo, 'branch', `cr/${m.id}/@mission`, 'main');
    await h.engine.start(m.id);
    expect(h.engine.get(m.id).mission.missionBranch).toBe(`cr/${m.id}/@mission`);
    expect(crBranches(h)).toEqual([`cr/${m.id}/@mission`, `cr/${m.id}/core/@team`, `cr/${m.id}/core/core-c1`, `cr/${m.id}/core/core-c2`]);
    await driveToEnd(h, m.id);
    await h.engine.branchesSettled();
    expect(crBranches(h)).toEqual([`cr/${m.id}/@mission`]);
    expect(worktrees(h)).toEqual([h.repo]);
  });

  it("says what is wrong with a repository that went away before the start, and names nothing", async () => {
    h = createHarness(sim());
    const m = create(h, 'Gone');
    rmSync(h.repo, { recursive: true, force: true });
    await expect(h.engine.start(m.id)).rejects.toThrow(/the repository folder ".*" does not exist/);
    expect(h.ledger.db.prepare('SELECT count(*) FROM mission_workspaces').pluck().get()).toBe(0);
  });

  it('finishes at the next start the clean-up a crash kept from running', async () => {
    h = createHarness(sim());
    const done = await finish(h, 'Crashed at the end');
    // What a crash between the mission's end and its clean-up leaves: a coder's branch and worktree, never marked cleaned.
    const stray = join(h.dir, 'worktrees', done.id, 'core', 'core-c1');
    git(h.repo, 'branch', 'cr/crashed-at-the-end/core/core-c1', 'main');
    git(h.repo, 'worktree', 'add', '-q', stray, 'cr/crashed-at-the-end/core/core-c1');
    h.ledger.db.prepare('UPDATE mission_workspaces SET cleaned_at = NULL WHERE mission_id = ?').run(done.id);
    h.engine.close();
    h.ledger.close();
    h.reopen(sim());
    await h.engine.branchesSettled();
    expect(crBranches(h)).toEqual(['cr/crashed-at-the-end/@mission']);
    expect(worktrees(h)).toEqual([h.repo]);
  });

  it('ending just as the app closes its ledger logs nothing, and the next start finishes the clean-up', async () => {
    h = createHarness(sim());
    const m = create(h, 'Closed at the end');
    await h.engine.start(m.id);
    h.engine.cancel(m.id);
    // The clean-up is under way when the ledger closes (a test's or the app's close does not wait for it).
    h.engine.close();
    h.ledger.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.errors.map((e) => `${e.what}: ${String(e.error)}`)).toEqual([]);
    h.reopen(sim());
    await h.engine.branchesSettled();
    expect(crBranches(h)).toEqual(['cr/closed-at-the-end/@mission']);
    expect(worktrees(h)).toEqual([h.repo]);
  });

  it('names the same branches when the app restarts mid-mission', async () => {
    h = createHarness(sim());
    const m = create(h, 'Restart');
    await h.engine.start(m.id);
    h.engine.pause(m.id);
    await waitFor(() => !h!.engine.isBusy(m.id), 10_000, 'idle');
    const before = crBranches(h);
    h.engine.close();
    h.ledger.close();
    h.reopen(sim());
    await h.engine.resume(m.id);
    expect(crBranches(h)).toEqual(before);
    await driveToEnd(h, m.id);
    await h.engine.branchesSettled();
    expect(crBranches(h)).toEqual(['cr/restart/@mission']);
  });
});

describe('clean up', () => {
  it("removes only what finished missions left; a paused mission's worktrees and branches survive and it still finishes", async () => {
    h = createHarness(sim(), { keepBranches: true });
    const finished = await finish(h, 'Finished');
    // What a crash at its end would have left: a worktree of a coder branch.
    const stray = join(h.dir, 'worktrees', finished.id, 'core', 'core-c1');
    git(h.repo, 'worktree', 'add', '-q', stray, 'cr/finished/core/core-c1');

    const paused = create(h, 'Paused');
    await h.engine.start(paused.id);
    h.engine.pause(paused.id);
    await waitFor(() => !h!.engine.isBusy(paused.id), 10_000, 'idle');
    const pausedBranches = crBranches(h, 'cr/paused/');
    const pausedTrees = worktrees(h).filter((w) => w.includes(paused.id));
    expect(pausedBranches).toHaveLength(4);
    expect(pausedTrees).toHaveLength(4);

    const listed = await h.engine.listLeftovers();
    expect(listed.missions.map((l) => l.missionId)).toEqual([finished.id]);
    expect(listed.missions[0]).toMatchObject({
      name: 'Finished',
      state: 'done',
      worktrees: [stray],
      branches: ['cr/finished/core/@team', 'cr/finished/core/core-c1', 'cr/finished/core/core-c2'],
      missionBranch: 'cr/finished/@mission',
      keepBranches: true,
    });
    expect(listed.unknown).toEqual([]);

    // Asking for the paused one is refused whole: nothing is removed, not even the finished one's.
    const refused = await h.engine.cleanUp([finished.id, paused.id]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('conflict');
    expect((refused as AppError).message).toContain('"Paused" is paused');
    expect(crBranches(h, 'cr/finished/')).toHaveLength(4);

    const result = await h.engine.cleanUp();
    expect(result.missions).toEqual([
      {
        missionId: finished.id,
        worktrees: [stray],
        branches: ['cr/finished/core/@team', 'cr/finished/core/core-c1', 'cr/finished/core/core-c2'],
      },
    ]);
    expect(crBranches(h, 'cr/finished/')).toEqual(['cr/finished/@mission']);
    expect(existsSync(stray)).toBe(false);
    expect(crBranches(h, 'cr/paused/')).toEqual(pausedBranches);
    expect(worktrees(h).filter((w) => w.includes(paused.id))).toEqual(pausedTrees);
    expect((await h.engine.listLeftovers()).missions).toEqual([]);

    // The paused mission picks up where it was.
    h.engine.setKeepBranchesDefault(false);
    await h.engine.resume(paused.id);
    await driveToEnd(h, paused.id);
    expect(h.engine.get(paused.id).mission.state).toBe('done');
  });

  it("lists cr/ branches no mission of this ledger owns, and leaves them alone", async () => {
    h = createHarness(sim());
    const done = await finish(h, 'Mine');
    git(h.repo, 'branch', 'cr/someone-else/@mission', 'main');
    git(h.repo, 'branch', 'cr/someone-else/t/c', 'main');
    const listed = await h.engine.listLeftovers();
    expect(listed.unknown).toEqual([{ repoPath: h.repo, slug: 'someone-else', branches: ['cr/someone-else/@mission', 'cr/someone-else/t/c'] }]);
    await h.engine.cleanUp();
    expect(crBranches(h)).toEqual(['cr/mine/@mission', 'cr/someone-else/@mission', 'cr/someone-else/t/c']);
    expect(done.state).toBe('done');
  });
});
