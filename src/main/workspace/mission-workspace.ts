import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { cp, mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { AppError } from '../../shared/result.js';
import { runCommand } from './commands.js';
import { AGENT_EMAIL, CONTROL_ROOM_IDENTITY, git, GitError, splitNul, type GitIdentity } from './git.js';

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
const FINALIZE_LEAF = '@finalize';
const MAX_SLUG_LENGTH = 40;
const WORKTREE_ADD_TIMEOUT_MS = 10 * 60_000;
const MERGE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_SETUP_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_DIFF_MAX_BYTES = 256 * 1024;
// Concurrent setup commands (say `npm ci`) per mission; more would fight over CPU and disk.
const SETUP_CONCURRENCY = 4;

export interface MissionTeamSpec {
  id: string;
  /** The coders' ids; unique across the whole mission. */
  coders: readonly string[];
}

export interface MissionWorkspaceOptions {
  /** The user's repository (any folder inside its checkout). */
  repoPath: string;
  /** The branch the mission starts from and is finally merged into. */
  baseBranch: string;
  missionId: string;
  teams: readonly MissionTeamSpec[];
  /** Where the worktrees live; outside the repository, e.g. `<dataDir>/worktrees/<missionId>`. */
  rootDir: string;
  /** Run with `/bin/sh -c` in each new coder worktree (say `npm ci`); failure fails the call. */
  setupCommand?: string;
  /** Default 15 minutes per worktree. */
  setupTimeoutMs?: number;
  /** Extra environment for the setup command (added to the safe base of `buildCommandEnv`). */
  setupEnv?: Readonly<Record<string, string>>;
  /**
   * Paths relative to the repository root copied from the user's checkout into each new
   * coder worktree even though git ignores them (`.env`, `config/local.json`). Missing
   * ones are skipped. They are never staged by {@link MissionWorkspace.commitCoderWork}.
   */
  copyFiles?: readonly string[];
}

/** A file a diff touches; counts are null for binary files. */
export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type-changed' | 'other';
  additions: number | null;
  deletions: number | null;
}

export interface CoderDiff {
  /** The merge-base of the coder branch and its team branch. */
  base: string;
  /** The coder branch's commit. */
  head: string;
  files: ChangedFile[];
  additions: number;
  deletions: number;
  /** The unified diff, cut at a line boundary when over the cap. */
  diff: string;
  truncated: boolean;
}

export type MergeOutcome =
  | {
      merged: true;
      /** The branch's commit after the merge. */
      commit: string;
      /** True when there was nothing to merge. */
      alreadyMerged: boolean;
    }
  | {
      merged: false;
      /** Files that conflicted; the merge was aborted and the worktree is clean. */
      conflicts: string[];
    };

export type MissionMergeOutcome =
  | { merged: true; commit: string; mergedTeams: string[] }
  | {
      merged: false;
      /** The team whose branch conflicted; teams before it stay merged. */
      teamId: string;
      conflicts: string[];
      mergedTeams: string[];
    };

export type FinalizeOutcome =
  | {
      merged: true;
      commit: string;
      alreadyMerged: boolean;
      /** Where the merge happened: the user's checkout of the base, or a temporary worktree. */
      via: 'checkout' | 'temporary-worktree';
    }
  | { merged: false; conflicts: string[] };

export interface MergeOptions {
  /** Who the merge commit is attributed to, e.g. the leader. Default "Control Room". */
  author?: string | GitIdentity;
  message?: string;
}

