import { plainMessage } from '../lib/plain-message.js';
import { throttle, type ThrottleTimers, type Throttled } from '../lib/throttle.js';
import type { Slice, TeamStatusSlice, TeamStatusState, TaskSpendState } from './state.js';

/** A busy mission's events refresh its team status (and its spend per task) at most this often. */
export const TEAM_STATUS_REFRESH_MS = 2_000;

const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Team status and velocity (`missions:get-team-status`) for the missions a view shows, and
 * a mission's spend per task (`costs:by-task`) for the Costs screen. Both are measured by
 * the ledger, so they are fetched, not kept up to date here: a watched mission's task,
 * team, escalation, mission and cost events ask for a refetch, coalesced per mission.
 */
export const createTeamStatusSlice =
  (timers: ThrottleTimers = realTimers): Slice<TeamStatusSlice> =>
  (deps) =>
  (set, get) => {
    // Views showing each mission's team status (the mission page and the Agents screen may both).
    const watchers = new Map<string, number>();
    const refreshers = new Map<string, Throttled>();
    // One request at a time per mission; an ask meanwhile runs once after it.
    const loading = new Map<string, Promise<void>>();
    const again = new Set<string>();
    let spendMission: string | null = null;

    const refresher = (missionId: string): Throttled => {
      let r = refreshers.get(missionId);
      if (!r) {
        r = throttle(() => void get().loadTeamStatus(missionId), TEAM_STATUS_REFRESH_MS, timers);
        refreshers.set(missionId, r);
      }
      return r;
    };
    const touch = (missionId: string | null) => {
      if (missionId !== null && watchers.has(missionId)) refresher(missionId)();
    };
    const spendRefresh = throttle(
      () => (spendMission ? void get().loadTaskSpend(spendMission) : undefined),
      TEAM_STATUS_REFRESH_MS,
      timers,
    );

    deps.api.on('missions:changed', (m) => touch(m.id));
    deps.api.on('missions:team-changed', (t) => touch(t.missionId));
    deps.api.on('tasks:changed', (t) => touch(t.missionId));
    // Escalations arrive through the escalations slice, their one listener (`touchTeamStatus`).
    deps.api.on('costs:changed', (c) => {
      touch(c.missionId);
      if (c.missionId !== null && c.missionId === spendMission) spendRefresh();
    });

    let wasOpen = deps.connection.state === 'open';
    deps.connection.subscribe((state) => {
      const open = state === 'open';
      // Events sent while the socket was down are lost: measure again.
      if (open && !wasOpen) {
        for (const missionId of watchers.keys()) void get().loadTeamStatus(missionId);
        if (spendMission) void get().loadTaskSpend(spendMission);
      }
      wasOpen = open;
    });

    const putStatus = (missionId: string, patch: Partial<TeamStatusState>) => {
      const current = get().teamStatus[missionId] ?? { status: 'idle', error: null, data: null };
      set({ teamStatus: { ...get().teamStatus, [missionId]: { ...current, ...patch } } });
    };
    const putSpend = (missionId: string, patch: Partial<TaskSpendState>) => {
      const current = get().taskSpend[missionId] ?? { status: 'idle', error: null, data: null };
      set({ taskSpend: { ...get().taskSpend, [missionId]: { ...current, ...patch } } });
    };

    return {
      teamStatus: {},
      taskSpend: {},

      watchTeamStatus(missionId) {
        watchers.set(missionId, (watchers.get(missionId) ?? 0) + 1);
        if (watchers.get(missionId) === 1) void get().loadTeamStatus(missionId);
        let done = false;
        return () => {
          if (done) return;
          done = true;
          const left = (watchers.get(missionId) ?? 1) - 1;
          if (left > 0) {
            watchers.set(missionId, left);
            return;
          }
          watchers.delete(missionId);
          refreshers.get(missionId)?.cancel();
          refreshers.delete(missionId);
        };
      },

      async loadTeamStatus(missionId) {
        const running = loading.get(missionId);
        if (running) {
          again.add(missionId);
          return running;
        }
        // The figures held stay shown while they are measured again; only the first load shows a spinner.
        if (get().teamStatus[missionId]?.status !== 'ready') putStatus(missionId, { status: 'loading', error: null });
        const request = (async () => {
          const result = await deps.api.invoke('missions:get-team-status', { missionId });
          if (result.ok) putStatus(missionId, { status: 'ready', error: null, data: result.data });
          else
            putStatus(missionId, {
              status: get().teamStatus[missionId]?.data ? 'ready' : 'error',
              error: plainMessage(result.error.message),
            });
        })().finally(() => {
          loading.delete(missionId);
          if (again.delete(missionId) && watchers.has(missionId)) void get().loadTeamStatus(missionId);
        });
        loading.set(missionId, request);
        return request;
      },

      touchTeamStatus(missionId) {
        touch(missionId);
      },

      showTaskSpend(missionId) {
        spendRefresh.cancel();
        spendMission = missionId;
        if (missionId) void get().loadTaskSpend(missionId);
      },

      async loadTaskSpend(missionId) {
        if (get().taskSpend[missionId]?.status !== 'ready') putSpend(missionId, { status: 'loading', error: null });
        const result = await deps.api.invoke('costs:by-task', { missionId });
        if (result.ok) putSpend(missionId, { status: 'ready', error: null, data: result.data });
        else
          putSpend(missionId, {
            status: get().taskSpend[missionId]?.data ? 'ready' : 'error',
            error: plainMessage(result.error.message),
          });
      },
    };
  };
