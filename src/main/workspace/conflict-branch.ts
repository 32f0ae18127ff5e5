// A branch of its own where a leader resolves a merge conflict. It starts at the mission
// branch with the other side (a team branch, or the base branch when the final merge
// conflicts) merged in and the conflict left in the files; once the leader has resolved
// them, the merge is committed there and the mission branch fast-forwards to it. The
// mission's own integration worktree never holds a half-done merge.
//
//   cr/<mission>/@resolve/<team>     a team's merge into the mission branch
//   cr/<mission>/@resolve/@final     the base branch merged into the mission branch
//
// Worktrees: `<rootDir>/@resolve/<team>/` and `<rootDir>/@resolve/@final/`. Slugs never
// contain `@`, so these names cannot collide with a team's or a coder's.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/result.js';
import { git, splitNul, type GitIdentity } from './git.js';
import { cleanIntegrationWorktree, hasRef, head } from './merges.js';
import type { MissionWorkspace } from './mission-workspace.js';
import { WORKTREE_ADD_TIMEOUT_MS } from './worktrees.js';

const RESOLVE_LEAF = '@resolve';
const FINAL_KEY = '@final';
const MERGE_TIMEOUT_MS = 5 * 60_000;

/** Where a mission's resolutions live: its repository, mission branch and worktree folder. */
export type ResolutionSite = Pick<MissionWorkspace, 'repoPath' | 'missionBranch' | 'missionWorktree' | 'rootDir'>;

/** One resolution's branch and worktree. */
export interface ResolutionPlace {
  branch: string;
  worktree: string;
}

/**
 * The branch and worktree of the resolution of a team's merge (named by its team branch,
 * `cr/<mission>/<team>/@team`, whose slug it takes) or of the final merge (null).
 */
export function resolutionPlace(site: ResolutionSite, teamBranch: string | null): ResolutionPlace {
  const key = teamBranch === null ? FINAL_KEY : (teamBranch.split('/').at(-2) ?? 'team');
  const prefix = site.missionBranch.replace(/\/@mission$/, '');
  return { branch: `${prefix}/${RESOLVE_LEAF}/${key}`, worktree: join(site.rootDir, RESOLVE_LEAF, key) };
}

/**
 * Makes the resolution branch at the mission branch's tip, in a worktree of its own, and
 * starts merging `other` into it without committing, so the conflict stays in the files.
 * Anything left of an earlier resolution of the same merge is replaced. Answers the
 * conflicting files (empty when the merge went through cleanly this time; it is still
 * left uncommitted for {@link commitResolution}).
 */
export async function openResolution(site: ResolutionSite, teamBranch: string | null, other: string): Promise<ResolutionPlace & { conflicts: string[] }> {
  const place = resolutionPlace(site, teamBranch);
  const repo = site.repoPath;
  await removeResolution(site, teamBranch);
  await mkdir(join(site.rootDir, RESOLVE_LEAF), { recursive: true });
  const start = (await git(['rev-parse', '--verify', `refs/heads/${site.missionBranch}^{commit}`], { cwd: repo })).stdout.trim();
  await git(['branch', '-f', place.branch, start], { cwd: repo, internal: true });
  await git(['worktree', 'add', '--quiet', place.worktree, place.branch], { cwd: repo, internal: true, timeoutMs: WORKTREE_ADD_TIMEOUT_MS });
  // Exit 1 is the conflict this branch exists for; anything else is a real failure.
  const merged = await git(['merge', '--no-ff', '--no-commit', other], {
    cwd: place.worktree,
    internal: true,
    okExitCodes: [1],
    timeoutMs: MERGE_TIMEOUT_MS,
  });
  if (merged.exitCode !== 0 && !(await hasRef(place.worktree, 'MERGE_HEAD'))) {
    throw new AppError('conflict', `could not start merging ${other} on ${place.branch}: ${merged.stderr.trim() || merged.stdout.trim()}`);
  }
  return { ...place, conflicts: await unmergedFiles(place.worktree) };
}

/** Whether the resolution's worktree is still there (it is kept until the resolution lands). */
export function resolutionExists(place: ResolutionPlace): boolean {
  return existsSync(place.worktree);
}