/** One mission's branches and worktrees. Calls are serialised per workspace. */
export interface MissionWorkspace {
  readonly repoPath: string;
  readonly baseBranch: string;
  readonly missionBranch: string;
  readonly missionWorktree: string;
  readonly rootDir: string;
  teamBranch(teamId: string): string;
  teamWorktree(teamId: string): string;
  coderBranch(coderId: string): string;
  coderWorktree(coderId: string): string;
  /** Stages everything (new files too) and commits; null when nothing changed. */
  commitCoderWork(coderId: string, message: string, author: string | GitIdentity): Promise<string | null>;
  /** The coder branch against its merge-base with the team branch (committed work only). */
  diffCoder(coderId: string, options?: { maxBytes?: number }): Promise<CoderDiff>;
  mergeCoderIntoTeam(coderId: string, options?: MergeOptions): Promise<MergeOutcome>;
  /** Points the coder branch at the team branch and cleans its worktree; returns the commit. */
  resetCoderToTeam(coderId: string): Promise<string>;
  /** The coder branch's commit now (a fleet worker starts the coder's work from it). */
  coderHead(coderId: string): Promise<string>;
  /**
   * Brings work a fleet worker pushed to `ref` (commits on top of `base`) into the coder's
   * worktree as uncommitted changes on `base`, so `commitCoderWork` makes one commit of it,
   * as if the coder had worked here. Returns false when `ref` does not exist (the worker
   * changed nothing).
   */
  adoptCoderWork(coderId: string, ref: string, base: string): Promise<boolean>;
  mergeTeamsIntoMission(options?: MergeOptions): Promise<MissionMergeOutcome>;
  finalizeIntoBase(options?: MergeOptions): Promise<FinalizeOutcome>;
  /** Removes every worktree (branches stay); the workspace cannot be used afterwards. */
  remove(): Promise<void>;
}

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

/**
 * Creates a new mission's branches and worktrees: the mission branch from `baseBranch`,
 * one integration branch and worktree per team, one branch and worktree per coder, then
 * copies `copyFiles` and runs `setupCommand` in each coder worktree.
 *
 * Throws an `AppError` when the repository is not a git checkout with a commit
 * (`invalid_request`), the base branch does not exist (`not_found`), ids repeat
 * (`invalid_request`), `rootDir` is inside the repository or not empty, or the mission's
 * branches already exist (`conflict`; use {@link openMissionWorkspace}). On failure,
 * whatever this call created is removed again. The user's checkout is never touched.
 */
export async function createMissionWorkspace(options: MissionWorkspaceOptions): Promise<MissionWorkspace> {
  const plan = await planWorkspace(options);
  const existing = await git(
    ['for-each-ref', '--format=%(refname:short)', `refs/heads/cr/${plan.missionSlug}/`],
    {
      cwd: plan.repo,
    },
  );
  if (existing.stdout.trim() !== '') {
    throw new AppError(
      'conflict',
      `branches for mission "${options.missionId}" already exist (${existing.stdout.trim().split('\n').slice(0, 3).join(', ')}); reopen the workspace instead`,
    );
  }
  if (
    existsSync(plan.rootDir) &&
    (!statSync(plan.rootDir).isDirectory() || readdirSync(plan.rootDir).length > 0)
  ) {
    throw new AppError('conflict', `the worktree folder "${plan.rootDir}" already exists and is not empty`);
  }

  const createdBranches: string[] = [];
  const createdWorktrees: string[] = [];
  try {
    const baseCommit = (
      await git(['rev-parse', '--verify', `refs/heads/${plan.baseBranch}^{commit}`], { cwd: plan.repo })
    ).stdout.trim();
    await createBranch(plan.repo, plan.missionBranch, baseCommit);
    createdBranches.push(plan.missionBranch);
    for (const team of plan.teams) {
      await createBranch(plan.repo, team.branch, baseCommit);
      createdBranches.push(team.branch);
      for (const coder of team.coders) {
        await createBranch(plan.repo, coder.branch, baseCommit);
        createdBranches.push(coder.branch);
      }
    }
    await mkdir(plan.rootDir, { recursive: true });
    const fresh: string[] = [];
    for (const { path, branch, isCoder } of allWorktrees(plan)) {
      await ensureWorktree(plan.repo, path, branch);
      createdWorktrees.push(path);
      if (isCoder) fresh.push(path);
    }
    await prepareCoderWorktrees(plan, fresh);
  } catch (error) {
    await rollback(plan, createdWorktrees, createdBranches);
    throw error;
  }
  return new Workspace(plan);
}

/**
 * Re-attaches to a mission's workspace after a restart, with the options it was created
 * with. Idempotent: existing worktrees are reused; missing ones are recreated from their
 * branches (and get `copyFiles` and `setupCommand` if they are coder worktrees); missing
 * team or coder branches (a coder added later) are created from their parent branch.
 * A leftover merge from a crash is cleaned up before the next merge.
 *
 * Throws `not_found` if the mission branch does not exist, and the same validation errors
 * as {@link createMissionWorkspace}.
 */
