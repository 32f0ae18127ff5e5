// Merging one branch into a worktree's checkout, and the identities merges are made under.

import { AppError } from '../../shared/result.js';
import { AGENT_EMAIL, CONTROL_ROOM_IDENTITY, git, GitError, splitNul, type GitIdentity } from './git.js';
import type { MergeOutcome } from './mission-workspace.js';

const MERGE_TIMEOUT_MS = 5 * 60_000;

/** `author` as a git identity git will accept, `fallback` when there is none. */
export function identityOf(author: string | GitIdentity | undefined, fallback: GitIdentity): GitIdentity {
  if (author === undefined) return fallback;
  const raw = typeof author === 'string' ? { name: author, email: AGENT_EMAIL } : author;
  // git refuses names made only of "crud" and strips <, > and newlines anyway.
  const name = raw.name.replace(/[<>\n\r]/g, '').trim() || fallback.name;
  const email = raw.email.replace(/[<>\s]/g, '') || AGENT_EMAIL;
  return { name, email };
}

/** Lists unmerged paths and aborts the merge in progress in `cwd`, if any. */
async function abortMerge(cwd: string, internal: boolean): Promise<string[]> {
  const unmerged = await git(['diff', '--name-only', '--diff-filter=U', '-z'], { cwd });
  const conflicts = [...new Set(splitNul(unmerged.stdout))].sort();
  if (await hasRef(cwd, 'MERGE_HEAD')) await git(['merge', '--abort'], { cwd, internal });
  return conflicts;
}

/** True when `ref` resolves in `cwd` (e.g. `MERGE_HEAD` while a merge is in progress). */
export async function hasRef(cwd: string, ref: string): Promise<boolean> {
  return (await git(['rev-parse', '-q', '--verify', ref], { cwd, okExitCodes: [1] })).exitCode === 0;
}

/** The commit `cwd` has checked out. */
export async function head(cwd: string): Promise<string> {
  return (await git(['rev-parse', 'HEAD'], { cwd })).stdout.trim();
}

/**
 * Merges `branch` into what `cwd` has checked out with `--no-ff`. A conflict is aborted
 * and reported; any other failure is cleaned up and rethrown.
 */
export async function mergeInto(
  cwd: string,
  branch: string,
  message: string,
  settings: { identity?: GitIdentity; internal: boolean },
): Promise<MergeOutcome> {
  const before = await head(cwd);
  try {
    await git(['merge', '--no-ff', '--no-edit', '-m', message, branch], {
      cwd,
      internal: settings.internal,
      timeoutMs: MERGE_TIMEOUT_MS,
      ...(settings.identity ? { identity: settings.identity } : {}),
    });
  } catch (error) {
    const conflicts = await abortMerge(cwd, settings.internal);
    if (conflicts.length > 0) return { merged: false, conflicts };
    if (error instanceof GitError) {
      throw new AppError('conflict', `could not merge ${branch}: ${error.stderr.trim() || error.message}`);
    }
    throw error;
  }
  const after = await head(cwd);
  return { merged: true, commit: after, alreadyMerged: after === before };
}

/**
 * Integration worktrees belong to the app and nobody edits them, so anything left in one
 * (a merge interrupted by a crash) is debris: clear it before merging.
 */
export async function cleanIntegrationWorktree(cwd: string): Promise<void> {
  if (await hasRef(cwd, 'MERGE_HEAD'))
    await git(['merge', '--abort'], { cwd, internal: true }).catch(() => undefined);
  const status = await git(['status', '--porcelain', '-z'], { cwd });
  if (status.stdout !== '') {
    await git(['reset', '--hard', '--quiet', 'HEAD'], { cwd, internal: true });
    await git(['clean', '-fdq'], { cwd, internal: true });
  }
}

/**
 * The identity to force for the final merge: null when the user has their own configured
 * (git will use it), Control Room's otherwise, so the merge cannot fail for want of one.
 */
export async function configuredIdentity(repo: string): Promise<GitIdentity | null> {
  const name = await git(['config', 'user.name'], { cwd: repo, okExitCodes: [1] });
  const email = await git(['config', 'user.email'], { cwd: repo, okExitCodes: [1] });
  if (name.exitCode === 0 && email.exitCode === 0 && name.stdout.trim() && email.stdout.trim()) return null;
  return CONTROL_ROOM_IDENTITY;
}
