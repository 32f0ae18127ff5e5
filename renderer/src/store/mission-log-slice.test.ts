import { describe, expect, it } from 'vitest';
import type { ControlRoomApi, EventName } from '../../../src/shared/contract.js';
import type { MissionLogEntry } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { LOG_PAGE } from './mission-log-slice.js';
import { createControlRoomStore } from './store.js';

type LogRequest = { missionId: string; afterId: number; limit: number };

function row(id: number): MissionLogEntry {
  return {
    id,
    at: '2026-01-01T10:00:00.000Z',
    kind: 'agent',
    subjectId: 'core-c1',
    subjectName: 'Coder 1',
    fromState: 'idle',
    toState: 'killed',
    actor: 'human',
    summary: 'Coder 1 was killed by the person',
  };
}

/** A fake engine whose log has `ledger` rows (ids 1..n); other channels answer empty lists. */
function setup(ledger: { count: number; fail?: string }) {
  const requests: LogRequest[] = [];
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      if (channel !== 'missions:get-log') return Promise.resolve({ ok: true, data: [] }) as never;
      const r = request as LogRequest;
      requests.push(r);
      const result: Result<MissionLogEntry[]> = ledger.fail
        ? ({ ok: false, error: { code: 'not_found', message: ledger.fail } } as Result<never>)
        : {
            ok: true,
            data: Array.from({ length: Math.max(0, Math.min(r.limit, ledger.count - r.afterId)) }, (_, i) =>
              row(r.afterId + i + 1),
            ),
          };
      return Promise.resolve(result) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: unknown) => void]);
      return () => undefined;
    },
  };
  const emit = (name: EventName, payload: unknown) => {
    for (const l of listeners.get(name) ?? []) l(payload);
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
  return { store, requests, emit };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the mission log slice', () => {
  it('loads the whole log page by page on open, then only the tail when the mission changes', async () => {
    const ledger = { count: LOG_PAGE + 3 };
    const { store, requests, emit } = setup(ledger);
    store.getState().openMissionLog('m1');
    expect(store.getState().missionLogs.m1?.status).toBe('loading');
    await flush();
    await flush();
    expect(requests.map((r) => r.afterId)).toEqual([0, LOG_PAGE]);
    const log = store.getState().missionLogs.m1;
    expect(log?.status).toBe('ready');
    expect(log?.rows.map((r) => r.id).slice(-2)).toEqual([LOG_PAGE + 2, LOG_PAGE + 3]);

    // Another mission's events are ignored; this mission's fetch rows after the last held.
    emit('agents:changed', { missionId: 'm2', id: 'x' });
    await flush();
    expect(requests).toHaveLength(2);
    ledger.count += 1;
    emit('agents:changed', { missionId: 'm1', id: 'core-c1' });
    await flush();
    expect(requests.at(-1)?.afterId).toBe(LOG_PAGE + 3);
    expect(store.getState().missionLogs.m1?.rows.at(-1)?.id).toBe(LOG_PAGE + 4);

    // Closed: events fetch nothing.
    store.getState().closeMissionLog('m1');
    emit('escalations:changed', { missionId: 'm1', id: 'e1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(requests).toHaveLength(3);
  });

  it('shows the engine’s message when the log cannot load', async () => {
    const { store } = setup({ count: 0, fail: 'no mission "m9"' });
    store.getState().openMissionLog('m9');
    await flush();
    expect(store.getState().missionLogs.m9).toMatchObject({
      status: 'error',
      error: expect.stringContaining('m9'),
      rows: [],
    });
  });
});
