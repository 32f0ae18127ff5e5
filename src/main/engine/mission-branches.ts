import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { CleanUpResult, LeftoversView, MissionLeftovers, UnknownLeftovers } from '../../shared/contract/missions.js';
import { FINAL_MISSION_STATES, type MissionState } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import type { MissionRecord, MissionStore } from '../ledger/mission-repository.js';
import { WorkspaceNamesRepository } from '../ledger/workspace-names-repository.js';
import {
  findLeftovers,
  missionBranchName,
  missionBranches,
  removeLeftovers,
  usedMissionSlugs,
  type MissionSite,
} from '../workspace/cleanup.js';
import {
  assignNames,
  checkRepository,
  toRefSlug,
  type MissionWorkspace,
  type NamesSource,
  type WorkspaceNames,
} from '../workspace/mission-workspace.js';

export interface MissionBranchesDeps {
  db: Database.Database;
  store: MissionStore;
  now(): string;
  logError(what: string, error: unknown): void;
  /** The mission as the engine knows it now (a loaded runtime's row is the freshest). */
  current(id: string): MissionRecord | undefined;
  /** The open workspace of a loaded mission, removed first so its queued git work finishes. */
  openWorkspace(id: string): MissionWorkspace | null;
  /** That workspace is removed: a loaded mission must not offer it any more (its diff reads the branches). */
  workspaceRemoved(id: string, workspace: MissionWorkspace): void;
}

/**
 * A mission's branches over its life: the readable names chosen when its workspace is
 * first made (stored, so a reopen names the same branches), what goes when it ends
 * (its worktrees, and its team and coder branches unless the person keeps them; the
 * mission branch always stays), and the "clean up" of what finished missions left.
 * Nothing of a mission that is not done, failed or cancelled is ever touched.
 */
export class MissionBranches {
  private readonly repo: WorkspaceNamesRepository;
  private readonly pending = new Set<Promise<void>>();
  private keepByDefault = false;

  constructor(private readonly deps: MissionBranchesDeps) {
    this.repo = new WorkspaceNamesRepository(deps.db);
  }

  /** The Settings default for missions without a choice of their own. */
  setDefaultKeep(keep: boolean): void {
    this.keepByDefault = keep;
  }

  /** Whether the mission's team and coder branches outlive it: its own choice, else the default. */
  keeps(missionId: string): boolean {
    return this.repo.get(missionId)?.keepBranches ?? this.keepByDefault;
  }

  /** The person's choice for one mission (null: follow the default). */
  setKeep(missionId: string, keep: boolean | null): void {
    this.repo.setKeepBranches(missionId, keep);
  }

  /**
   * The names a mission's workspace is planned with. Stored names are reused (coders added
   * since get theirs, stored too); a first start picks readable ones that no other mission
   * of the ledger or `cr/` branch of the repository uses. Undefined: name by ids (a mission
   * started before readable names, including one whose id-named branches already exist).
   */
  async names(m: MissionRecord, creating: boolean): Promise<WorkspaceNames | undefined> {
    const stored = this.repo.get(m.id)?.names;
    if (stored) {
      const names = assignNames(namesSource(m), new Set(), stored);
      if (JSON.stringify(names) !== JSON.stringify(stored)) this.repo.setNames(m.id, names);
      return names;
    }
    if (!creating) return undefined;
    // The person's errors first (no such folder, not a checkout, no such branch), in their words.
    const repo = await checkRepository(m.repoPath, m.baseBranch);
    const used = await usedMissionSlugs(repo);
    if (used.has(toRefSlug(m.id))) return undefined;
    // Two missions starting at once may pick the same slug; the unique index lets one have it.
    for (let attempt = 0; ; attempt++) {
      const taken = new Set([...used, ...this.repo.missionSlugs()]);
      const names = assignNames(namesSource(m), taken);
      try {
        this.repo.setNames(m.id, names);
        return names;
      } catch (error) {
        if (attempt >= 2 || !String(error).includes('UNIQUE')) throw error;
      }
    }
  }

  /** The mission's integration branch, named as its workspace names it. */
  missionBranch(m: MissionRecord): string {
    return missionBranchName(this.slugOf(m));
  }

  /**
   * A mission reached done, failed or cancelled: once the transaction that said so is
   * over, its worktrees go, and its other branches unless kept. Runs in the background;
   * {@link settled} waits for it.
   */
  ended(m: MissionRecord): void {
    const workspace = this.deps.openWorkspace(m.id);
    this.track(
      (async () => {
        await Promise.resolve();
        // Its own queue first: a merge or commit already asked for finishes before the worktrees go.
        if (workspace) {
          await workspace.remove().catch(() => undefined);
          this.deps.workspaceRemoved(m.id, workspace);
        }
        await this.endOf(m.id);
      })(),
    );
  }

