import { existsSync, lstatSync, readdirSync, realpathSync, rmdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { git } from '../workspace/git.js';
import { listWorktrees } from '../workspace/worktrees.js';

/**
 * Removes every git worktree under a mission's worktree folder once the mission is merged
 * into its base branch: its branches keep all the work, and a headless run should not
 * leave a checkout per coder behind (the app can reopen them from the branches when asked
 * for a diff). Folders left empty are removed; anything else in them is kept. Answers how
 * many worktrees went.
 */
export async function removeMissionWorktrees(repoPath: string, worktreeRoot: string): Promise<number> {
  const roots = new Set([resolve(worktreeRoot)]);
  if (existsSync(worktreeRoot)) roots.add(realpathSync(worktreeRoot));
  const inside = (path: string) => [...roots].some((root) => path === root || path.startsWith(root + sep));
  const ours = (await listWorktrees(repoPath)).filter((w) => inside(w.path));
  for (const w of ours) {
    await git(['worktree', 'remove', '--force', w.path], { cwd: repoPath, internal: true }).catch(() => undefined);
  }
  await git(['worktree', 'prune'], { cwd: repoPath, internal: true }).catch(() => undefined);
  if (existsSync(worktreeRoot)) removeEmptyDirs(worktreeRoot);
  return ours.length;
}

function removeEmptyDirs(dir: string): boolean {
  if (!lstatSync(dir).isDirectory()) return false;
  let empty = true;
  for (const entry of readdirSync(dir)) {
    if (!removeEmptyDirs(join(dir, entry))) empty = false;
  }
  if (empty) rmdirSync(dir);
  return empty;
}
