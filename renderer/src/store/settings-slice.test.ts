import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { SettingsView } from '../../../src/shared/contract/settings.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { createControlRoomStore } from './store.js';

const view = (over: Partial<SettingsView> = {}) => ({ provider: 'simulated', idleTimeoutSec: 120, ...over }) as SettingsView;

function setup(answers: Record<string, Result<unknown>>) {
  const calls: { channel: string; request: unknown }[] = [];
  let changed: ((v: SettingsView) => void) | undefined;
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      return Promise.resolve(answers[channel] ?? { ok: true, data: [] }) as never;
    },
    on: (event, listener) => {
      if (event === 'settings:changed') changed = listener as typeof changed;
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
  return { store, calls, emit: (v: SettingsView) => changed?.(v) };
}

describe('settings slice', () => {
  it('loads, saves a section with its command, and follows other windows', async () => {
    const { store, calls, emit } = setup({
      'settings:get': { ok: true, data: view() },
      'settings:set-idle-timeout': { ok: true, data: view({ idleTimeoutSec: 300 }) },
      'settings:set-provider': { ok: false, error: { code: 'invalid_request', message: 'provider: needs an API key' } },
    });
    await store.getState().loadSettings();
    expect(store.getState().settings?.idleTimeoutSec).toBe(120);

    expect(await store.getState().saveSetting('idleTimeout', { idleTimeoutSec: 300 })).toEqual({ ok: true });
    expect(calls.at(-1)).toEqual({ channel: 'settings:set-idle-timeout', request: { idleTimeoutSec: 300 } });
    expect(store.getState()).toMatchObject({ settingsSaved: 'idleTimeout', settings: { idleTimeoutSec: 300 } });

    expect(await store.getState().saveSetting('provider', { provider: 'anthropic' })).toEqual({
      ok: false,
      error: 'provider: needs an API key',
    });
    expect(store.getState().settings?.provider).toBe('simulated');

    emit(view({ idleTimeoutSec: 900 }));
    expect(store.getState().settings?.idleTimeoutSec).toBe(900);
  });

  it('holds the key state the top bar shows, current as soon as a save answers or another window saves', async () => {
    const key = { set: true, masked: 'sk-ant-…WXYZ', source: 'settings', volatile: false, storage: 'key-file' } as const;
    const none = { set: false, masked: null, source: null, volatile: false, storage: 'key-file' } as const;
    const { store, emit } = setup({
      'settings:get': { ok: true, data: view({ apiKey: none }) },
      'settings:set-api-key': { ok: true, data: view({ apiKey: key }) },
    });
    await store.getState().loadSettings();
    expect(store.getState().settings?.apiKey).toEqual(none);
    await store.getState().saveSetting('apiKey', { apiKey: 'sk-ant-typed-in-this-window' });
    expect(store.getState().settings?.apiKey).toEqual(key);
    emit(view({ apiKey: none }));
    expect(store.getState().settings?.apiKey).toEqual(none);
  });

  it('shows a load failure', async () => {
    const { store } = setup({ 'settings:get': { ok: false, error: { code: 'unavailable', message: 'offline' } } });
    await store.getState().loadSettings();
    expect(store.getState()).toMatchObject({ settingsStatus: 'error', settingsError: 'offline' });
  });
});