export async function openMissionWorkspace(options: MissionWorkspaceOptions): Promise<MissionWorkspace> {
  const plan = await planWorkspace(options);
  if (!(await branchExists(plan.repo, plan.missionBranch))) {
    throw new AppError(
      'not_found',
      `there is no workspace for mission "${options.missionId}" in ${plan.repo} (branch ${plan.missionBranch} is missing)`,
    );
  }
  for (const team of plan.teams) {
    if (!(await branchExists(plan.repo, team.branch)))
      await createBranch(plan.repo, team.branch, plan.missionBranch);
    for (const coder of team.coders) {
      if (!(await branchExists(plan.repo, coder.branch)))
        await createBranch(plan.repo, coder.branch, team.branch);
    }
  }
  await mkdir(plan.rootDir, { recursive: true });
  const fresh: string[] = [];
  for (const { path, branch, isCoder } of allWorktrees(plan)) {
    if ((await ensureWorktree(plan.repo, path, branch)) && isCoder) fresh.push(path);
  }
  await prepareCoderWorktrees(plan, fresh);
  return new Workspace(plan);
}

interface CoderPlan {
  id: string;
  teamId: string;
  branch: string;
  worktree: string;
}

interface TeamPlan {
  id: string;
  branch: string;
  worktree: string;
  coders: CoderPlan[];
}