/** Files git still lists as unmerged in `cwd`, sorted. */
async function unmergedFiles(cwd: string): Promise<string[]> {
  const out = await git(['diff', '--name-only', '--diff-filter=U', '-z'], { cwd });
  return [...new Set(splitNul(out.stdout))].sort();
}

const MARKER = /^(<{7}(?: |$)|={7}$|>{7}(?: |$)|\|{7}(?: |$))/m;

/** Of `files`, those that still hold a conflict marker line (`<<<<<<<`, `=======`, `>>>>>>>`). A deleted file holds none. */
export async function filesWithMarkers(worktree: string, files: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const file of files) {
    const path = join(worktree, file);
    if (!existsSync(path)) continue;
    const text = await readFile(path, 'utf8').catch(() => '');
    if (MARKER.test(text)) left.push(file);
  }
  return left;
}

/**
 * Each side of the conflict for `files`, as two diffs from their merge-base: what the
 * mission branch changed (ours) and what the other side changed (theirs), each cut to
 * `maxChars`. Empty strings when no merge is in progress.
 */
export async function conflictSides(worktree: string, files: readonly string[], maxChars = 12_000): Promise<{ ours: string; theirs: string }> {
  if (files.length === 0 || !(await hasRef(worktree, 'MERGE_HEAD'))) return { ours: '', theirs: '' };
  const base = (await git(['merge-base', 'HEAD', 'MERGE_HEAD'], { cwd: worktree, okExitCodes: [1] })).stdout.trim();
  if (base === '') return { ours: '', theirs: '' };
  const side = async (tip: string): Promise<string> => {
    const out = await git(['diff', '--no-color', '--no-ext-diff', base, tip, '--', ...files.map((f) => `:(literal)${f}`)], { cwd: worktree });
    return out.stdout.length > maxChars ? `${out.stdout.slice(0, maxChars)}\n[cut at ${maxChars} characters]` : out.stdout;
  };
  return { ours: await side('HEAD'), theirs: await side('MERGE_HEAD') };
}

/**
 * Commits the resolved merge on the resolution branch (everything in the worktree is
 * staged: the leader's edits are the resolution). Answers the commit; when the merge was
 * committed already (a submit redone after a restart), answers it without a new commit.
 */
export async function commitResolution(worktree: string, message: string, identity: GitIdentity): Promise<string> {
  if (!(await hasRef(worktree, 'MERGE_HEAD'))) return head(worktree);
  await git(['add', '--all'], { cwd: worktree, internal: true });
  await git(['commit', '--quiet', '--no-verify', '-m', message], { cwd: worktree, internal: true, identity });
  return head(worktree);
}

/**
 * Fast-forwards the mission branch (in the mission's integration worktree) to the
 * resolution branch. Refused when the mission branch moved meanwhile, which integration,
 * one merge at a time, does not do. Answers the mission branch's new commit.
 */
export async function landResolution(site: ResolutionSite, place: ResolutionPlace): Promise<string> {
  const cwd = site.missionWorktree;
  await cleanIntegrationWorktree(cwd);
  const result = await git(['merge', '--ff-only', '--quiet', place.branch], { cwd, internal: true, okExitCodes: [1, 128] });
  if (result.exitCode !== 0) {
    throw new AppError('conflict', `${site.missionBranch} cannot fast-forward to ${place.branch}: ${result.stderr.trim() || 'it moved meanwhile'}`);
  }
  return head(cwd);
}

/** Removes a resolution's worktree (its branch stays, for the record). Nothing happens when there is none. */
export async function removeResolution(site: ResolutionSite, teamBranch: string | null): Promise<void> {
  const { worktree } = resolutionPlace(site, teamBranch);
  await git(['worktree', 'remove', '--force', worktree], { cwd: site.repoPath, internal: true, okExitCodes: [128] }).catch(() => undefined);
  await rm(worktree, { recursive: true, force: true });
  await git(['worktree', 'prune'], { cwd: site.repoPath, internal: true }).catch(() => undefined);
}
