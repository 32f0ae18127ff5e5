import { describe, expect, it, vi } from 'vitest';
import { COMMAND_CHANNELS } from '../src/shared/channels.js';
import type { CommandName, EventName } from '../src/shared/contract.js';
import { createControlRoomApi, type BridgeIpc } from './bridge.js';

function fakeIpc(
  answer: (channel: string, request: unknown) => Promise<unknown> = () =>
    Promise.resolve({ ok: true, data: 1 }),
) {
  let batchListener: ((batch: unknown) => void) | undefined;
  const ipc = {
    invoke: vi.fn(answer),
    onEventBatch: vi.fn((listener: (batch: unknown) => void) => {
      batchListener = listener;
    }),
  } satisfies BridgeIpc;
  const push = (batch: unknown): void => {
    if (!batchListener) throw new Error('bridge never subscribed');
    batchListener(batch);
  };
  return { ipc, push };
}

describe('createControlRoomApi: invoke', () => {
  it('forwards every contract command with its one request object', async () => {
    const { ipc } = fakeIpc();
    const api = createControlRoomApi(ipc);
    for (const channel of COMMAND_CHANNELS) {
      await expect(api.invoke(channel, {} as never)).resolves.toEqual({ ok: true, data: 1 });
    }
    expect(ipc.invoke.mock.calls.map(([channel]) => channel)).toEqual([...COMMAND_CHANNELS]);
    expect(ipc.invoke).toHaveBeenCalledWith('app:get-info', {});
  });

  it.each(['cr:events', 'teams:changed', 'app:evil', '__proto__', 'constructor', '', 42, null])(
    'refuses %j without touching IPC',
    async (channel) => {
      const { ipc } = fakeIpc();
      const api = createControlRoomApi(ipc);
      const result = await api.invoke(channel as CommandName, {} as never);
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
      expect(ipc.invoke).not.toHaveBeenCalled();
    },
  );

  it('turns an IPC rejection (no handler during quit) into an unavailable Result', async () => {
    const { ipc } = fakeIpc(() => Promise.reject(new Error("No handler registered for 'teams:list'")));
    const api = createControlRoomApi(ipc);
    const result = await api.invoke('teams:list', {} as never);
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    if (!result.ok) expect(result.error.message).toContain('No handler registered');
  });
});

describe('createControlRoomApi: on', () => {
  it('subscribes to the batch channel lazily, once', () => {
    const { ipc } = fakeIpc();
    const api = createControlRoomApi(ipc);
    expect(ipc.onEventBatch).not.toHaveBeenCalled();
    api.on('teams:changed', () => {});
    api.on('teams:changed', () => {});
    expect(ipc.onEventBatch).toHaveBeenCalledOnce();
  });

  it('hands listeners the payload only, in batch order', () => {
    const { ipc, push } = fakeIpc();
    const api = createControlRoomApi(ipc);
    const seen: unknown[] = [];
    api.on('teams:changed', (payload) => {
      seen.push(payload);
    });
    const first = { id: 'a' };
    const second = { id: 'b' };
    push([
      { name: 'teams:changed', payload: first },
      { name: 'teams:changed', payload: second },
    ]);
    expect(seen).toEqual([first, second]);
  });

  it('throws for an event outside the contract', () => {
    const { ipc } = fakeIpc();
    const api = createControlRoomApi(ipc);
    expect(() => api.on('cr:events' as EventName, () => {})).toThrow(TypeError);
    expect(() => api.on('teams:list' as EventName, () => {})).toThrow(/unknown event/);
    expect(() => api.on('teams:changed', 'nope' as never)).toThrow(TypeError);
    expect(ipc.onEventBatch).not.toHaveBeenCalled();
  });

  it('ignores malformed batches and envelopes for unknown events', () => {
    const { ipc, push } = fakeIpc();
    const api = createControlRoomApi(ipc);
    const listener = vi.fn();
    api.on('teams:changed', listener);
    push(undefined);
    push({ name: 'teams:changed', payload: 1 });
    push([null, 7, { name: 'evil:happened', payload: 1 }, { payload: 2 }]);
    expect(listener).not.toHaveBeenCalled();
  });

  it('unsubscribes exactly the listener returned, idempotently', () => {
    const { ipc, push } = fakeIpc();
    const api = createControlRoomApi(ipc);
    const a = vi.fn();
    const b = vi.fn();
    const offA = api.on('teams:changed', a);
    const offA2 = api.on('teams:changed', a);
    api.on('teams:changed', b);
    offA();
    offA();
    push([{ name: 'teams:changed', payload: 1 }]);
    expect(a).toHaveBeenCalledOnce();
    expect(b).toHaveBeenCalledOnce();
    offA2();
    push([{ name: 'teams:changed', payload: 2 }]);
    expect(a).toHaveBeenCalledOnce();
    expect(b).toHaveBeenCalledTimes(2);
  });

  it('keeps delivering when one listener throws or unsubscribes another mid-batch', () => {
    const { ipc, push } = fakeIpc();
    const reportError = vi.fn();
    const api = createControlRoomApi(ipc, reportError);
    const late = vi.fn();
    let offLate = (): void => {};
    api.on('teams:changed', () => {
      offLate();
      throw new Error('view crashed');
    });
    offLate = api.on('teams:changed', late);
    push([{ name: 'teams:changed', payload: 1 }]);
    expect(reportError).toHaveBeenCalledOnce();
    // The snapshot taken for this envelope still included it.
    expect(late).toHaveBeenCalledOnce();
    push([{ name: 'teams:changed', payload: 2 }]);
    expect(late).toHaveBeenCalledOnce();
  });

  it('exposes exactly invoke and on', () => {
    const api = createControlRoomApi(fakeIpc().ipc);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
  });
});