interface Plan {
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
 * Checks, without changing anything, that `repoPath` is a git checkout with a commit and
 * a branch `baseBranch`: the errors a mission's start would hit, early enough to show
 * them beside the form that launches it. Answers the checkout's top level (a real path).
 */
export async function checkRepository(repoPath: string, baseBranch: string): Promise<string> {
  return (await checkRepoAndBase(repoPath, baseBranch)).repo;
}

async function planWorkspace(options: MissionWorkspaceOptions): Promise<Plan> {
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

async function checkRepoAndBase(requested: string, requestedBase: string): Promise<{ repo: string; baseBranch: string }> {
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

function* allWorktrees(plan: Plan): Generator<{ path: string; branch: string; isCoder: boolean }> {
  yield { path: plan.missionWorktree, branch: plan.missionBranch, isCoder: false };
  for (const team of plan.teams) {
    yield { path: team.worktree, branch: team.branch, isCoder: false };
    for (const coder of team.coders) yield { path: coder.worktree, branch: coder.branch, isCoder: true };
  }
}

async function branchExists(repo: string, branch: string): Promise<boolean> {
  const result = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
    cwd: repo,
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

async function createBranch(repo: string, branch: string, startPoint: string): Promise<void> {
  await git(['branch', '--no-track', branch, startPoint], { cwd: repo, internal: true });
}

interface WorktreeEntry {
  path: string;
  branch: string | null;
}

async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
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
async function ensureWorktree(repo: string, path: string, branch: string): Promise<boolean> {
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

async function prepareCoderWorktrees(plan: Plan, worktrees: readonly string[]): Promise<void> {
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

async function copyFilesInto(plan: Plan, worktree: string): Promise<void> {
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

async function rollback(
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
async function removeEmptyDirs(plan: Plan): Promise<void> {
  const dirs = [...new Set(plan.teams.map((team) => dirname(team.worktree)))];
  for (const dir of [...dirs, plan.rootDir]) await rmdir(dir).catch(() => undefined);
}

function identityOf(author: string | GitIdentity | undefined, fallback: GitIdentity): GitIdentity {
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

async function hasRef(cwd: string, ref: string): Promise<boolean> {
  return (await git(['rev-parse', '-q', '--verify', ref], { cwd, okExitCodes: [1] })).exitCode === 0;
}

async function head(cwd: string): Promise<string> {
  return (await git(['rev-parse', 'HEAD'], { cwd })).stdout.trim();
}

/**
 * Merges `branch` into what `cwd` has checked out with `--no-ff`. A conflict is aborted
 * and reported; any other failure is cleaned up and rethrown.
 */
async function mergeInto(
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
async function cleanIntegrationWorktree(cwd: string): Promise<void> {
  if (await hasRef(cwd, 'MERGE_HEAD'))
    await git(['merge', '--abort'], { cwd, internal: true }).catch(() => undefined);
  const status = await git(['status', '--porcelain', '-z'], { cwd });
  if (status.stdout !== '') {
    await git(['reset', '--hard', '--quiet', 'HEAD'], { cwd, internal: true });
    await git(['clean', '-fdq'], { cwd, internal: true });
  }
}

class Workspace implements MissionWorkspace {
  readonly repoPath: string;
  readonly baseBranch: string;
  readonly missionBranch: string;
  readonly missionWorktree: string;
  readonly rootDir: string;
  private readonly plan: Plan;
  private queue: Promise<unknown> = Promise.resolve();
  private removed = false;

  constructor(plan: Plan) {
    this.plan = plan;
    this.repoPath = plan.repo;
    this.baseBranch = plan.baseBranch;
    this.missionBranch = plan.missionBranch;
    this.missionWorktree = plan.missionWorktree;
    this.rootDir = plan.rootDir;
  }

  teamBranch(teamId: string): string {
    return this.team(teamId).branch;
  }

  teamWorktree(teamId: string): string {
    return this.team(teamId).worktree;
  }

  coderBranch(coderId: string): string {
    return this.coder(coderId).branch;
  }

  coderWorktree(coderId: string): string {
    return this.coder(coderId).worktree;
  }

  commitCoderWork(coderId: string, message: string, author: string | GitIdentity): Promise<string | null> {
    const coder = this.coder(coderId);
    return this.serial(async () => {
      const cwd = coder.worktree;
      const identity = identityOf(author, { name: 'Agent', email: AGENT_EMAIL });
      await git(['add', '--all'], { cwd, internal: true });
      if (this.plan.copyFiles.length > 0) {
        // Copied files are the user's local secrets and settings, never the agent's work.
        await git(['reset', '--quiet', '--', ...this.plan.copyFiles.map((file) => `:(literal)${file}`)], {
          cwd,
          internal: true,
        });
      }
      const staged = await git(['diff', '--cached', '--quiet'], { cwd, okExitCodes: [1] });
      if (staged.exitCode === 0) return null;
      const text = message.trim() || `Work by ${identity.name}`;
      await git(['commit', '--quiet', '--no-verify', '-m', text], { cwd, internal: true, identity });
      return head(cwd);
    });
  }

  diffCoder(coderId: string, options: { maxBytes?: number } = {}): Promise<CoderDiff> {
    const coder = this.coder(coderId);
    const team = this.team(coder.teamId);
    return this.serial(async () => {
      const cwd = this.plan.repo;
      const maxBytes = options.maxBytes ?? DEFAULT_DIFF_MAX_BYTES;
      const base = (await git(['merge-base', team.branch, coder.branch], { cwd })).stdout.trim();
      const tip = (await git(['rev-parse', `refs/heads/${coder.branch}`], { cwd })).stdout.trim();
      const range = [base, tip];
      const common = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];
      const [numstat, nameStatus, patch] = await Promise.all([
        git(['diff', ...common, '--numstat', '-z', ...range], { cwd }),
        git(['diff', ...common, '--name-status', '-z', ...range], { cwd }),
        git(['diff', ...common, '--patch', ...range], { cwd, maxStdoutBytes: maxBytes }),
      ]);

      const files = parseChangedFiles(numstat.stdout, nameStatus.stdout);
      let diff = patch.stdout;
      if (patch.truncated) {
        const cut = diff.lastIndexOf('\n');
        diff = `${cut > 0 ? diff.slice(0, cut + 1) : diff}[diff truncated at ${maxBytes} bytes; ${files.length} files changed, see the file list]\n`;
      }
      return {
        base,
        head: tip,
        files,
        additions: files.reduce((sum, file) => sum + (file.additions ?? 0), 0),
        deletions: files.reduce((sum, file) => sum + (file.deletions ?? 0), 0),
        diff,
        truncated: patch.truncated,
      };
    });
  }

  mergeCoderIntoTeam(coderId: string, options: MergeOptions = {}): Promise<MergeOutcome> {
    const coder = this.coder(coderId);
    const team = this.team(coder.teamId);
    return this.serial(async () => {
      await cleanIntegrationWorktree(team.worktree);
      return mergeInto(
        team.worktree,
        coder.branch,
        options.message ?? `Merge ${coder.id} into team ${team.id}`,
        {
          identity: identityOf(options.author, CONTROL_ROOM_IDENTITY),
          internal: true,
        },
      );
    });
  }

  resetCoderToTeam(coderId: string): Promise<string> {
    const coder = this.coder(coderId);
    const team = this.team(coder.teamId);
    return this.serial(async () => {
      const cwd = coder.worktree;
      if (await hasRef(cwd, 'MERGE_HEAD')) await git(['merge', '--abort'], { cwd, internal: true });
      await git(['reset', '--hard', '--quiet', `refs/heads/${team.branch}`], { cwd, internal: true });
      // -d but not -x: ignored files (node_modules, build caches) survive for the next task.
      await git(['clean', '-fdq'], { cwd, internal: true });
      await copyFilesInto(this.plan, cwd);
      return head(cwd);
    });
  }

  coderHead(coderId: string): Promise<string> {
    const coder = this.coder(coderId);
    return this.serial(() => head(coder.worktree));
  }

  adoptCoderWork(coderId: string, ref: string, base: string): Promise<boolean> {
    const coder = this.coder(coderId);
    return this.serial(async () => {
      const cwd = coder.worktree;
      if (!(await hasRef(cwd, ref))) return false;
      await git(['reset', '--hard', '--quiet', ref], { cwd, internal: true });
      // The worker's commits become one set of staged changes on the claim's base.
      await git(['reset', '--soft', '--quiet', base], { cwd, internal: true });
      return true;
    });
  }

  mergeTeamsIntoMission(options: MergeOptions = {}): Promise<MissionMergeOutcome> {
    return this.serial(async () => {
      const cwd = this.plan.missionWorktree;
      await cleanIntegrationWorktree(cwd);
      const mergedTeams: string[] = [];
      for (const team of this.plan.teams) {
        const outcome = await mergeInto(
          cwd,
          team.branch,
          options.message ?? `Merge team ${team.id} into the mission`,
          {
            identity: identityOf(options.author, CONTROL_ROOM_IDENTITY),
            internal: true,
          },
        );
        if (!outcome.merged)
          return { merged: false, teamId: team.id, conflicts: outcome.conflicts, mergedTeams };
        mergedTeams.push(team.id);
      }
      return { merged: true, commit: await head(cwd), mergedTeams };
    });
  }

  finalizeIntoBase(options: MergeOptions = {}): Promise<FinalizeOutcome> {
    return this.serial(async () => {
      const { repo, baseBranch, missionBranch } = this.plan;
      const message = options.message ?? `Merge mission ${this.plan.missionSlug} (Control Room)`;
      const baseRef = `refs/heads/${baseBranch}`;
      const baseCommit = (
        await git(['rev-parse', '--verify', `${baseRef}^{commit}`], { cwd: repo })
      ).stdout.trim();
      const contained = await git(
        ['merge-base', '--is-ancestor', `refs/heads/${missionBranch}`, baseCommit],
        {
          cwd: repo,
          okExitCodes: [1],
        },
      );
      const checkout = (await listWorktrees(repo)).find((entry) => entry.branch === baseBranch);
      if (contained.exitCode === 0) {
        return {
          merged: true,
          commit: baseCommit,
          alreadyMerged: true,
          via: checkout ? 'checkout' : 'temporary-worktree',
        };
      }
      const identity =
        options.author === undefined
          ? await configuredIdentity(repo)
          : identityOf(options.author, CONTROL_ROOM_IDENTITY);

      if (checkout) {
        // The person's own working tree: their hooks and signing settings apply; we only
        // insist that nothing of theirs is uncommitted, so the merge cannot mix with it.
        const cwd = checkout.path;
        if (await hasRef(cwd, 'MERGE_HEAD')) {
          throw new AppError(
            'conflict',
            `${cwd} is in the middle of a merge; finish or abort it, then approve again`,
          );
        }
        const status = await git(['status', '--porcelain', '-z', '--untracked-files=no'], { cwd });
        const dirty = parseStatusPaths(status.stdout);
        if (dirty.length > 0) {
          throw new AppError(
            'conflict',
            `"${baseBranch}" is checked out in ${cwd} with uncommitted changes to ${dirty.slice(0, 20).join(', ')}${dirty.length > 20 ? ', …' : ''}; commit or stash them, then approve again`,
          );
        }
        const outcome = await mergeInto(cwd, missionBranch, message, {
          ...(identity ? { identity } : {}),
          internal: false,
        });
        return outcome.merged ? { ...outcome, via: 'checkout' } : outcome;
      }

      // Not checked out anywhere: merge in a throwaway worktree on a detached HEAD, then
      // move the branch only if nobody else moved it meanwhile.
      const temp = join(this.plan.rootDir, FINALIZE_LEAF);
      await git(['worktree', 'remove', '--force', temp], { cwd: repo, internal: true }).catch(
        () => undefined,
      );
      await rm(temp, { recursive: true, force: true });
      await mkdir(this.plan.rootDir, { recursive: true });
      await git(['worktree', 'add', '--quiet', '--detach', temp, baseCommit], {
        cwd: repo,
        internal: true,
        timeoutMs: WORKTREE_ADD_TIMEOUT_MS,
      });
      try {
        const outcome = await mergeInto(temp, missionBranch, message, {
          ...(identity ? { identity } : {}),
          internal: true,
        });
        if (!outcome.merged) return outcome;
        const updated = await git(
          [
            'update-ref',
            '-m',
            `control-room: finalize ${missionBranch}`,
            baseRef,
            outcome.commit,
            baseCommit,
          ],
          { cwd: repo, okExitCodes: [1, 128] },
        );
        if (updated.exitCode !== 0) {
          throw new AppError(
            'conflict',
            `"${baseBranch}" moved while the mission was being merged; approve again`,
          );
        }
        return { ...outcome, via: 'temporary-worktree' };
      } finally {
        await git(['worktree', 'remove', '--force', temp], { cwd: repo, internal: true }).catch(
          () => undefined,
        );
        await git(['worktree', 'prune'], { cwd: repo, internal: true }).catch(() => undefined);
      }
    });
  }

  remove(): Promise<void> {
    return this.serial(async () => {
      const { repo } = this.plan;
      const ours = [...allWorktrees(this.plan)].map((entry) => entry.path);
      ours.push(join(this.plan.rootDir, FINALIZE_LEAF));
      for (const path of ours) {
        if (!existsSync(path)) continue;
        await git(['worktree', 'remove', '--force', path], { cwd: repo, internal: true });
      }
      await git(['worktree', 'prune'], { cwd: repo, internal: true });
      await removeEmptyDirs(this.plan);
      this.removed = true;
    });
  }

  private team(teamId: string): TeamPlan {
    const team = this.plan.teams.find((candidate) => candidate.id === teamId);
    if (!team) throw new AppError('not_found', `no team "${teamId}" in this mission's workspace`);
    return team;
  }

  private coder(coderId: string): CoderPlan {
    const coder = this.plan.coders.get(coderId);
    if (!coder) throw new AppError('not_found', `no coder "${coderId}" in this mission's workspace`);
    return coder;
  }

  /**
   * One git operation at a time per mission: merges read one branch while resets move
   * another, and git's own locks would otherwise turn overlaps into spurious failures.
   */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.removed) throw new AppError('conflict', "this mission's worktrees were removed");
      return run();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * The identity to force for the final merge: null when the user has their own configured
 * (git will use it), Control Room's otherwise, so the merge cannot fail for want of one.
 */
async function configuredIdentity(repo: string): Promise<GitIdentity | null> {
  const name = await git(['config', 'user.name'], { cwd: repo, okExitCodes: [1] });
  const email = await git(['config', 'user.email'], { cwd: repo, okExitCodes: [1] });
  if (name.exitCode === 0 && email.exitCode === 0 && name.stdout.trim() && email.stdout.trim()) return null;
  return CONTROL_ROOM_IDENTITY;
}

/** Paths from `git status --porcelain -z` (renames carry their source as an extra field). */
function parseStatusPaths(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    paths.push(field.slice(3));
    if (field[0] === 'R' || field[0] === 'C') i++;
  }
  return paths;
}

function parseChangedFiles(numstat: string, nameStatus: string): ChangedFile[] {
  const statuses = new Map<string, ChangedFile['status']>();
  const fields = splitNul(nameStatus);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const letter = fields[i]?.[0];
    const path = fields[i + 1] ?? '';
    statuses.set(
      path,
      letter === 'A'
        ? 'added'
        : letter === 'M'
          ? 'modified'
          : letter === 'D'
            ? 'deleted'
            : letter === 'T'
              ? 'type-changed'
              : 'other',
    );
  }
  return splitNul(numstat).map((entry) => {
    const [added = '-', deleted = '-', ...rest] = entry.split('\t');
    const path = rest.join('\t');
    return {
      path,
      status: statuses.get(path) ?? 'other',
      additions: added === '-' ? null : Number(added),
      deletions: deleted === '-' ? null : Number(deleted),
    };
  });
}
