import { plainMessage } from '../lib/plain-message.js';
import { throttle, type ThrottleTimers } from '../lib/throttle.js';
import type { MissionLogSlice, MissionLogState, Slice } from './state.js';

/** A busy mission's events refresh its log at most this often. */
export const LOG_REFRESH_MS = 1_000;
/** One request's rows; the tail is fetched page by page until a short page. */
export const LOG_PAGE = 1_000;
/** Rows kept per mission: older ones drop off the top (the ledger still has them). */
export const LOG_KEEP = 5_000;

const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The slice; `timers` is for tests. */
export const createMissionLogSlice =
  (timers: ThrottleTimers = realTimers): Slice<MissionLogSlice> =>
  (deps) =>
  (set, get) => {
    let open: string | null = null;
    // One load at a time per window: a refresh asked for meanwhile runs once after it.
    let loading: Promise<void> | null = null;
    let again = false;

    const refresh = throttle(
      () => (open ? void get().loadMissionLog(open) : undefined),
      LOG_REFRESH_MS,
      timers,
    );
    // Every log row comes with one of these events or an escalation's (same transaction),
    // so they are the cue to fetch the tail; escalations' arrive through the escalations slice.
    deps.api.on('missions:changed', (m) => get().touchMissionLog(m.id));
    deps.api.on('agents:changed', (a) => get().touchMissionLog(a.missionId));
    deps.api.on('tasks:changed', (t) => get().touchMissionLog(t.missionId));

    let wasOpen = deps.connection.state === 'open';
    deps.connection.subscribe((state) => {
      const now = state === 'open';
      // Events sent while the socket was down are lost: catch up on the tail.
      if (now && !wasOpen && open) void get().loadMissionLog(open);
      wasOpen = now;
    });

    const put = (missionId: string, patch: Partial<MissionLogState>) => {
      const current = get().missionLogs[missionId] ?? { status: 'idle', error: null, rows: [] };
      set({ missionLogs: { ...get().missionLogs, [missionId]: { ...current, ...patch } } });
    };

    const loadTail = async (missionId: string) => {
      for (;;) {
        const held = get().missionLogs[missionId]?.rows ?? [];
        const afterId = held.at(-1)?.id ?? 0;
        const result = await deps.api.invoke('missions:get-log', { missionId, afterId, limit: LOG_PAGE });
        if (!result.ok) {
          put(missionId, { status: 'error', error: plainMessage(result.error.message) });
          return;
        }
        const rows = result.data.length === 0 ? held : [...held, ...result.data].slice(-LOG_KEEP);
        put(missionId, { status: 'ready', error: null, rows });
        if (result.data.length < LOG_PAGE) return;
      }
    };

    return {
      missionLogs: {},

      openMissionLog(missionId) {
        if (open === missionId) return;
        open = missionId;
        refresh.cancel();
        void get().loadMissionLog(missionId);
      },

      closeMissionLog(missionId) {
        if (open !== missionId) return;
        open = null;
        refresh.cancel();
      },

      async loadMissionLog(missionId) {
        if (loading) {
          again = true;
          return loading;
        }
        const current = get().missionLogs[missionId];
        // Keep showing the rows held while the tail loads; only the first load shows a spinner.
        if (!current || current.status !== 'ready') put(missionId, { status: 'loading', error: null });
        loading = loadTail(missionId).finally(() => {
          loading = null;
          if (again) {
            again = false;
            if (open) void get().loadMissionLog(open);
          }
        });
        return loading;
      },

      touchMissionLog(missionId) {
        if (missionId === open) refresh();
      },
    };
  };
