import { DEFAULT_DASHBOARD_WINDOW_MINUTES } from '../../../src/shared/contract/costs.js';
import type { LimiterState } from '../../../src/shared/limits.js';
import { plural } from '../lib/format.js';
import { throttle, type ThrottleTimers } from '../lib/throttle.js';
import type { CostsSlice, Slice } from './state.js';

/** A burst of recorded calls refreshes the dashboard at most this often. */
export const COSTS_REFRESH_MS = 1_000;
/** Limiter snapshots are applied at most this often (gauges need no more). */
export const LIMITS_APPLY_MS = 500;
/** With no events, the dashboard still refreshes this often so the chart's window slides. */
export const COSTS_POLL_MS = 15_000;
/**
 * The limiter only speaks when a call moves; its gauges count the last minute, which falls
 * as calls stop, so they are read again this often while the screen is open.
 */
export const LIMITS_POLL_MS = 5_000;

/** Timers the slice uses; tests pass fake ones. */
export interface CostsTimers extends ThrottleTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: CostsTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** The slice; `timers` is for tests. */
export const createCostsSlice =
  (timers: CostsTimers = realTimers): Slice<CostsSlice> =>
  (deps) =>
  (set, get) => {
    let active = false;
    let poll: unknown = null;
    let limiterPoll: unknown = null;
    let loadRequest = 0;
    let latestLimiter: LimiterState | null = null;

    const refresh = throttle(() => void get().loadCosts(), COSTS_REFRESH_MS, timers);
    const applyLimiter = throttle(
      () => {
        if (latestLimiter) set({ limiter: latestLimiter, limiterStatus: 'ready', limiterError: null });
      },
      LIMITS_APPLY_MS,
      timers,
    );

    deps.api.on('costs:changed', (event) => {
      if (!active) return;
      const filter = get().costsMissionId;
      if (filter === '' || event.missionId === filter) refresh();
    });
    deps.api.on('limits:changed', (state) => {
      latestLimiter = state;
      if (active) applyLimiter();
    });

    let wasOpen = deps.connection.state === 'open';
    deps.connection.subscribe((state) => {
      const open = state === 'open';
      // Events sent while the socket was down are lost: catch up on what they described.
      if (open && !wasOpen && active) {
        void get().loadCosts();
        void get().loadLimiter();
      }
      wasOpen = open;
    });

    return {
      costs: null,
      costsStatus: 'idle',
      costsError: null,
      costsMissionId: '',
      costsWindowMinutes: DEFAULT_DASHBOARD_WINDOW_MINUTES,
      limiter: null,
      limiterStatus: 'idle',
      limiterError: null,
      resumingPools: [],
      exportingCalls: false,
      costsNotice: null,

      openCosts() {
        if (active) return;
        active = true;
        void get().loadCosts();
        void get().loadLimiter();
        poll = timers.setInterval(() => refresh(), COSTS_POLL_MS);
        limiterPoll = timers.setInterval(() => void get().loadLimiter(), LIMITS_POLL_MS);
      },

      closeCosts() {
        active = false;
        refresh.cancel();
        applyLimiter.cancel();
        if (poll !== null) timers.clearInterval(poll);
        if (limiterPoll !== null) timers.clearInterval(limiterPoll);
        poll = null;
        limiterPoll = null;
      },

      async loadCosts() {
        const request = ++loadRequest;
        const missionId = get().costsMissionId;
        // Keep showing the last snapshot while refreshing; only the first load shows a spinner.
        if (get().costsStatus !== 'ready') set({ costsStatus: 'loading' });
        const result = await deps.api.invoke('costs:get-dashboard', {
          windowMinutes: get().costsWindowMinutes,
          ...(missionId ? { missionId } : {}),
        });
        if (request !== loadRequest) return;
        if (result.ok) set({ costs: result.data, costsStatus: 'ready', costsError: null });
        else set({ costsStatus: get().costs ? 'ready' : 'error', costsError: result.error.message });
      },

      async loadLimiter() {
        if (get().limiterStatus !== 'ready') set({ limiterStatus: 'loading' });
        const result = await deps.api.invoke('limits:get-state', {});
        if (result.ok) {
          // An event may have brought a newer snapshot while this read was out.
          const shown = get().limiter;
          if (!shown || result.data.at >= shown.at) set({ limiter: result.data, limiterStatus: 'ready', limiterError: null });
        } else set({ limiterStatus: get().limiter ? 'ready' : 'error', limiterError: result.error.message });
      },

      setCostsMission(missionId) {
        if (missionId === get().costsMissionId) return;
        // A snapshot of another mission must not pass for this one's: drop it.
        set({ costsMissionId: missionId, costs: null, costsStatus: 'loading', costsError: null });
        void get().loadCosts();
      },

      setCostsWindow(minutes) {
        if (minutes === get().costsWindowMinutes) return;
        set({ costsWindowMinutes: minutes });
        void get().loadCosts();
      },

      async resumePool(pool) {
        if (get().resumingPools.includes(pool)) return false;
        set({ resumingPools: [...get().resumingPools, pool] });
        const result = await deps.api.invoke('limits:resume-pool', { pool });
        set({ resumingPools: get().resumingPools.filter((p) => p !== pool) });
        if (!result.ok) {
          set({
            costsNotice: {
              tone: 'error',
              text: `Could not resume the ${pool} pool: ${result.error.message}`,
            },
          });
          return false;
        }
        set({
          limiter: result.data,
          limiterStatus: 'ready',
          costsNotice: { tone: 'success', text: `Resumed the ${pool} pool: waiting calls go ahead.` },
        });
        void get().loadCosts();
        return true;
      },

      async exportCalls() {
        if (get().exportingCalls) return false;
        const missionId = get().costsMissionId;
        const now = get().costs?.at ?? timers.now();
        // The rows behind what is on screen: this mission, this window (the minute in progress included).
        const from = (Math.floor(now / 60_000) - (get().costsWindowMinutes - 1)) * 60_000;
        set({ exportingCalls: true });
        const result = await deps.api.invoke('costs:export-calls', {
          from,
          ...(missionId ? { missionId } : {}),
        });
        set({ exportingCalls: false });
        if (!result.ok) {
          set({
            costsNotice: { tone: 'error', text: `Could not export the calls: ${result.error.message}` },
          });
          return false;
        }
        deps.saveFile(result.data.fileName, result.data.csv, 'text/csv');
        set({
          costsNotice: {
            tone: 'success',
            text:
              `Exported ${plural(result.data.rows, 'call')} as ${result.data.fileName}.` +
              (result.data.truncated
                ? ' Older calls were left out: use `control-room ledger export` for all of them.'
                : ''),
          },
        });
        return true;
      },

      followCostCause(target) {
        if (target.kind === 'mission') {
          get().navigate({ area: 'missions', mission: target.missionId });
          return;
        }
        if (target.kind === 'team') {
          get().setAgentQuery({ missionId: target.missionId, team: `${target.missionId}/${target.teamId}` });
          get().navigate({ area: 'agents' });
          return;
        }
        get().setAgentQuery({ missionId: target.missionId });
        get().navigate({ area: 'agents' });
        get().openAgent(target.missionId, target.agentId);
      },

      dismissCostsNotice() {
        set({ costsNotice: null });
      },
    };
  };
