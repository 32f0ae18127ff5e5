import { describe, expect, it } from 'vitest';
import type { ControlRoomApi, EventName } from '../../../src/shared/contract.js';
import type { MissionDetail, MissionSummary, MissionView } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import type { SystemNotification } from '../api/notify.js';
import { escalationView as escalation } from '../testing/fixtures.js';
import { reduceEscalations } from './escalations-slice.js';
import { createControlRoomStore } from './store.js';

type Handler = (request: never) => Result<unknown> | Promise<Result<unknown>>;

const summary = (id: string, over: Partial<MissionSummary> = {}) =>
  ({
    id,
    name: `Mission ${id}`,
    state: 'running',
    taskCounts: {},
    openEscalations: 0,
    ...over,
  }) as MissionSummary;
const view = (id: string) => summary(id) as MissionView;
const detail = (id: string): MissionDetail => ({
  mission: view(id),
  teams: [],
  agents: [],
  tasks: [],
  escalations: [],
});

/** A fake engine that records calls and listeners, with a store in front of it. */
function setup(handlers: Record<string, Handler> = {}) {
  const calls: { channel: string; request: unknown }[] = [];
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const base: Record<string, Handler> = {
        'missions:list': () => ({ ok: true, data: [summary('m1')] }),
        'missions:get': (req: { id: string }) => ({ ok: true, data: detail(req.id) }),
      };
      const handler = handlers[channel] ?? base[channel];
      return Promise.resolve(handler ? handler(request as never) : { ok: true, data: [] }) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: unknown) => void]);
      return () => undefined;
    },
  };
  const notifications: SystemNotification[] = [];
  const store = createControlRoomStore({
    api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: () => undefined,
    writeHash: () => undefined,
    loadTheme: () => 'system',
    storeTheme: () => undefined,
    notifier: {
      permission: () => 'granted',
      requestPermission: () => Promise.resolve('granted'),
      notify: (n) => notifications.push(n),
    },
  });
  const emit = (name: EventName, payload: unknown) => listeners.get(name)?.forEach((l) => l(payload));
  return { store, calls, listeners, emit, notifications };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the escalations slice', () => {
  it('puts snapshots in place by id, and keeps the open count of a loaded mission current', () => {
    const state = {
      escalations: {},
      missions: { m1: summary('m1'), m2: summary('m2') },
      missionDetails: { m1: { status: 'ready' as const, error: null, view: view('m1'), teams: [] } },
      tasks: {},
    };
    const patch = reduceEscalations(state, [escalation(), escalation({ id: 'e2', missionId: 'm2' })]);
    expect(patch.escalations?.e1?.state).toBe('open');
    // The inbox lists every mission's escalations, loaded or not.
    expect(patch.escalations?.e2?.missionId).toBe('m2');
    expect(patch.missions?.m1?.openEscalations).toBe(1);
    expect(patch.missionDetails?.m1?.view?.openEscalations).toBe(1);
    expect(patch.missions?.m2).toBe(state.missions.m2);
    expect(reduceEscalations(state, [])).toEqual({});
  });

  it('is the one listener of escalations:changed, and the inbox, the mission and its log follow it', async () => {
    const { store, calls, listeners, emit, notifications } = setup();
    expect(listeners.get('escalations:changed')).toHaveLength(1);
    await store.getState().loadInbox();
    await store.getState().loadMission('m1');
    store.getState().openMissionLog('m1');
    await flush();
    const logLoads = () => calls.filter((c) => c.channel === 'missions:get-log').length;
    expect(logLoads()).toBe(1);

    emit('escalations:changed', escalation({ title: 'Which runner?' }));
    const s = store.getState();
    expect(s.escalations.e1?.title).toBe('Which runner?');
    expect(s.missions.m1?.openEscalations).toBe(1);
    expect(notifications.map((n) => n.body)).toEqual(['Which runner? (Mission m1)']);
    await flush();
    expect(logLoads()).toBe(2);
  });

  it('keeps one decision in flight per escalation, whichever page asks', async () => {
    let answer: (result: Result<unknown>) => void = () => undefined;
    const { store, calls } = setup({
      'escalations:decide': () => new Promise<Result<unknown>>((resolve) => (answer = resolve)),
    });
    const first = store.getState().decideEscalation('e1', 'approve');
    expect(store.getState().deciding).toEqual(['e1']);
    expect(await store.getState().decideEscalation('e1', 'deny')).toBe(false);
    answer({ ok: true, data: escalation({ state: 'resolved', decision: 'approve' }) });
    expect(await first).toBe(true);
    expect(store.getState().deciding).toEqual([]);
    expect(store.getState().escalations.e1?.state).toBe('resolved');
    expect(calls.filter((c) => c.channel === 'escalations:decide')).toHaveLength(1);
  });

  it('shows a refusal beside the item and on the mission page, and reloads after a conflict', async () => {
    const { store, calls } = setup({
      'escalations:decide': () => ({
        ok: false,
        error: { code: 'conflict', message: 'escalations:decide: escalation "e1" was decided already' },
      }),
    });
    expect(await store.getState().decideEscalation('e1', 'approve')).toBe(false);
    const s = store.getState();
    expect(s.escalationErrors.e1).toBe('escalations:decide: escalation "e1" was decided already');
    expect(s.missionNotice).toEqual({
      tone: 'error',
      text: 'Could not send your decision: Escalation "e1" was decided already',
    });
    expect(calls.map((c) => c.channel)).toContain('escalations:list');
  });
});
