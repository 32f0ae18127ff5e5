import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/result.js';
import type { FileChange } from '../../shared/review.js';
import { diffWorkInProgress } from './change-diff.js';
import { parseChangedFiles, parseStatusPaths } from './changed-files.js';
import { AGENT_EMAIL, CONTROL_ROOM_IDENTITY, git, type GitIdentity } from './git.js';
import {
  cleanIntegrationWorktree,
  configuredIdentity,
  hasRef,
  head,
  identityOf,
  mergeInto,
} from './merges.js';
import {
  allWorktrees,
  checkRepoAndBase,
  FINALIZE_LEAF,
  planWorkspace,
  type CoderPlan,
  type Plan,
  type TeamPlan,
  type WorkspaceNames,
} from './workspace-plan.js';
import {
  branchExists,
  copyFilesInto,
  createBranch,
  ensureWorktree,
  listWorktrees,
  prepareCoderWorktrees,
  removeEmptyDirs,
  rollback,
  WORKTREE_ADD_TIMEOUT_MS,
} from './worktrees.js';

import { mergeTeamIntoMission, missionHead, startTeamFromMission, type TeamMergeOutcome } from './team-phases.js';

export type { TeamMergeOutcome } from './team-phases.js';

// toRefSlug lives with the branch layout in workspace-plan.ts; its users (the fleet worker
// names its refs with it) take it from here with the rest of the workspace's interface.
export { assignNames, isRefSlug, toRefSlug, type NamesSource, type WorkspaceNames } from './workspace-plan.js';

const DEFAULT_DIFF_MAX_BYTES = 256 * 1024;

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
  /**
   * The readable slugs the branches are named by (see `assignNames`); every team and
   * coder must have one. Without it, branches are named by ids (missions started before
   * readable names).
   */
  names?: WorkspaceNames;
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
  /** The same change file by file, each with its own patch (see `change-diff.ts`). */
  changes: FileChange[];
  /** True when some of it is not committed yet (the coder is still working). */
  uncommitted: boolean;
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
  /**
   * The coder's work in progress against where its task started (the merge-base of its
   * branch with the team branch): its commits and, when its worktree exists, its
   * uncommitted edits and new files too (the copied `copyFiles` never).
   */
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
  /** Merges one team into the mission branch and lists the files it changed since `since` (its start). */
  mergeTeamIntoMission(teamId: string, since: string | null, options?: MergeOptions): Promise<TeamMergeOutcome>;
  /** Moves a team's branch and its coders' to the mission branch's commit (its phase begins); answers that commit. */
  startTeamFromMission(teamId: string): Promise<string>;
  /** The mission branch's commit now. */
  missionHead(): Promise<string>;
  finalizeIntoBase(options?: MergeOptions): Promise<FinalizeOutcome>;
  /** Removes every worktree (branches stay); the workspace cannot be used afterwards. */
  remove(): Promise<void>;
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
      `branches for mission "${options.missionId}" (cr/${plan.missionSlug}/) already exist (${existing.stdout.trim().split('\n').slice(0, 3).join(', ')}); reopen the workspace instead`,
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

/**
 * Checks, without changing anything, that `repoPath` is a git checkout with a commit and
 * a branch `baseBranch`: the errors a mission's start would hit, early enough to show
 * them beside the form that launches it. Answers the checkout's top level (a real path).
 */
export async function checkRepository(repoPath: string, baseBranch: string): Promise<string> {
  return (await checkRepoAndBase(repoPath, baseBranch)).repo;
}

/** True when two file lists say the same (the worktree holds nothing beyond the commits). */
function sameFiles(a: readonly ChangedFile[], b: readonly ChangedFile[]): boolean {
  return a.length === b.length && a.every((f, i) => {
    const g = b[i];
    return g !== undefined && g.path === f.path && g.status === f.status && g.additions === f.additions && g.deletions === f.deletions;
  });
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

      const committed = parseChangedFiles(numstat.stdout, nameStatus.stdout);
      // The worktree holds what the coder has not committed yet; without it (removed, or a
      // fleet worker's) the branch is all there is.
      const wip = existsSync(coder.worktree)
        ? await diffWorkInProgress(coder.worktree, base, { maxBytes, exclude: this.plan.copyFiles })
        : null;
      const files = wip ? wip.files.map(({ path, status, additions, deletions }) => ({ path, status, additions, deletions })) : committed;
      const uncommitted = wip !== null && !sameFiles(files, committed);
      let diff = uncommitted ? wip.files.map((f) => f.patch).join('') : patch.stdout;
      const truncated = uncommitted ? wip.truncated : patch.truncated;
      if (truncated) {
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
        truncated,
        changes: wip?.files ?? committed.map((f) => ({ ...f, patch: '', truncated: true })),
        uncommitted,
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

  mergeTeamIntoMission(teamId: string, since: string | null, options: MergeOptions = {}): Promise<TeamMergeOutcome> {
    const team = this.team(teamId);
    return this.serial(() => mergeTeamIntoMission(this.plan, team, since, options));
  }

  startTeamFromMission(teamId: string): Promise<string> {
    const team = this.team(teamId);
    return this.serial(() => startTeamFromMission(this.plan, team));
  }

  missionHead(): Promise<string> {
    return this.serial(() => missionHead(this.plan));
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
