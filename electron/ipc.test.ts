import type { IpcMainInvokeEvent } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../src/main/api/event-hub.js';
import { COMMAND_CHANNELS, EVENT_BATCH_CHANNEL } from '../src/shared/channels.js';
import type { EventEnvelope } from '../src/shared/contract.js';
import type { Result } from '../src/shared/result.js';
import {
  createCommandHandler,
  isTrustedSenderEvent,
  setupEventForwarding,
  setupIpc,
  trustedSenderOf,
  type BatchTarget,
  type SenderInfo,
} from './ipc.js';
import { APP_ENTRY_URL } from './security.js';

// The real `electron` package cannot load without its binary; ipcMain is all ipc.ts uses.
const registered = vi.hoisted(() => new Map<string, (...args: unknown[]) => unknown>());
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, listener: (...args: unknown[]) => unknown) => {
      if (registered.has(channel)) throw new Error(`second handler for ${channel}`);
      registered.set(channel, listener);
    },
    removeHandler: (channel: string) => registered.delete(channel),
  },
}));

const TRUSTED_ID = 7;
const topFrame = (url: string) => ({ url, parent: null });

function event(info: SenderInfo): IpcMainInvokeEvent {
  return info as unknown as IpcMainInvokeEvent;
}

const trusted = event({ sender: { id: TRUSTED_ID }, senderFrame: topFrame(APP_ENTRY_URL) });

describe('isTrustedSenderEvent', () => {
  it('trusts the top-level app page of our window', () => {
    expect(isTrustedSenderEvent(trusted, TRUSTED_ID)).toBe(true);
  });

  it('refuses other web contents, even on an app page', () => {
    expect(isTrustedSenderEvent(trusted, 8)).toBe(false);
  });

  it('refuses when no window is trusted yet', () => {
    expect(isTrustedSenderEvent(trusted, undefined)).toBe(false);
  });

  it('refuses a subframe of our page', () => {
    const sub = {
      sender: { id: TRUSTED_ID },
      senderFrame: { url: APP_ENTRY_URL, parent: topFrame(APP_ENTRY_URL) },
    };
    expect(isTrustedSenderEvent(sub, TRUSTED_ID)).toBe(false);
  });

  it('refuses our window once it shows another origin', () => {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'about:blank', 'app://evil/']) {
      expect(
        isTrustedSenderEvent({ sender: { id: TRUSTED_ID }, senderFrame: topFrame(url) }, TRUSTED_ID),
      ).toBe(false);
    }
  });

  it('refuses a frame that is gone', () => {
    expect(isTrustedSenderEvent({ sender: { id: TRUSTED_ID }, senderFrame: null }, TRUSTED_ID)).toBe(false);
    const disposed = {
      sender: { id: TRUSTED_ID },
      get senderFrame(): never {
        throw new Error('Render frame was disposed');
      },
    };
    expect(isTrustedSenderEvent(disposed, TRUSTED_ID)).toBe(false);
  });

  it('trustedSenderOf follows the current window', () => {
    let current: number | undefined = TRUSTED_ID;
    const check = trustedSenderOf(() => current);
    expect(check(trusted)).toBe(true);
    current = 9;
    expect(check(trusted)).toBe(false);
  });
});

describe('createCommandHandler', () => {
  it('checks the sender before the backend sees anything', async () => {
    const invoke = vi.fn();
    const warn = vi.fn();
    const handler = createCommandHandler('teams:delete', invoke, () => false, warn);
    const result = await handler(trusted, { id: 'x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(invoke).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledOnce();
  });

  it('passes the channel and the one request object to the backend', async () => {
    const answer: Result<unknown> = { ok: true, data: [] };
    const invoke = vi.fn(() => Promise.resolve(answer));
    const handler = createCommandHandler('teams:list', invoke, () => true);
    await expect(handler(trusted, { a: 1 })).resolves.toBe(answer);
    expect(invoke).toHaveBeenCalledExactlyOnceWith('teams:list', { a: 1 });
  });
});

describe('setupIpc', () => {
  beforeEach(() => registered.clear());

  it('registers exactly the contract commands and removes them again', () => {
    const dispose = setupIpc({ invoke: vi.fn() }, () => true);
    expect([...registered.keys()].sort()).toEqual([...COMMAND_CHANNELS].sort());
    dispose();
    expect(registered.size).toBe(0);
  });

  it('answers forbidden to an untrusted sender on every channel', async () => {
    const invoke = vi.fn();
    setupIpc(
      { invoke },
      trustedSenderOf(() => TRUSTED_ID),
    );
    const stranger = event({ sender: { id: 99 }, senderFrame: topFrame(APP_ENTRY_URL) });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (const channel of COMMAND_CHANNELS) {
        const listener = registered.get(channel);
        await expect(listener?.(stranger, {})).resolves.toMatchObject({
          ok: false,
          error: { code: 'forbidden' },
        });
      }
    } finally {
      warn.mockRestore();
    }
    expect(invoke).not.toHaveBeenCalled();
  });

  it('routes a trusted call to the backend under its own channel', async () => {
    const invoke = vi.fn((channel: unknown) => Promise.resolve({ ok: true as const, data: channel }));
    setupIpc(
      { invoke },
      trustedSenderOf(() => TRUSTED_ID),
    );
    for (const channel of COMMAND_CHANNELS) {
      await expect(registered.get(channel)?.(trusted, {}, 'ignored extra')).resolves.toEqual({
        ok: true,
        data: channel,
      });
    }
    expect(invoke).toHaveBeenCalledTimes(COMMAND_CHANNELS.length);
    for (const call of invoke.mock.calls) expect(call).toHaveLength(2);
  });
});

describe('setupEventForwarding', () => {
  function target(url: string, destroyed = false) {
    return {
      isDestroyed: () => destroyed,
      getURL: () => url,
      send: vi.fn<BatchTarget['send']>(),
    };
  }

  it('sends each batch on the batch channel to live app windows only', () => {
    const hub = new EventHub({ setTimer: () => 1, clearTimer: () => {} });
    const live = target(APP_ENTRY_URL);
    const dead = target(APP_ENTRY_URL, true);
    const elsewhere = target('https://evil.example/');
    const unsubscribe = setupEventForwarding(hub, () => [live, dead, elsewhere]);

    hub.emit('teams:changed', {} as EventEnvelope<'teams:changed'>['payload']);
    hub.flush();
    expect(live.send).toHaveBeenCalledOnce();
    expect(live.send.mock.calls[0]?.[0]).toBe(EVENT_BATCH_CHANNEL);
    expect(live.send.mock.calls[0]?.[1]).toHaveLength(1);
    expect(dead.send).not.toHaveBeenCalled();
    expect(elsewhere.send).not.toHaveBeenCalled();

    unsubscribe();
    hub.emit('teams:changed', {} as EventEnvelope<'teams:changed'>['payload']);
    hub.flush();
    expect(live.send).toHaveBeenCalledOnce();
  });
});
