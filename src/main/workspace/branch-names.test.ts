import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLeftovers, removeLeftovers, usedMissionSlugs } from './cleanup.js';
import {
  assignNames,
  createMissionWorkspace,
  openMissionWorkspace,
  type MissionWorkspaceOptions,
  type NamesSource,
  type WorkspaceNames,
} from './mission-workspace.js';

let dir: string;
let repo: string;

function sh(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  return execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...env, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

const branches = (cwd: string) =>
  sh(cwd, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/')
    .split('\n')
    .filter((b) => b !== '')
    .sort();
const worktrees = (cwd: string) =>
  sh(cwd, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
/** git's own verdict on a branch name (exit 0: valid). */
const validRef = (name: string) => {
  try {
    sh(repo, 'check-ref-format', '--branch', name);
    return true;
  } catch {
    return false;
  }
};

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'control-room-names-')));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  sh(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# Project\n');
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '-q', '-m', 'initial');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Names a person could give: colliding after slugging, accented, non-Latin, dots only.
const SOURCE: NamesSource = {
  missionName: 'Fix the login page!',
  teams: [
    { id: 't1', name: 'Team 1', coders: [{ id: 'a1', name: 'Zoë' }, { id: 'a2', name: 'zoe' }, { id: 'a3', name: '..' }] },
    { id: 't2', name: 'team-1', coders: [{ id: 'b1', name: 'Zoë' }] },
    { id: 't3', name: 'Équipe Données', coders: [{ id: 'c1', name: '開発者' }, { id: 'c2', name: 'x.lock' }] },
    { id: 't4', name: '..', coders: [{ id: 'd1', name: '@team' }] },
  ],
};

function optionsFor(names: WorkspaceNames | undefined, missionId = 'm-1', source: NamesSource = SOURCE): MissionWorkspaceOptions {
  return {
    repoPath: repo,
    baseBranch: 'main',
    missionId,
    teams: source.teams.map((t) => ({ id: t.id, coders: t.coders.map((c) => c.id) })),
    rootDir: join(dir, 'worktrees', missionId),
    ...(names ? { names } : {}),
  };
}

describe('readable branch names', () => {
  it('names branches after the mission, its teams and its coders, unique and valid for git', async () => {
    const names = assignNames(SOURCE, new Set());
    const workspace = await createMissionWorkspace(optionsFor(names));

    expect(workspace.missionBranch).toBe('cr/fix-the-login-page/@mission');
    expect(workspace.teamBranch('t1')).toBe('cr/fix-the-login-page/team-1/@team');
    // "team-1" slugs like "Team 1": the later team gets a suffix rather than sharing its branches.
    expect(workspace.teamBranch('t2')).toBe('cr/fix-the-login-page/team-1-2/@team');
    expect(workspace.coderBranch('a1')).toBe('cr/fix-the-login-page/team-1/zoe');
    expect(workspace.coderBranch('a2')).toBe('cr/fix-the-login-page/team-1/zoe-2');
    // Unique within their team only: Zoë of the other team keeps her plain name.
    expect(workspace.coderBranch('b1')).toBe('cr/fix-the-login-page/team-1-2/zoe');
    expect(workspace.teamBranch('t3')).toBe('cr/fix-the-login-page/equipe-donnees/@team');
    // Nothing readable left: the role stands in; `..`, `.lock` and `@` never reach git.
    expect(workspace.coderBranch('a3')).toBe('cr/fix-the-login-page/team-1/coder');
    expect(workspace.coderBranch('c1')).toBe('cr/fix-the-login-page/equipe-donnees/coder');
    expect(workspace.coderBranch('c2')).toBe('cr/fix-the-login-page/equipe-donnees/x-lock');
    expect(workspace.teamBranch('t4')).toBe('cr/fix-the-login-page/team/@team');
    expect(workspace.coderBranch('d1')).toBe('cr/fix-the-login-page/team/team');

    const all = branches(repo).filter((b) => b.startsWith('cr/'));
    expect(all).toHaveLength(1 + 4 + 7);
    for (const branch of all) expect(validRef(branch), branch).toBe(true);
    expect(existsSync(workspace.coderWorktree('a2'))).toBe(true);
  });

  it('names the same branches when the mission is reopened after a restart, and a coder added later gets a new one', async () => {
    const names = assignNames(SOURCE, new Set());
    await createMissionWorkspace(optionsFor(names));
    const before = branches(repo);

    // A restart plans again from the stored names: nothing new is made.
    const reopened = await openMissionWorkspace(optionsFor(names));
    expect(branches(repo)).toEqual(before);
    expect(reopened.coderBranch('a2')).toBe('cr/fix-the-login-page/team-1/zoe-2');

    // A third Zoë joins team 1 (the person added a coder): the others keep their names.
    const grown: NamesSource = {
      ...SOURCE,
      teams: SOURCE.teams.map((t) => (t.id === 't1' ? { ...t, coders: [{ id: 'a4', name: 'Zoë' }, ...t.coders] } : t)),
    };
    const more = assignNames(grown, new Set(), names);
    expect(more.coders).toMatchObject(names.coders);
    expect(more.coders.a4).toBe('zoe-3');
    const withNew = await openMissionWorkspace(optionsFor(more, 'm-1', grown));
    expect(withNew.coderBranch('a4')).toBe('cr/fix-the-login-page/team-1/zoe-3');
    expect(branches(repo)).toEqual([...before, 'cr/fix-the-login-page/team-1/zoe-3'].sort());
  });

  it("gives a second mission of the same name a slug of its own, whose branches never share the first one's folder", async () => {
    const first = assignNames(SOURCE, await usedMissionSlugs(repo));
    await createMissionWorkspace(optionsFor(first, 'm-1'));
    const second = assignNames(SOURCE, await usedMissionSlugs(repo));
    expect(second.mission).toBe('fix-the-login-page-2');
    await createMissionWorkspace(optionsFor(second, 'm-2'));
    expect(branches(repo)).toContain('cr/fix-the-login-page-2/@mission');
  });

  it('keeps naming a mission started before readable names by its ids', async () => {
    const workspace = await createMissionWorkspace(optionsFor(undefined, 'm-legacy'));
    expect(workspace.missionBranch).toBe('cr/m-legacy/@mission');
    expect(workspace.coderBranch('a1')).toBe('cr/m-legacy/t1/a1');
  });

  it('refuses stored names that are not slugs or collide, before making anything', async () => {
    const names = assignNames(SOURCE, new Set());
    const bad = { ...names, coders: { ...names.coders, a2: names.coders.a1 as string } };
    await expect(createMissionWorkspace(optionsFor(bad))).rejects.toThrow(/two coders of team "team-1" are named "zoe"/);
    await expect(createMissionWorkspace(optionsFor({ ...names, mission: '../x' }))).rejects.toThrow(/not a slug/);
    expect(branches(repo)).toEqual(['main']);
  });
});

