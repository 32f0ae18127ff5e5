import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMissionWorkspace, type MissionWorkspace } from './mission-workspace.js';

/** A team's branch across phases, on a real repository: started from the mission branch, merged with its files. */

let dir: string;
let repo: string;
let ws: MissionWorkspace;

function sh(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  return execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...env, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

function commitIn(worktree: string, path: string, content: string): string {
  mkdirSync(join(worktree, path, '..'), { recursive: true });
  writeFileSync(join(worktree, path), content);
  sh(worktree, 'add', '-A');
  sh(worktree, 'commit', '-q', '-m', `add ${path}`);
  return sh(worktree, 'rev-parse', 'HEAD');
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cr-phases-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  sh(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# Project\n');
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '-q', '-m', 'initial');
  ws = await createMissionWorkspace({
    repoPath: repo,
    baseBranch: 'main',
    missionId: 'M1',
    teams: [
      { id: 'infra', coders: ['i1'] },
      { id: 'ui', coders: ['u1', 'u2'] },
    ],
    rootDir: join(dir, 'worktrees'),
  });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a team across phases', () => {
  it('merges a finished team with the files it changed, then starts the next team (and its coders) from the mission branch', async () => {
    const start = await ws.missionHead();
    commitIn(ws.coderWorktree('i1'), 'src/db/schema.js', 'export const schema = 1;\n');
    await ws.mergeCoderIntoTeam('i1');
    const before = sh(repo, 'rev-parse', 'main');

    const merged = await ws.mergeTeamIntoMission('infra', start);
    expect(merged).toMatchObject({ merged: true, files: ['src/db/schema.js'], alreadyMerged: false });
    if (!merged.merged) return;
    expect(await ws.missionHead()).toBe(merged.commit);
    // Merging again (a restart after git merged, before the ledger said so) adds no commit.
    const again = await ws.mergeTeamIntoMission('infra', start);
    expect(again).toMatchObject({ merged: true, commit: merged.commit, alreadyMerged: true, files: ['src/db/schema.js'] });

    const uiStart = await ws.startTeamFromMission('ui');
    expect(uiStart).toBe(merged.commit);
    for (const worktree of [ws.teamWorktree('ui'), ws.coderWorktree('u1'), ws.coderWorktree('u2')]) {
      expect(sh(worktree, 'rev-parse', 'HEAD')).toBe(merged.commit);
      expect(readFileSync(join(worktree, 'src/db/schema.js'), 'utf8')).toContain('schema');
    }
    // A coder's first commit in the new phase has the merged team's work as an ancestor.
    const first = commitIn(ws.coderWorktree('u1'), 'src/ui/view.js', 'export const view = 1;\n');
    expect(() => sh(repo, 'merge-base', '--is-ancestor', merged.commit, first)).not.toThrow();
    // The user's checkout never moved.
    expect(sh(repo, 'rev-parse', 'main')).toBe(before);
    expect(existsSync(join(repo, 'src'))).toBe(false);
  });

  it('refuses to restart a team whose branch holds work the mission branch does not', async () => {
    commitIn(ws.teamWorktree('ui'), 'src/ui/early.js', 'export const early = 1;\n');
    await expect(ws.startTeamFromMission('ui')).rejects.toThrow(/already has work of its own/);
    // Nothing was moved.
    expect(readFileSync(join(ws.teamWorktree('ui'), 'src/ui/early.js'), 'utf8')).toContain('early');
  });
});
