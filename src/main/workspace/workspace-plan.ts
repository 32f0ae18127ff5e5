// Where a mission's branches and worktrees go, worked out (and checked) before anything
// is created: createMissionWorkspace and openMissionWorkspace both start from the plan.

import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { AppError } from '../../shared/result.js';
import { git } from './git.js';
import type { MissionWorkspaceOptions } from './mission-workspace.js';
import { branchExists } from './worktrees.js';

// Branch layout. Git stores refs as paths, so `cr/m/t` (a file) and `cr/m/t/x` (inside a
// folder of that name) cannot both exist. The integration branches therefore live *beside*
// the coder branches under a name no slug can take (slugs never contain `@`):
//
//   cr/<mission>/@mission            the mission's integration branch (from the base)
//   cr/<mission>/<team>/@team        a team's integration branch (from the mission branch)
//   cr/<mission>/<team>/<coder>      a coder's branch (from its team branch)
//
// Worktrees mirror it under rootDir: `@mission/`, `<team>/@team/`, `<team>/<coder>/`.

const MISSION_LEAF = '@mission';
const TEAM_LEAF = '@team';
export const FINALIZE_LEAF = '@finalize';
const MAX_SLUG_LENGTH = 40;
const DEFAULT_SETUP_TIMEOUT_MS = 15 * 60_000;

/**
 * Turns an id into a ref-safe, lower-case path component: `[a-z0-9._-]`, no leading or
 * trailing `.`/`-`, no `..`, no `.lock` suffix, at most 40 characters. Lower case because
 * refs are files, and `Coder` and `coder` would collide on macOS and Windows. Never
 * contains `@`, which keeps `@team` and `@mission` free for the integration branches.
 */
export function toRefSlug(id: string): string {
  let slug = id
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  slug = slug.slice(0, MAX_SLUG_LENGTH).replace(/[.-]+$/g, '');
  if (slug.endsWith('.lock')) slug = `${slug.slice(0, -5)}-lock`;
  return slug === '' ? `id-${shortHash(id)}` : slug;
}

/** A coder's branch and worktree. */
export interface CoderPlan {
  id: string;
  teamId: string;
  branch: string;
  worktree: string;
}

/** A team's integration branch and worktree, and its coders'. */
export interface TeamPlan {
  id: string;
  branch: string;
  worktree: string;
  coders: CoderPlan[];
}

/** Every branch and worktree of one mission, and the options its worktrees are prepared with. */
export interface Plan {
  /** The checkout's top level, as a real path. */
  repo: string;
  baseBranch: string;
  missionSlug: string;
  missionBranch: string;
  missionWorktree: string;
  rootDir: string;
  teams: TeamPlan[];
  coders: Map<string, CoderPlan>;
  setupCommand: string | undefined;
  setupTimeoutMs: number;
  setupEnv: Readonly<Record<string, string>>;
  copyFiles: string[];
}

/**
 * Validates the options (repository, base branch, at least one team, unique ids, `rootDir`
 * outside the repository, `copyFiles` inside it) and names every branch and worktree;
 * changes nothing.
 */
export async function planWorkspace(options: MissionWorkspaceOptions): Promise<Plan> {
  const { repo, baseBranch } = await checkRepoAndBase(options.repoPath, options.baseBranch);

  if (options.teams.length === 0)
    throw new AppError('invalid_request', 'a mission workspace needs at least one team');
  const teamIds = options.teams.map((team) => team.id);
  const coderIds = options.teams.flatMap((team) => team.coders);
  assertUnique(teamIds, 'team');
  assertUnique(coderIds, 'coder');

  const rootDir = resolveOutside(options.rootDir, repo);
  const missionSlug = toRefSlug(options.missionId);
  const missionBranch = `cr/${missionSlug}/${MISSION_LEAF}`;
  const teamSlugs = assignSlugs(teamIds);
  const coders = new Map<string, CoderPlan>();
  const teams = options.teams.map((team): TeamPlan => {
    const teamSlug = teamSlugs.get(team.id) ?? toRefSlug(team.id);
    const coderSlugs = assignSlugs(team.coders);
    const teamPlan: TeamPlan = {
      id: team.id,
      branch: `cr/${missionSlug}/${teamSlug}/${TEAM_LEAF}`,
      worktree: join(rootDir, teamSlug, TEAM_LEAF),
      coders: team.coders.map((coderId) => {
        const coderSlug = coderSlugs.get(coderId) ?? toRefSlug(coderId);
        return {
          id: coderId,
          teamId: team.id,
          branch: `cr/${missionSlug}/${teamSlug}/${coderSlug}`,
          worktree: join(rootDir, teamSlug, coderSlug),
        };
      }),
    };
    for (const coder of teamPlan.coders) coders.set(coder.id, coder);
    return teamPlan;
  });

  return {
    repo,
    baseBranch,
    missionSlug,
    missionBranch,
    missionWorktree: join(rootDir, MISSION_LEAF),
    rootDir,
    teams,
    coders,
    setupCommand: options.setupCommand?.trim() || undefined,
    setupTimeoutMs: options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS,
    setupEnv: options.setupEnv ?? {},
    copyFiles: (options.copyFiles ?? []).map(checkCopyPath),
  };
}

