import { plainMessage } from '../lib/plain-message.js';
import type { CleanupSlice, Slice } from './state.js';

/** The "Clean up" dialog's listing and removal, and a mission's "Keep branches" (see `CleanupSlice`). */
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
