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

/**
 * A readable slug of a person-given name (a mission's, a team's, an agent's): accents are
 * dropped rather than turned into dashes (`Zoë` -> `zoe`), and a name with nothing left
 * (`開発`, `...`) takes `fallback`. Same character rules as {@link toRefSlug}.
 */
export function nameSlug(name: string, fallback: string): string {
  const plain = name.normalize('NFKD').replace(/\p{M}+/gu, '');
  return /[a-z0-9]/i.test(plain) ? toRefSlug(plain) : toRefSlug(fallback);
}

/** True for a string `toRefSlug` could have produced (and so a valid, `@`-free ref component). */
export function isRefSlug(slug: string): boolean {
  return slug !== '' && toRefSlug(slug) === slug;
}

/**
 * The slugs a mission's branches are named by (`cr/<mission>/<team>/<coder>`), chosen once
 * when its workspace is first made and stored, so a reopen after a restart names the same
 * branches. Teams by team id, coders by agent id.
 */
export interface WorkspaceNames {
  mission: string;
  teams: Record<string, string>;
  coders: Record<string, string>;
}

/** What readable names are made from: the mission's name, its teams' and coders' names. */
export interface NamesSource {
  missionName: string;
  teams: readonly { id: string; name: string; coders: readonly { id: string; name: string }[] }[];
}

/**
 * Readable slugs for a mission's branches: the mission's name, each team's name, each
 * coder's name, made unique within their parent with `-2`, `-3`, ... (in the order given).
 * Slugs in `previous` are kept as they are (a coder added later gets a new one that
 * collides with none of them); the mission's slug also avoids `takenMissionSlugs` (other
 * missions' slugs in the ledger and `cr/<slug>` refs already in the repository).
 */
export function assignNames(
  source: NamesSource,
  takenMissionSlugs: ReadonlySet<string>,
  previous?: WorkspaceNames,
): WorkspaceNames {
  const mission = previous?.mission ?? uniqueSlug(nameSlug(source.missionName, 'mission'), takenMissionSlugs);
  const teams: Record<string, string> = { ...previous?.teams };
  const coders: Record<string, string> = { ...previous?.coders };
  const teamSlugs = new Set(Object.values(teams));
  for (const team of source.teams) {
    if (teams[team.id] === undefined) {
      teams[team.id] = uniqueSlug(nameSlug(team.name, 'team'), teamSlugs);
      teamSlugs.add(teams[team.id] as string);
    }
    const inTeam = new Set(team.coders.map((c) => coders[c.id]).filter((s): s is string => s !== undefined));
    for (const coder of team.coders) {
      if (coders[coder.id] !== undefined) continue;
      const slug = uniqueSlug(nameSlug(coder.name, 'coder'), inTeam);
      coders[coder.id] = slug;
      inTeam.add(slug);
    }
  }
  return { mission, teams, coders };
}

function uniqueSlug(slug: string, taken: ReadonlySet<string>): string {
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) if (!taken.has(`${slug}-${n}`)) return `${slug}-${n}`;
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
  const { names } = options;
  if (names) checkNames(names, options.teams);
  // Without stored names (missions started before readable names), branches are named by ids.
  const missionSlug = names?.mission ?? toRefSlug(options.missionId);
  const missionBranch = `cr/${missionSlug}/${MISSION_LEAF}`;
  const teamSlugs = names ? new Map(Object.entries(names.teams)) : assignSlugs(teamIds);
  const coders = new Map<string, CoderPlan>();
  const teams = options.teams.map((team): TeamPlan => {
    const teamSlug = teamSlugs.get(team.id) ?? toRefSlug(team.id);
    const coderSlugs = names ? new Map(Object.entries(names.coders)) : assignSlugs(team.coders);
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

/** Stored names must be slugs, name every team and coder, and be unique within their parent. */
function checkNames(names: WorkspaceNames, teams: MissionWorkspaceOptions['teams']): void {
  const bad = (what: string) => new AppError('invalid_request', `the stored branch names are unusable: ${what}`);
  if (!isRefSlug(names.mission)) throw bad(`"${names.mission}" is not a slug`);
  const teamSlugs = new Set<string>();
  for (const team of teams) {
    const slug = names.teams[team.id];
    if (slug === undefined || !isRefSlug(slug)) throw bad(`team "${team.id}" has no valid slug`);
    if (teamSlugs.has(slug)) throw bad(`two teams are named "${slug}"`);
    teamSlugs.add(slug);
    const coderSlugs = new Set<string>();
    for (const coder of team.coders) {
      const own = names.coders[coder];
      if (own === undefined || !isRefSlug(own)) throw bad(`coder "${coder}" has no valid slug`);
      if (coderSlugs.has(own)) throw bad(`two coders of team "${slug}" are named "${own}"`);
      coderSlugs.add(own);
    }
  }
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
