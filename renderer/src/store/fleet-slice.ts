import type { FleetStatusView } from '../../../src/shared/contract/fleet.js';
import type { LoadStatus } from './app-slice.js';
import type { Slice } from './types.js';

/** How often the fleet is asked for its status while the Costs screen shows it. */
export const FLEET_POLL_MS = 2_000;

/**
 * The fleet panel of the Costs screen (`fleet:get-status`). Workers report by heartbeat
 * and queues change without events, so it polls, but only while the screen is open.
 */
export interface FleetSlice {
  fleet: FleetStatusView | null;
  /** When `fleet` was answered (epoch ms): workers' uptimes are measured to it. */
  fleetAt: number | null;
  fleetStatus: LoadStatus;
  /** Why the last ask failed (the engine did not answer); the last snapshot stays shown. */
  fleetError: string | null;
  /** The Costs screen is showing: ask now and every {@link FLEET_POLL_MS}. */
  openFleet(): void;
  closeFleet(): void;
  loadFleet(): Promise<void>;
}

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
