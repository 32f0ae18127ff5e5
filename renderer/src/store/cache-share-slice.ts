import { plainMessage } from '../lib/plain-message.js';
import { throttle, type ThrottleTimers } from '../lib/throttle.js';
import type { CacheShareSlice, Slice } from './state.js';

/** New calls refresh the cache-read share at most this often. */
export const CACHE_SHARE_REFRESH_MS = 3_000;

const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * The ledger measures the share, so it is fetched, not kept here: while the panel shows,
 * cost events of its mission (any mission when it shows all) ask for a refetch, coalesced.
 */
export const createCacheShareSlice =
  (timers: ThrottleTimers = realTimers): Slice<CacheShareSlice> =>
  (deps) =>
  (set, get) => {
    let shown: { missionId: string | null } | null = null;
    const refresh = throttle(() => void get().loadCacheShare(), CACHE_SHARE_REFRESH_MS, timers);
    deps.api.on('costs:changed', (c) => {
      if (shown && (shown.missionId === null || shown.missionId === c.missionId)) refresh();
    });
    let wasOpen = deps.connection.state === 'open';
    deps.connection.subscribe((state) => {
      const open = state === 'open';
      // Events sent while the socket was down are lost: measure again.
      if (open && !wasOpen && shown) void get().loadCacheShare();
      wasOpen = open;
    });

    return {
      cacheShare: null,

      showCacheShare(missionId) {
        refresh.cancel();
        if (missionId === undefined) {
          shown = null;
          return;
        }
        shown = { missionId };
        if (get().cacheShare?.missionId !== missionId) set({ cacheShare: { missionId, status: 'loading', error: null, data: null } });
        void get().loadCacheShare();
      },

      async loadCacheShare() {
        if (!shown) return;
        const { missionId } = shown;
        const result = await deps.api.invoke('costs:cache-share', missionId === null ? {} : { missionId });
        // The person chose another mission meanwhile: this answer is for a view no longer shown.
        if (!shown || shown.missionId !== missionId) return;
        const held = get().cacheShare;
        if (result.ok) set({ cacheShare: { missionId, status: 'ready', error: null, data: result.data } });
        else
          set({
            cacheShare: {
              missionId,
              status: held?.data ? 'ready' : 'error',
              error: plainMessage(result.error.message),
              data: held?.data ?? null,
            },
          });
      },
    };
  };
