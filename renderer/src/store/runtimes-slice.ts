import type { RuntimeStatus } from '../../../src/shared/contract/runtimes.js';
import type { AgentRuntime } from '../../../src/shared/team.js';
import type { RuntimesSlice, Slice } from './state.js';

/** Why `runtime` cannot start here, or null when it can (or nobody knows yet). */
export function runtimeProblem(runtimes: readonly RuntimeStatus[], runtime: AgentRuntime): string | null {
  const status = runtimes.find((r) => r.runtime === runtime);
  if (!status || status.available) return null;
  return status.reason ?? `${runtime} cannot start on this machine`;
}

export const createRuntimesSlice: Slice<RuntimesSlice> = (deps) => (set, get) => {
  // A status that failed to load (the engine was away) is asked again once it is back.
  deps.connection.subscribe((state) => {
    if (state === 'open' && get().runtimesStatus === 'error') void get().loadRuntimes();
  });

  return {
    runtimesStatus: 'idle',
    runtimesError: null,
    runtimes: [],

    async loadRuntimes() {
      if (get().runtimesStatus === 'loading') return;
      set({ runtimesStatus: 'loading', runtimesError: null });
      const result = await deps.api.invoke('runtimes:get-status', {});
      if (result.ok) set({ runtimes: result.data.runtimes, runtimesStatus: 'ready' });
      else set({ runtimesStatus: 'error', runtimesError: result.error.message });
    },
  };
};
