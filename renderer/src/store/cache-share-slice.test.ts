import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheShare } from '../../../src/shared/cache-share.js';
import type { ControlRoomApi, EventName, EventPayload } from '../../../src/shared/contract.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { CACHE_SHARE_REFRESH_MS } from './cache-share-slice.js';
import { createControlRoomStore } from './store.js';

const share = (missionId: string | null, read: number): CacheShare => ({
  missionId,
  total: { inputTokens: 100, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: read, readShare: read / (100 + read) },
  byModel: [],
  byAgent: [],
  agentsLeftOut: 0,
});

function makeStore(answer: (request: { missionId?: string }) => Result<CacheShare>) {
  const requests: Array<{ missionId?: string }> = [];
  const listeners = new Map<string, ((payload: never) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      if (channel !== 'costs:cache-share') return Promise.resolve({ ok: true, data: [] }) as never;
      requests.push(request as { missionId?: string });
      return Promise.resolve(answer(request as { missionId?: string })) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: never) => void]);
      return () => undefined;
    },
  };
  const store = createControlRoomStore({
    api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: () => undefined,
    writeHash: () => undefined,
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const l of listeners.get(event) ?? []) l(payload as never);
  };
  return { store, requests, emit };
}

const flush = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('cache-share slice', () => {
  it('reads the shown mission, refetches on its cost events (coalesced), and stops when hidden', async () => {
    let read = 0;
    const { store, requests, emit } = makeStore((r) => ({ ok: true, data: share(r.missionId ?? null, (read += 10)) }));
    store.getState().showCacheShare('m1');
    await flush();
    expect(requests).toEqual([{ missionId: 'm1' }]);
    expect(store.getState().cacheShare).toMatchObject({ missionId: 'm1', status: 'ready', data: { total: { cacheReadTokens: 10 } } });

    // Another mission's calls do not concern this view; a burst of its own refetches once.
    emit('costs:changed', { at: 1, missionId: 'm2' });
    for (let i = 0; i < 5; i++) emit('costs:changed', { at: 2 + i, missionId: 'm1' });
    await vi.advanceTimersByTimeAsync(CACHE_SHARE_REFRESH_MS + 10);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.length).toBeLessThanOrEqual(3);
    const afterBurst = requests.length;

    store.getState().showCacheShare(undefined);
    emit('costs:changed', { at: 10, missionId: 'm1' });
    await vi.advanceTimersByTimeAsync(CACHE_SHARE_REFRESH_MS * 2);
    expect(requests.length).toBe(afterBurst);
  });

  it('asks for all missions without a mission id, and keeps the figures it has when a refetch fails', async () => {
    let fail = false;
    const { store, requests, emit } = makeStore((r) =>
      fail ? { ok: false, error: { code: 'internal', message: 'the ledger is closed' } } : { ok: true, data: share(r.missionId ?? null, 5) },
    );
    store.getState().showCacheShare(null);
    await flush();
    expect(requests).toEqual([{}]);
    fail = true;
    emit('costs:changed', { at: 1, missionId: 'any' });
    await vi.advanceTimersByTimeAsync(CACHE_SHARE_REFRESH_MS + 10);
    expect(store.getState().cacheShare).toMatchObject({ missionId: null, status: 'ready', error: 'The ledger is closed', data: { total: { cacheReadTokens: 5 } } });
  });
});