describe('cleaning up a finished mission', () => {
  async function twoMissions() {
    const first = assignNames(SOURCE, await usedMissionSlugs(repo));
    const done = await createMissionWorkspace(optionsFor(first, 'm-1'));
    // Same name, so its slug starts like the first one's: `fix-the-login-page-2`.
    const second = assignNames(SOURCE, await usedMissionSlugs(repo));
    const working = await createMissionWorkspace(optionsFor(second, 'm-2'));
    return {
      done: { repo, missionSlug: first.mission, rootDir: done.rootDir },
      working: { repo, missionSlug: second.mission, rootDir: working.rootDir },
    };
  }

  it("removes its worktrees, its folder and its team and coder branches, keeps its mission branch, and touches nothing of another mission's", async () => {
    const { done, working } = await twoMissions();
    const workingBranches = branches(repo).filter((b) => b.startsWith(`cr/${working.missionSlug}/`));
    const workingTrees = worktrees(repo).filter((w) => w.startsWith(working.rootDir));
    expect(workingTrees).toHaveLength(1 + 4 + 7);

    const found = await findLeftovers(done);
    expect(found.worktrees).toHaveLength(1 + 4 + 7);
    expect(found.branches).toHaveLength(4 + 7);
    expect(found.missionBranch).toBe('cr/fix-the-login-page/@mission');
    expect(found.sizeBytes).toBeGreaterThan(0);

    const removed = await removeLeftovers(done, { keepBranches: false });
    expect(removed.worktrees).toHaveLength(12);
    expect(removed.branches).toHaveLength(11);
    expect(branches(repo).filter((b) => b.startsWith(`cr/${done.missionSlug}/`))).toEqual(['cr/fix-the-login-page/@mission']);
    expect(existsSync(done.rootDir)).toBe(false);
    expect(worktrees(repo).filter((w) => w.startsWith(done.rootDir))).toEqual([]);
    // The other mission: every branch and worktree as it was.
    expect(branches(repo).filter((b) => b.startsWith(`cr/${working.missionSlug}/`))).toEqual(workingBranches);
    expect(worktrees(repo).filter((w) => w.startsWith(working.rootDir))).toEqual(workingTrees);
    expect(readdirSync(working.rootDir).length).toBeGreaterThan(0);

    const after = await findLeftovers(done);
    expect(after).toMatchObject({ worktrees: [], branches: [], rootDir: null });
  });

  it('keeps every branch when the person chose to, and removes the worktrees all the same', async () => {
    const { done } = await twoMissions();
    const before = branches(repo);
    const removed = await removeLeftovers(done, { keepBranches: true });
    expect(removed.branches).toEqual([]);
    expect(branches(repo)).toEqual(before);
    expect(existsSync(done.rootDir)).toBe(false);
    expect((await findLeftovers(done)).worktrees).toEqual([]);
  });

  it('finds the worktrees of a folder named through a symbolic link, as git lists them by their real path', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const names = assignNames(SOURCE, new Set());
    await createMissionWorkspace({ ...optionsFor(names), rootDir: join(dir, 'link', 'm-1') });
    const site = { repo, missionSlug: names.mission, rootDir: join(dir, 'link', 'm-1') };
    expect((await findLeftovers(site)).worktrees).toHaveLength(12);
    await removeLeftovers(site, { keepBranches: false });
    expect(worktrees(repo)).toEqual([repo]);
    expect(branches(repo)).toEqual(['cr/fix-the-login-page/@mission', 'main']);
  });

  it('clears a worktree whose folder was deleted by hand, so its branch can go too', async () => {
    const { done } = await twoMissions();
    rmSync(join(done.rootDir, 'team-1'), { recursive: true, force: true });
    await removeLeftovers(done, { keepBranches: false });
    expect(branches(repo).filter((b) => b.startsWith(`cr/${done.missionSlug}/`))).toEqual(['cr/fix-the-login-page/@mission']);
  });
});
