import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { MissionSummary } from '../../../src/shared/mission.js';
import { alwaysOpen } from '../api/connection.js';
import { createControlRoomStore } from './store.js';

/** A store over an engine whose missions:get-result answers `answer(n)` on its n-th call; events are pushed by the test. */
function makeStore(answer: (n: number) => unknown) {
  let n = 0;
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel) =>
      Promise.resolve(channel === 'missions:get-result' ? answer(++n) : { ok: true, data: [] }) as never,
    on: ((name: string, fn: (payload: unknown) => void) => {
      listeners.set(name, [...(listeners.get(name) ?? []), fn]);
      return () => undefined;
    }) as ControlRoomApi['on'],
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
  const emit = (name: string, payload: unknown) => listeners.get(name)?.forEach((fn) => fn(payload));
  return { store, emit, calls: () => n };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('mission result slice', () => {
  it('holds the result it read, and reads it again when its mission ends', async () => {
    const { store, emit, calls } = makeStore((n) => ({
      ok: true,
      data: {
        missionId: 'm1',
        state: n === 1 ? 'integrating' : 'done',
        resultKind: n === 1 ? null : 'declined',
      },
    }));
    await store.getState().loadMissionResult('m1');
    expect(store.getState().missionResults.m1).toMatchObject({
      status: 'ready',
      data: { state: 'integrating' },
    });
    // A change that is no end, or of another mission, reads nothing.
    emit('missions:changed', { id: 'm1', state: 'integrating' } as MissionSummary);
    emit('missions:changed', { id: 'm2', state: 'done' } as MissionSummary);
    await settle();
    expect(calls()).toBe(1);
    emit('missions:changed', { id: 'm1', state: 'done', resultKind: 'declined' } as MissionSummary);
    await settle();
    expect(calls()).toBe(2);
    expect(store.getState().missionResults.m1?.data).toMatchObject({ state: 'done', resultKind: 'declined' });
  });

  it('says why it could not read the result', async () => {
    const { store } = makeStore(() => ({
      ok: false,
      error: { code: 'not_found', message: 'no mission "m1"' },
    }));
    await store.getState().loadMissionResult('m1');
    expect(store.getState().missionResults.m1).toMatchObject({ status: 'error', data: null });
    expect(store.getState().missionResults.m1?.error).toMatch(/no mission/i);
  });
});
