// What a mission leaves in a repository once it is over (its worktrees under its worktree
// folder, its branches under `cr/<mission>/`), and removing it. The caller decides whose
// leftovers may go: these functions never look at a mission's state.

import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { git } from './git.js';
import { listWorktrees } from './worktrees.js';

const MISSION_LEAF = '@mission';
// Counting a worktree's bytes walks every file; past this many entries (a node_modules)
// the size is not cheap any more and is reported as unknown.
const SIZE_ENTRY_CAP = 20_000;

/** Where one mission's leftovers are: its repository, its branches' slug and its worktree folder. */
export interface MissionSite {
  repo: string;
  /** `cr/<missionSlug>/...` are the mission's branches. */
  missionSlug: string;
  /** The mission's worktree folder; everything under it is the mission's. */
  rootDir: string;
}

/** What a mission left behind, as found on disk now. */
export interface Leftovers {
  /** Registered worktrees under the mission's folder (its folder may be gone). */
  worktrees: string[];
  /** Its branches except the mission branch, which is kept. */
  branches: string[];
  /** `cr/<slug>/@mission` when it exists. */
  missionBranch: string | null;
  /** The worktree folder when it is still on disk. */
  rootDir: string | null;
  /** Bytes under the worktree folder, null when counting them would be slow. */
  sizeBytes: number | null;
}

/** The branch a mission's work is integrated on: kept after the mission ends. */
export function missionBranchName(missionSlug: string): string {
  return `cr/${missionSlug}/${MISSION_LEAF}`;
}

/** Every branch under `cr/<missionSlug>/`, sorted. */
export async function missionBranches(repo: string, missionSlug: string): Promise<string[]> {
  const out = await git(['for-each-ref', '--format=%(refname:short)', `refs/heads/cr/${missionSlug}/`], { cwd: repo });
  return out.stdout.split('\n').filter((line) => line !== '').sort();
}

/**
 * The mission slugs the repository's `cr/` branches use (`cr/<slug>/...`, and a plain
 * `cr/<slug>` branch, which would block the folder): a new mission must pick another.
 */
export async function usedMissionSlugs(repo: string): Promise<Set<string>> {
  const out = await git(['for-each-ref', '--format=%(refname)', 'refs/heads/cr/'], { cwd: repo });
  const slugs = new Set<string>();
  for (const ref of out.stdout.split('\n')) {
    const slug = ref.slice('refs/heads/cr/'.length).split('/')[0];
    if (ref.startsWith('refs/heads/cr/') && slug) slugs.add(slug);
  }
  return slugs;
}

/** What a mission left in `site`: worktrees under its folder, branches (but the mission branch). */
export async function findLeftovers(site: MissionSite): Promise<Leftovers> {
  const root = resolve(site.rootDir);
  // git lists worktrees by real path (`/private/var/...` for `/var/...` on macOS).
  const roots = [root, realRoot(root)];
  const inside = (path: string) => roots.some((r) => path === r || path.startsWith(r + sep));
  const worktrees = (await listWorktrees(site.repo)).map((w) => w.path).filter(inside);
  const all = await missionBranches(site.repo, site.missionSlug);
  const missionBranch = missionBranchName(site.missionSlug);
  const rootExists = existsSync(root);
  return {
    worktrees,
    branches: all.filter((branch) => branch !== missionBranch),
    missionBranch: all.includes(missionBranch) ? missionBranch : null,
    rootDir: rootExists ? root : null,
    sizeBytes: rootExists ? boundedSize(root) : 0,
  };
}

/**
 * Removes a mission's worktrees (every one under its folder, then the folder) and, unless
 * `keepBranches`, its branches other than the mission branch. Best effort per item, so one
 * locked worktree does not keep the rest; answers what is gone.
 */
export async function removeLeftovers(
  site: MissionSite,
  options: { keepBranches: boolean },
): Promise<{ worktrees: string[]; branches: string[] }> {
  const found = await findLeftovers(site);
  const removedWorktrees: string[] = [];
  for (const path of found.worktrees) {
    const done = await git(['worktree', 'remove', '--force', '--force', path], {
      cwd: site.repo,
      internal: true,
      okExitCodes: [128],
    });
    if (done.exitCode === 0 || !existsSync(path)) removedWorktrees.push(path);
  }
  const root = resolve(site.rootDir);
  // Never the repository itself, whatever the ledger says the folder is.
  const repo = resolve(site.repo);
  if (root !== repo && !(repo + sep).startsWith(root + sep)) await rm(root, { recursive: true, force: true });
  // A folder gone (by hand, or just now) leaves its worktree registered; prune forgets it,
  // so the branch it had checked out can be deleted.
  await git(['worktree', 'prune'], { cwd: site.repo, internal: true });
  const removedBranches: string[] = [];
  if (!options.keepBranches) {
    for (const branch of found.branches) {
      const done = await git(['branch', '-D', '--', branch], { cwd: site.repo, internal: true, okExitCodes: [1, 128] });
      if (done.exitCode === 0) removedBranches.push(branch);
    }
  }
  return { worktrees: removedWorktrees, branches: removedBranches };
}

/** `path` with its nearest existing ancestor's links resolved (the folder itself may be gone). */
function realRoot(path: string): string {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    return join(realpathSync(existing), relative(existing, path));
  } catch {
    return path;
  }
}

/** Bytes under `dir` (not following links), or null past {@link SIZE_ENTRY_CAP} entries. */
function boundedSize(dir: string): number | null {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++entries > SIZE_ENTRY_CAP) return null;
      const path = join(current, name);
      try {
        const stat = lstatSync(path);
        if (stat.isDirectory()) stack.push(path);
        else bytes += stat.size;
      } catch {
        // Gone while we counted: it no longer takes space.
      }
    }
  }
  return bytes;
}
