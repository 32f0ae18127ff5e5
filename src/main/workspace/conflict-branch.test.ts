import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commitResolution,
  conflictSides,
  filesWithMarkers,
  landResolution,
  openResolution,
  removeResolution,
  resolutionPlace,
  type ResolutionSite,
} from './conflict-branch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * A repository shaped like a mission's: `main`, a mission branch checked out in its own
 * worktree, and a team branch; the mission branch and the team branch changed the same
 * line of `notes.txt` (as two teams of one phase would), and the team also added a file.
 */
function missionRepo(): { site: ResolutionSite; teamBranch: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cr-conflict-'));
  dirs.push(dir);
  const repo = join(dir, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git(repo, 'config', 'user.name', 'Test Person');
  git(repo, 'config', 'user.email', 'person@example.com');
  writeFileSync(join(repo, 'notes.txt'), 'title\nend\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial');
  const missionBranch = 'cr/m1/@mission';
  const teamBranch = 'cr/m1/b/@team';
  git(repo, 'branch', missionBranch);
  git(repo, 'branch', teamBranch);
  const rootDir = join(dir, 'worktrees');
  const missionWorktree = join(rootDir, '@mission');
  git(repo, 'worktree', 'add', '-q', missionWorktree, missionBranch);
  writeFileSync(join(missionWorktree, 'notes.txt'), 'title\nfrom A\nend\n');
  git(missionWorktree, 'commit', '-q', '-am', 'team a');
  const teamWorktree = join(rootDir, 'b');
  git(repo, 'worktree', 'add', '-q', teamWorktree, teamBranch);
  writeFileSync(join(teamWorktree, 'notes.txt'), 'title\nfrom B\nend\n');
  writeFileSync(join(teamWorktree, 'b.txt'), 'b\n');
  git(teamWorktree, 'add', '.');
  git(teamWorktree, 'commit', '-q', '-m', 'team b');
  return { site: { repoPath: repo, missionBranch, missionWorktree, rootDir }, teamBranch };
}

describe('a resolution branch', () => {
  it('holds the conflict in its own worktree, with both sides, and lands on the mission branch once resolved', async () => {
    const { site, teamBranch } = missionRepo();
    const missionBefore = git(site.repoPath, 'rev-parse', site.missionBranch);
    const opened = await openResolution(site, teamBranch, teamBranch);
    expect(opened).toEqual({ ...resolutionPlace(site, teamBranch), conflicts: ['notes.txt'] });
    expect(opened.branch).toBe('cr/m1/@resolve/b');
    // The conflict is in the files of the resolution worktree; the mission branch has not moved.
    expect(readFileSync(join(opened.worktree, 'notes.txt'), 'utf8')).toMatch(/<<<<<<< HEAD\nfrom A\n=======\nfrom B\n>>>>>>> /);
    expect(git(site.repoPath, 'rev-parse', site.missionBranch)).toBe(missionBefore);
    expect(git(site.missionWorktree, 'status', '--porcelain')).toBe('');
    expect(await filesWithMarkers(opened.worktree, opened.conflicts)).toEqual(['notes.txt']);

    const sides = await conflictSides(opened.worktree, opened.conflicts);
    expect(sides.ours).toContain('+from A');
    expect(sides.ours).not.toContain('from B');
    expect(sides.theirs).toContain('+from B');

    writeFileSync(join(opened.worktree, 'notes.txt'), 'title\nfrom A\nfrom B\nend\n');
    expect(await filesWithMarkers(opened.worktree, opened.conflicts)).toEqual([]);
    const commit = await commitResolution(opened.worktree, 'Merge team b (resolved)', { name: 'b-lead', email: 'agents@control-room.local' });
    // Committing again (a submit redone after a restart) makes no second commit.
    expect(await commitResolution(opened.worktree, 'again', { name: 'b-lead', email: 'agents@control-room.local' })).toBe(commit);
    expect(git(site.repoPath, 'log', '-1', '--format=%P', commit).split(' ')).toEqual([missionBefore, git(site.repoPath, 'rev-parse', teamBranch)]);

    expect(await landResolution(site, opened)).toBe(commit);
    expect(git(site.repoPath, 'rev-parse', site.missionBranch)).toBe(commit);
    expect(readFileSync(join(site.missionWorktree, 'notes.txt'), 'utf8')).toBe('title\nfrom A\nfrom B\nend\n');
    expect(readFileSync(join(site.missionWorktree, 'b.txt'), 'utf8')).toBe('b\n');
    // Merging the team again finds nothing to do: it is merged once.
    expect(git(site.missionWorktree, 'merge', '--no-ff', '--no-edit', teamBranch)).toMatch(/Already up to date/);

    await removeResolution(site, teamBranch);
    expect(existsSync(opened.worktree)).toBe(false);
    expect(git(site.repoPath, 'rev-parse', opened.branch)).toBe(commit);
  });

  it('refuses to land when the mission branch moved meanwhile, and starts afresh when opened again', async () => {
    const { site, teamBranch } = missionRepo();
    const first = await openResolution(site, teamBranch, teamBranch);
    writeFileSync(join(first.worktree, 'notes.txt'), 'title\nfrom B\nend\n');
    await commitResolution(first.worktree, 'resolved', { name: 'b-lead', email: 'agents@control-room.local' });
    writeFileSync(join(site.missionWorktree, 'other.txt'), 'x\n');
    git(site.missionWorktree, 'add', '.');
    git(site.missionWorktree, 'commit', '-q', '-m', 'moved');
    await expect(landResolution(site, first)).rejects.toThrow(/cannot fast-forward/);

    const again = await openResolution(site, teamBranch, teamBranch);
    expect(again.conflicts).toEqual(['notes.txt']);
    expect(git(again.worktree, 'rev-parse', 'HEAD')).toBe(git(site.repoPath, 'rev-parse', site.missionBranch));
  });
});
