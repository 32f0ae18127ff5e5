// Creating and removing a mission's branches and worktrees on disk, and preparing new coder
// worktrees (copied files, the setup command).

import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { cp, mkdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../shared/result.js';
import { runCommand } from './commands.js';
import { git } from './git.js';
import type { Plan } from './workspace-plan.js';

export const WORKTREE_ADD_TIMEOUT_MS = 10 * 60_000;
// Concurrent setup commands (say `npm ci`) per mission; more would fight over CPU and disk.
const SETUP_CONCURRENCY = 4;

/** True when `refs/heads/<branch>` exists and points at a commit. */
export async function branchExists(repo: string, branch: string): Promise<boolean> {
  const result = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
    cwd: repo,
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

/** `--no-track`: a mission branch never follows the branch it starts from. */
export async function createBranch(repo: string, branch: string, startPoint: string): Promise<void> {
  await git(['branch', '--no-track', branch, startPoint], { cwd: repo, internal: true });
}

interface WorktreeEntry {
  path: string;
  branch: string | null;
}

/** Every worktree of the repository, paths resolved so they compare with the plan's real paths. */
export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const { stdout } = await git(['worktree', 'list', '--porcelain', '-z'], { cwd: repo });
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | null = null;
  for (const field of stdout.split('\0')) {
    if (field.startsWith('worktree ')) {
      current = { path: realOrSelf(field.slice('worktree '.length)), branch: null };
      entries.push(current);
    } else if (field.startsWith('branch ') && current) {
      current.branch = field.slice('branch '.length).replace(/^refs\/heads\//, '');
    }
  }
  return entries;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Makes sure `path` is a worktree of `branch`; returns true if it had to be created.
 * A registered worktree whose folder vanished is dropped and recreated; a folder that is
 * not a worktree is only replaced if it is empty.
 */
export async function ensureWorktree(repo: string, path: string, branch: string): Promise<boolean> {
  const registered = (await listWorktrees(repo)).find((entry) => entry.path === path);
  if (registered && existsSync(path)) {
    if (registered.branch !== branch) {
      throw new AppError(
        'conflict',
        `the worktree "${path}" has ${registered.branch ?? 'a detached HEAD'} checked out, expected ${branch}`,
      );
    }
    return false;
  }
  if (registered) await git(['worktree', 'remove', '--force', path], { cwd: repo, internal: true });
  if (existsSync(path)) {
    if (readdirSync(path).length > 0) {
      throw new AppError(
        'conflict',
        `"${path}" exists and is not a worktree of ${branch}; move it away and retry`,
      );
    }
    await rmdir(path);
  }
  await mkdir(dirname(path), { recursive: true });
  await git(['worktree', 'add', '--quiet', path, branch], {
    cwd: repo,
    internal: true,
    timeoutMs: WORKTREE_ADD_TIMEOUT_MS,
  });
  return true;
}

/**
 * Copies `copyFiles` into each new coder worktree and runs the setup command there, a few
 * at a time; a failing or timed-out setup command throws with the end of its output.
 */
export async function prepareCoderWorktrees(plan: Plan, worktrees: readonly string[]): Promise<void> {
  await forEachLimited(worktrees, SETUP_CONCURRENCY, async (worktree) => {
    await copyFilesInto(plan, worktree);
    if (!plan.setupCommand) return;
    const outcome = await runCommand(plan.setupCommand, {
      cwd: worktree,
      timeoutMs: plan.setupTimeoutMs,
      env: plan.setupEnv,
    });
    if (outcome.exitCode !== 0) {
      const why = outcome.timedOut
        ? `timed out after ${plan.setupTimeoutMs} ms`
        : `exited with ${outcome.exitCode ?? outcome.signal}`;
      throw new AppError(
        'internal',
        `the setup command "${plan.setupCommand}" ${why} in ${worktree}:\n${outcome.output.slice(-4000)}`,
      );
    }
  });
}

/** Copies the plan's `copyFiles` from the user's checkout into `worktree`; missing ones are skipped. */
export async function copyFilesInto(plan: Plan, worktree: string): Promise<void> {
  for (const file of plan.copyFiles) {
    const source = join(plan.repo, file);
    if (!existsSync(source)) continue;
    // Dereference: a `.env` that is a symlink to a secrets folder should arrive as a file.
    await cp(source, join(worktree, file), { recursive: true, force: true, dereference: true });
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  });
  await Promise.all(workers);
}

/** Undoes a failed create, newest first; best effort, so the original error is what the caller sees. */
export async function rollback(
  plan: Plan,
  worktrees: readonly string[],
  branches: readonly string[],
): Promise<void> {
  for (const path of [...worktrees].reverse()) {
    await git(['worktree', 'remove', '--force', path], { cwd: plan.repo, internal: true }).catch(
      () => undefined,
    );
  }
  await git(['worktree', 'prune'], { cwd: plan.repo, internal: true }).catch(() => undefined);
  for (const branch of [...branches].reverse()) {
    await git(['branch', '-D', branch], { cwd: plan.repo, internal: true }).catch(() => undefined);
  }
  await removeEmptyDirs(plan);
}

/** Removes the folders we made under rootDir, and rootDir, only if they are empty. */
export async function removeEmptyDirs(plan: Plan): Promise<void> {
  const dirs = [...new Set(plan.teams.map((team) => dirname(team.worktree)))];
  for (const dir of [...dirs, plan.rootDir]) await rmdir(dir).catch(() => undefined);
}