/**
 * The checkout's top level (a real path) and the trimmed base branch; throws the `AppError`
 * a person can act on (no such folder, not a checkout, no commit, no such branch).
 */
export async function checkRepoAndBase(requested: string, requestedBase: string): Promise<{ repo: string; baseBranch: string }> {
  const repoPath = resolve(requested);
  if (!existsSync(repoPath) || !statSync(repoPath).isDirectory()) {
    throw new AppError('not_found', `the repository folder "${repoPath}" does not exist`);
  }
  let top: string;
  try {
    top = (await git(['rev-parse', '--show-toplevel'], { cwd: repoPath })).stdout.trim();
  } catch {
    throw new AppError('invalid_request', `"${repoPath}" is not a git repository (or has no working tree)`);
  }
  const repo = realpathSync(top);
  const anyCommit = await git(['rev-list', '-n', '1', '--all'], { cwd: repo });
  if (anyCommit.stdout.trim() === '') {
    throw new AppError(
      'invalid_request',
      `the repository "${repo}" has no commits yet; make a first commit, then start the mission`,
    );
  }

  const baseBranch = requestedBase.trim();
  const validName = await git(['check-ref-format', '--branch', baseBranch], {
    cwd: repo,
    okExitCodes: [1, 128],
  });
  if (baseBranch === '' || validName.exitCode !== 0) {
    throw new AppError('invalid_request', `"${requestedBase}" is not a valid branch name`);
  }
  if (!(await branchExists(repo, baseBranch))) {
    const branches = (
      await git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'], { cwd: repo })
    ).stdout
      .split('\n')
      .filter((name) => name !== '' && !name.startsWith('cr/'));
    throw new AppError(
      'not_found',
      `the base branch "${baseBranch}" does not exist in ${repo}; its branches are: ${branches.slice(0, 20).join(', ') || '(none)'}`,
    );
  }
  return { repo, baseBranch };
}

/** Slugs per id; ids whose slugs collide all get a hash of the id appended, whatever the order. */
function assignSlugs(ids: readonly string[]): Map<string, string> {
  const bySlug = new Map<string, string[]>();
  for (const id of ids) {
    const slug = toRefSlug(id);
    bySlug.set(slug, [...(bySlug.get(slug) ?? []), id]);
  }
  const slugs = new Map<string, string>();
  for (const [slug, owners] of bySlug) {
    for (const id of owners) slugs.set(id, owners.length > 1 ? `${slug}-${shortHash(id)}` : slug);
  }
  return slugs;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

function assertUnique(ids: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (id.trim() === '') throw new AppError('invalid_request', `a ${what} id is empty`);
    if (seen.has(id)) throw new AppError('invalid_request', `the ${what} id "${id}" appears twice`);
    seen.add(id);
  }
}

/** rootDir as an absolute real-ish path, refused if it is inside the repository. */
function resolveOutside(rootDir: string, repo: string): string {
  const absolute = resolve(rootDir);
  // Judge by the real path of the nearest existing ancestor: a symlink into the repo counts.
  let existing = absolute;
  while (!existsSync(existing)) existing = dirname(existing);
  const real = join(realpathSync(existing), relative(existing, absolute));
  const rel = relative(repo, real);
  if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) {
    throw new AppError(
      'invalid_request',
      `the worktree folder "${rootDir}" must be outside the repository ${repo}`,
    );
  }
  const back = relative(real, repo);
  if (back === '' || (!back.startsWith(`..${sep}`) && back !== '..' && !isAbsolute(back))) {
    throw new AppError(
      'invalid_request',
      `the worktree folder "${rootDir}" must not contain the repository ${repo}`,
    );
  }
  return real;
}

function checkCopyPath(path: string): string {
  const clean = normalize(path).replace(/\\/g, '/').replace(/\/+$/, '');
  if (
    path.includes('\0') ||
    isAbsolute(path) ||
    clean === '' ||
    clean === '.' ||
    clean === '..' ||
    clean.startsWith('../') ||
    clean.split('/').includes('.git')
  ) {
    throw new AppError(
      'invalid_request',
      `"${path}" cannot be copied into worktrees: give a path inside the repository`,
    );
  }
  return clean;
}

/** The mission's worktrees in creation order: the mission's, then each team's before its coders'. */
export function* allWorktrees(plan: Plan): Generator<{ path: string; branch: string; isCoder: boolean }> {
  yield { path: plan.missionWorktree, branch: plan.missionBranch, isCoder: false };
  for (const team of plan.teams) {
    yield { path: team.worktree, branch: team.branch, isCoder: false };
    for (const coder of team.coders) yield { path: coder.worktree, branch: coder.branch, isCoder: true };
  }
}
