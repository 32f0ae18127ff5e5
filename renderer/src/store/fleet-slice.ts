import type { FleetSlice, Slice } from './state.js';

/** How often the fleet is asked for its status while the Costs screen shows it. */
export const FLEET_POLL_MS = 2_000;

/** Timers the slice uses; tests pass fake ones. */
export interface FleetTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: FleetTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** The slice; `timers` is for tests. */
export const createFleetSlice =
  (timers: FleetTimers = realTimers): Slice<FleetSlice> =>
  (deps) =>
  (set, get) => {
    let poll: unknown = null;
    let inFlight = false;

    return {
      fleet: null,
      fleetAt: null,
      fleetStatus: 'idle',
      fleetError: null,

      openFleet() {
        if (poll !== null) return;
        void get().loadFleet();
        poll = timers.setInterval(() => void get().loadFleet(), FLEET_POLL_MS);
      },

      closeFleet() {
        if (poll !== null) timers.clearInterval(poll);
        poll = null;
      },

      async loadFleet() {
        // A Redis that is slow to answer must not pile up asks, one per tick.
        if (inFlight) return;
        inFlight = true;
        if (get().fleetStatus !== 'ready') set({ fleetStatus: 'loading' });
        try {
          const result = await deps.api.invoke('fleet:get-status', {});
          if (result.ok)
            set({ fleet: result.data, fleetAt: Date.now(), fleetStatus: 'ready', fleetError: null });
          else set({ fleetStatus: get().fleet ? 'ready' : 'error', fleetError: result.error.message });
        } finally {
          inFlight = false;
        }
      },
    };
  };
