/**
 * How long a mission's workspace takes to create: the real `createMissionWorkspace`
 * (one branch per team and per coder, one git worktree per coder) on a throwaway
 * repository, at a few sizes, so the cost per worktree and its growth can be read off.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMissionWorkspace } from '../../main/workspace/mission-workspace.js';

export interface WorktreeSample {
  coders: number;
  teams: number;
  /** Branches + worktrees (teams' integration worktrees included), wall time. */
  ms: number;
  msPerCoder: number;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

/** A small repository shaped like a real project (a few dozen files), so a checkout is not free. */
function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Bench');
  git(repo, 'config', 'user.email', 'bench@example.com');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  for (let i = 0; i < 40; i++)
    writeFileSync(join(repo, 'src', `module-${i}.js`), `export const v${i} = ${i};\n`.repeat(50));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial');
  return repo;
}

/**
 * Creates one workspace per entry of `sizes` (coders, split into teams of 19 coders as
 * a full 20-agent team has) and times each; everything is removed afterwards.
 */
export async function probeWorktrees(sizes: readonly number[]): Promise<WorktreeSample[]> {
  const out: WorktreeSample[] = [];
  for (const coders of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'cr-bench-wt-'));
    try {
      const repo = makeRepo(dir);
      const teams = Math.ceil(coders / 19);
      const specs = Array.from({ length: teams }, (_, t) => ({
        id: `team${t}`,
        coders: Array.from({ length: Math.min(19, coders - t * 19) }, (_, c) => `team${t}-c${c}`),
      }));
      const started = performance.now();
      await createMissionWorkspace({
        repoPath: repo,
        baseBranch: 'main',
        missionId: 'm-bench',
        teams: specs,
        rootDir: join(dir, 'worktrees'),
      });
      const ms = performance.now() - started;
      out.push({ coders, teams, ms, msPerCoder: ms / coders });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
