import { FINAL_MISSION_STATES } from '../../../src/shared/mission.js';
import { plainMessage } from '../lib/plain-message.js';
import type { MissionResultSlice, Slice } from './state.js';

/**
 * The result is read from the ledger when asked for; it changes only when its mission
 * ends, so a `missions:changed` that reaches a final state for a result already asked for
 * (the page is open) fetches it again.
 */
export const createMissionResultSlice: Slice<MissionResultSlice> = (deps) => (set, get) => {
  const put = (missionId: string, patch: Partial<MissionResultSlice['missionResults'][string]>) => {
    const current = get().missionResults[missionId] ?? { status: 'idle', error: null, data: null };
    set({ missionResults: { ...get().missionResults, [missionId]: { ...current, ...patch } } });
  };
  deps.api.on('missions:changed', (m) => {
    const held = get().missionResults[m.id];
    if (held && FINAL_MISSION_STATES.includes(m.state) && held.data?.state !== m.state)
      void get().loadMissionResult(m.id);
  });

  return {
    missionResults: {},

    async loadMissionResult(missionId) {
      const current = get().missionResults[missionId];
      if (!current?.data) put(missionId, { status: 'loading', error: null });
      const result = await deps.api.invoke('missions:get-result', { id: missionId });
      if (!result.ok) {
        put(missionId, { status: 'error', error: plainMessage(result.error.message) });
        return;
      }
      put(missionId, { status: 'ready', error: null, data: result.data });
    },
  };
};
