import type { CleanUpResult, LeftoversView } from '../../../src/shared/contract/missions.js';
import type { MissionView } from '../../../src/shared/mission.js';
import { plainMessage } from '../lib/plain-message.js';
import type { Slice } from './state.js';
import type { LoadStatus } from './types.js';

/**
 * What finished missions left behind and the "Clean up" action (`missions:list-leftovers`,
 * `missions:clean-up`), and a mission's "Keep branches" choice (`missions:set-keep-branches`).
 */
export interface CleanupSlice {
  leftovers: LeftoversView | null;
  leftoversStatus: LoadStatus;
  leftoversError: string | null;
  /** A removal in flight. */
  cleaning: boolean;
  /** Why the last removal failed (one line from the engine), null when it did not. */
  cleanUpError: string | null;
  loadLeftovers(): Promise<void>;
  /** Removes what the given finished missions left; answers what went, or null (the error is in the state). */
  cleanUp(missionIds: string[]): Promise<CleanUpResult | null>;
  /** Keep (or not) a mission's team and coder branches when it ends; answers the mission, or the engine's error. */
  setKeepBranches(missionId: string, keep: boolean): Promise<{ ok: true; mission: MissionView } | { ok: false; error: string }>;
}

export const createCleanupSlice: Slice<CleanupSlice> = (deps) => (set, get) => ({
  leftovers: null,
  leftoversStatus: 'idle',
  leftoversError: null,
  cleaning: false,
  cleanUpError: null,

  async loadLeftovers() {
    set({ leftoversStatus: 'loading', leftoversError: null });
    const result = await deps.api.invoke('missions:list-leftovers', {});
    if (result.ok) set({ leftovers: result.data, leftoversStatus: 'ready' });
    else set({ leftoversStatus: 'error', leftoversError: plainMessage(result.error.message) });
  },

  async cleanUp(missionIds) {
    set({ cleaning: true, cleanUpError: null });
    const result = await deps.api.invoke('missions:clean-up', { missionIds });
    if (!result.ok) {
      set({ cleaning: false, cleanUpError: plainMessage(result.error.message) });
      return null;
    }
    set({ cleaning: false });
    // What is left now comes from the disk again, not from what we expect went.
    await get().loadLeftovers();
    return result.data;
  },

  async setKeepBranches(missionId, keep) {
    const result = await deps.api.invoke('missions:set-keep-branches', { id: missionId, keepBranches: keep });
    if (!result.ok) return { ok: false, error: plainMessage(result.error.message) };
    // The mission page reads the mission from its loaded detail: refresh it.
    await get().loadMission(missionId);
    return { ok: true, mission: result.data };
  },
});