  /** Runs the end-of-mission clean-up a crash kept from running (called at start-up). */
  sweep(): void {
    for (const id of this.repo.uncleaned()) this.track(this.endOf(id));
  }

  /** Waits for every end-of-mission clean-up started so far. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** What finished missions left behind, and `cr/` branches of missions this ledger does not know. */
  async leftovers(): Promise<LeftoversView> {
    const missions: MissionLeftovers[] = [];
    const known = new Map<string, Set<string>>();
    for (const m of this.deps.store.listMissions()) {
      const slugs = known.get(m.repoPath) ?? new Set<string>();
      slugs.add(this.slugOf(m));
      known.set(m.repoPath, slugs);
      if (!FINAL_MISSION_STATES.includes(m.state) || !existsSync(m.repoPath)) continue;
      try {
        const found = await findLeftovers(this.site(m));
        if (found.worktrees.length === 0 && found.branches.length === 0 && found.rootDir === null) continue;
        missions.push({
          missionId: m.id,
          name: m.name,
          state: m.state,
          repoPath: m.repoPath,
          endedAt: m.endedAt,
          worktrees: found.worktrees,
          branches: found.branches,
          missionBranch: found.missionBranch,
          worktreeDir: found.rootDir,
          sizeBytes: found.sizeBytes,
          keepBranches: this.keeps(m.id),
        });
      } catch (error) {
        this.deps.logError(`listing what mission ${m.id} left`, error);
      }
    }
    const unknown: UnknownLeftovers[] = [];
    for (const [repoPath, slugs] of known) {
      if (!existsSync(repoPath)) continue;
      try {
        for (const slug of await usedMissionSlugs(repoPath)) {
          if (slugs.has(slug)) continue;
          unknown.push({ repoPath, slug, branches: await missionBranches(repoPath, slug) });
        }
      } catch (error) {
        this.deps.logError(`listing the cr/ branches of ${repoPath}`, error);
      }
    }
    return { missions, unknown };
  }

  /**
   * Removes what the given finished missions (default: every finished one) left: their
   * worktrees and worktree folders, and their team and coder branches, kept ones too (the
   * person asked). Refuses, before removing anything, a mission that is not finished; the
   * state is read again just before each mission's removal.
   */
  async cleanUp(missionIds?: readonly string[]): Promise<CleanUpResult> {
    const ids = missionIds ?? this.deps.store.listMissions().filter((m) => FINAL_MISSION_STATES.includes(m.state)).map((m) => m.id);
    const refused: string[] = [];
    for (const id of ids) {
      const m = this.deps.current(id);
      if (!m) throw new AppError('not_found', `no mission with id "${id}"`);
      if (!FINAL_MISSION_STATES.includes(m.state)) refused.push(`"${m.name}" is ${m.state}`);
    }
    if (refused.length > 0) {
      throw new AppError('conflict', `only finished missions can be cleaned up: ${refused.join(', ')}; nothing was removed`);
    }
    const result: CleanUpResult = { missions: [] };
    for (const id of ids) {
      const m = this.deps.current(id);
      if (!m || !isFinal(m.state) || !existsSync(m.repoPath)) continue;
      const removed = await removeLeftovers(this.site(m), { keepBranches: false });
      this.repo.markCleaned(m.id, this.deps.now());
      if (removed.worktrees.length > 0 || removed.branches.length > 0) result.missions.push({ missionId: m.id, ...removed });
    }
    return result;
  }

  private async endOf(id: string): Promise<void> {
    // The ledger closed first (the app or a test shut down): the next start's sweep does it.
    if (!this.deps.store.open) return;
    const m = this.deps.current(id);
    // Re-read: only a finished mission loses anything, and a draft never had a workspace.
    if (!m || !isFinal(m.state) || m.startedAt === null || !existsSync(m.repoPath)) return;
    await removeLeftovers(this.site(m), { keepBranches: this.keeps(m.id) });
    if (this.deps.store.open) this.repo.markCleaned(m.id, this.deps.now());
  }

  private track(job: Promise<void>): void {
    const tracked: Promise<void> = job
      .catch((error: unknown) => this.deps.logError("removing a finished mission's worktrees", error))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private slugOf(m: MissionRecord): string {
    return this.repo.get(m.id)?.names?.mission ?? toRefSlug(m.id);
  }

  private site(m: MissionRecord): MissionSite {
    return { repo: m.repoPath, missionSlug: this.slugOf(m), rootDir: m.worktreeRoot };
  }
}

function isFinal(state: MissionState): boolean {
  return FINAL_MISSION_STATES.includes(state);
}

/** The names a mission's branches are made from: its own, its teams' and its coders'. */
function namesSource(m: MissionRecord): NamesSource {
  return {
    missionName: m.name,
    teams: m.design.teams.map((t) => ({
      id: t.id,
      name: t.name,
      coders: t.agents.filter((a) => a.role === 'coder').map((a) => ({ id: a.id, name: a.name })),
    })),
  };
}
