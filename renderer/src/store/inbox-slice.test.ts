import { describe, expect, it } from 'vitest';
import { escalationView } from '../testing/fixtures.js';
import type { ControlRoomApi, EventPayload } from '../../../src/shared/contract.js';
import type { EscalationView, MissionDetail, MissionSummary } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import type { Notifier, SystemNotification } from '../api/notify.js';
import { createControlRoomStore } from './store.js';

type Handler = (request: never) => Result<unknown>;

const escalation = escalationView;

const summary = (id: string, name: string) => ({ id, name }) as MissionSummary;
const detail = (id: string): MissionDetail =>
  ({ mission: summary(id, `Mission ${id}`), teams: [{ id: 't1', name: 'Core' }], agents: [], tasks: [], escalations: [] }) as unknown as MissionDetail;

function setup(list: EscalationView[], handlers: Record<string, Handler> = {}, seen: string[] = []) {
  const calls: { channel: string; request: unknown }[] = [];
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const base: Record<string, Handler> = {
        'escalations:list': () => ({ ok: true, data: list }),
        'missions:list': () => ({ ok: true, data: [summary('m1', 'Payments')] }),
        'missions:get': (req: { id: string }) => ({ ok: true, data: detail(req.id) }),
      };
      const handler = handlers[channel] ?? base[channel];
      return Promise.resolve(handler ? handler(request as never) : { ok: true, data: [] }) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (p: unknown) => void]);
      return () => undefined;
    },
  };
  const notifications: SystemNotification[] = [];
  const notifier: Notifier = {
    permission: () => 'granted',
    requestPermission: () => Promise.resolve('granted'),
    notify: (n) => notifications.push(n),
  };
  const stored: string[][] = [];
  const store = createControlRoomStore({
    api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: () => undefined,
    writeHash: () => undefined,
    loadTheme: () => 'system',
    storeTheme: () => undefined,
    notifier,
    loadSeen: () => seen,
    storeSeen: (ids) => stored.push(ids),
  });
  const emit = (e: EventPayload<'escalations:changed'>) => listeners.get('escalations:changed')?.forEach((l) => l(e));
  return { store, calls, emit, notifications, stored };
}

const open3 = [
  escalation({ id: 'old', createdAt: '2026-01-01T09:00:00.000Z' }),
  escalation({ id: 'mid', createdAt: '2026-01-01T10:00:00.000Z', type: 'permission', payload: { command: 'npm i x' } }),
  escalation({ id: 'new', createdAt: '2026-01-01T11:00:00.000Z' }),
];

describe('inbox slice', () => {
  it('loads, counts unread, and marks items seen as the keyboard moves through them', async () => {
    const { store, stored } = setup(open3, {}, ['gone', 'old']);
    await store.getState().loadInbox();
    const s = store.getState();
    expect(s.inboxStatus).toBe('ready');
    // Seen ids of escalations that no longer exist are dropped.
    expect(s.inboxSeen).toEqual(['old']);
    expect(Object.keys(s.inboxContext)).toEqual(['m1']);

    s.moveInboxSelection(1);
    expect(store.getState().inboxSelectedId).toBe('new');
    s.moveInboxSelection(1);
    expect(store.getState().inboxSelectedId).toBe('mid');
    s.moveInboxSelection(-1);
    expect(store.getState().inboxSelectedId).toBe('new');
    expect(store.getState().inboxSeen).toEqual(['old', 'new', 'mid']);
    expect(stored.at(-1)).toEqual(['old', 'new', 'mid']);
  });

  it('decides, moves the selection to the next item, and shows a refusal on the item', async () => {
    const { store, calls } = setup(open3, {
      'escalations:decide': (req: { id: string; decision: 'approve' }) =>
        req.id === 'mid'
          ? { ok: false, error: { code: 'invalid_request', message: 'comment: a reply needs a comment' } }
          : { ok: true, data: { ...open3.find((e) => e.id === req.id)!, state: 'resolved', decision: req.decision } },
    });
    await store.getState().loadInbox();
    store.getState().selectInboxItem('new');
    expect(await store.getState().decideEscalation('new', 'approve', { alwaysAllow: true })).toBe(true);
    expect(calls.find((c) => c.channel === 'escalations:decide')?.request).toEqual({
      id: 'new',
      decision: 'approve',
      comment: '',
      alwaysAllow: true,
    });
    expect(store.getState().inboxSelectedId).toBe('mid');
    expect(await store.getState().decideEscalation('mid', 'deny')).toBe(false);
    expect(store.getState().escalationErrors['mid']).toMatch(/comment/);
  });

  it('approves the ticked items and reports the outcome', async () => {
    const { store } = setup(open3, {
      'escalations:decide': (req: { id: string }) => ({
        ok: true,
        data: { ...open3.find((e) => e.id === req.id)!, state: 'resolved', decision: 'approve' },
      }),
    });
    await store.getState().loadInbox();
    store.getState().toggleInboxChecked('old');
    store.getState().toggleInboxChecked('new');
    await store.getState().approveCheckedInbox();
    const s = store.getState();
    expect(s.inboxChecked).toEqual([]);
    expect(s.escalations['old']?.state).toBe('resolved');
    expect(s.escalations['mid']?.state).toBe('open');
    expect(s.inboxNotice).toEqual({ tone: 'success', text: 'Approved 2 items.' });
  });

  it('notifies about new work for the person, once, and not about leader-level items', async () => {
    const { store, emit, notifications, calls } = setup([]);
    await store.getState().loadInbox();
    emit(escalation({ id: 'x', title: 'Approve the plan?', type: 'plan_approval' }));
    emit(escalation({ id: 'x', title: 'Approve the plan?', type: 'plan_approval' }));
    emit(escalation({ id: 'y', level: 'leader' }));
    expect(notifications.map((n) => n.tag)).toEqual(['x']);
    expect(notifications[0]?.body).toBe('Approve the plan? (Payments)');
    expect(calls.filter((c) => c.channel === 'missions:get')).toHaveLength(1);
    // Clicking it opens the inbox on the item.
    notifications[0]?.onClick?.();
    expect(store.getState().route.area).toBe('inbox');
    expect(store.getState().inboxSelectedId).toBe('x');
  });

  it('filters, and drops a selection the filter hides', async () => {
    const { store } = setup(open3);
    await store.getState().loadInbox();
    store.getState().selectInboxItem('old');
    store.getState().setInboxFilter({ type: 'permission' });
    expect(store.getState().inboxSelectedId).toBeNull();
    store.getState().moveInboxSelection(1);
    expect(store.getState().inboxSelectedId).toBe('mid');
  });

  it('shows a load failure', async () => {
    const { store } = setup([], { 'escalations:list': () => ({ ok: false, error: { code: 'unavailable', message: 'engine offline' } }) });
    await store.getState().loadInbox();
    expect(store.getState()).toMatchObject({ inboxStatus: 'error', inboxError: 'engine offline' });
  });
});
