import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { FleetStatusView } from '../../../src/shared/contract/fleet.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { FLEET_POLL_MS } from './fleet-slice.js';
import { createControlRoomStore } from './store.js';

function makeStore(answer: () => Result<FleetStatusView> | Promise<Result<FleetStatusView>>) {
  const calls: string[] = [];
  const api: ControlRoomApi = {
    invoke: (channel) => {
      calls.push(channel);
      return Promise.resolve(channel === 'fleet:get-status' ? answer() : { ok: true, data: [] }) as never;
    },
    on: () => () => undefined,
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
  return { store, count: () => calls.filter((c) => c === 'fleet:get-status').length };
}

const flush = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('fleet slice', () => {
  it('asks on open and every 2 s while open, and never once closed', async () => {
    const { store, count } = makeStore(() => ({ ok: true, data: { enabled: false } }));
    expect(count()).toBe(0);
    store.getState().openFleet();
    store.getState().openFleet();
    await flush();
    expect(count()).toBe(1);
    expect(store.getState()).toMatchObject({
      fleet: { enabled: false },
      fleetStatus: 'ready',
      fleetError: null,
    });
    vi.advanceTimersByTime(FLEET_POLL_MS);
    await flush();
    expect(count()).toBe(2);
    for (let i = 0; i < 2; i += 1) {
      vi.advanceTimersByTime(FLEET_POLL_MS);
      await flush();
    }
    expect(count()).toBe(4);
    store.getState().closeFleet();
    vi.advanceTimersByTime(FLEET_POLL_MS * 5);
    await flush();
    expect(count()).toBe(4);
  });

  it('does not pile up asks while one is unanswered', async () => {
    let release: (r: Result<FleetStatusView>) => void = () => undefined;
    const { store, count } = makeStore(() => new Promise((resolve) => (release = resolve)));
    store.getState().openFleet();
    vi.advanceTimersByTime(FLEET_POLL_MS * 3);
    await flush();
    expect(count()).toBe(1);
    release({ ok: true, data: { enabled: false } });
    await flush();
    vi.advanceTimersByTime(FLEET_POLL_MS);
    await flush();
    expect(count()).toBe(2);
    store.getState().closeFleet();
  });

  it('keeps the last snapshot when an ask fails, and reports the failure', async () => {
    const answers: Result<FleetStatusView>[] = [
      { ok: false, error: { code: 'unavailable', message: 'the engine is not connected' } },
      { ok: true, data: { enabled: false } },
      { ok: false, error: { code: 'unavailable', message: 'the engine is not connected' } },
    ];
    const { store } = makeStore(() => answers.shift()!);
    await store.getState().loadFleet();
    expect(store.getState()).toMatchObject({
      fleet: null,
      fleetStatus: 'error',
      fleetError: 'the engine is not connected',
    });
    await store.getState().loadFleet();
    await store.getState().loadFleet();
    expect(store.getState()).toMatchObject({
      fleet: { enabled: false },
      fleetStatus: 'ready',
      fleetError: 'the engine is not connected',
    });
  });
});
