import type { RoleCostRow } from '../../../src/shared/role-costs.js';
import { plainMessage } from '../lib/plain-message.js';
import type { Fetched, LedgerInsightsSlice, Slice } from './state.js';

const idle = { status: 'idle', error: null, data: null } as const;

/**
 * What the ledger measured for the designer and the launch form: cost per role and model
 * (`costs:by-role`, also the Costs screen's "/cost per role"), the workload per role and
 * model the estimate uses (`costs:get-workload`), and the CLAUDE.md of the repository a
 * mission is about to run on (`missions:check-project-memory`). Fetched when a view asks;
 * figures already held stay shown while they are fetched again.
 */
export const createLedgerInsightsSlice: Slice<LedgerInsightsSlice> = (deps) => (set, get) => {
  let memoryRequest = 0;
  const failed = <T>(held: Fetched<T> | undefined, message: string): Fetched<T> => ({
    status: held?.data ? 'ready' : 'error',
    error: plainMessage(message),
    data: held?.data ?? null,
  });

  return {
    roleCosts: {},
    measuredWorkload: idle,
    projectMemory: null,

    async loadRoleCosts(missionId) {
      const key = missionId ?? '';
      const held = get().roleCosts[key];
      if (held?.status !== 'ready') set({ roleCosts: { ...get().roleCosts, [key]: { ...(held ?? idle), status: 'loading', error: null } } });
      const result = await deps.api.invoke('costs:by-role', missionId ? { missionId } : {});
      const next: Fetched<RoleCostRow[]> = result.ok
        ? { status: 'ready', error: null, data: result.data }
        : failed(get().roleCosts[key], result.error.message);
      set({ roleCosts: { ...get().roleCosts, [key]: next } });
    },

    async loadMeasuredWorkload() {
      if (get().measuredWorkload.status !== 'ready') set({ measuredWorkload: { ...get().measuredWorkload, status: 'loading', error: null } });
      const result = await deps.api.invoke('costs:get-workload', {});
      set({
        measuredWorkload: result.ok
          ? { status: 'ready', error: null, data: result.data }
          : failed(get().measuredWorkload, result.error.message),
      });
    },

    async checkProjectMemory(repoPath) {
      const path = repoPath.trim();
      const request = ++memoryRequest;
      if (path === '') {
        set({ projectMemory: null });
        return;
      }
      set({ projectMemory: { repoPath: path, status: 'loading', error: null, data: null } });
      const result = await deps.api.invoke('missions:check-project-memory', { repoPath: path });
      // A path typed since then has its own answer coming.
      if (request !== memoryRequest) return;
      set({
        projectMemory: result.ok
          ? { repoPath: path, status: 'ready', error: null, data: result.data }
          : { repoPath: path, status: 'error', error: plainMessage(result.error.message), data: null },
      });
    },
  };
};
