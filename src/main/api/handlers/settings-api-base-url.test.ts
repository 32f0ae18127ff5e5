import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SettingsView } from '../../../shared/contract/settings.js';
import type { Result } from '../../../shared/result.js';
import { openBackend, type Backend } from '../../app/backend.js';

let root: string;
let backend: Backend;
const open = (env: NodeJS.ProcessEnv = {}) => openBackend({ dataDir: join(root, 'data'), runtime: 'browser', flushIntervalMs: 5, env });
const invoke = async (request: unknown) => (await backend.invoke('settings:set-api-base-url', request)) as Result<SettingsView>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-settings-base-url-'));
  backend = open();
});
afterEach(() => {
  backend.close();
  rmSync(root, { recursive: true, force: true });
});

describe('settings:set-api-base-url', () => {
  it('saves the URL, answers where calls go and keeps it across a restart; null removes it', async () => {
    const saved = await invoke({ apiBaseUrl: '  https://gw.corp.example/anthropic  ' });
    expect(saved).toMatchObject({ ok: true, data: { apiBaseUrl: { saved: 'https://gw.corp.example/anthropic', effective: 'https://gw.corp.example/anthropic', source: 'settings' } } });
    backend.close();
    backend = open({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
    const view = (await backend.invoke('settings:get', {})) as Result<SettingsView>;
    expect(view).toMatchObject({ ok: true, data: { apiBaseUrl: { source: 'settings', effective: 'https://gw.corp.example/anthropic' } } });
    expect(await invoke({ apiBaseUrl: null })).toMatchObject({ ok: true, data: { apiBaseUrl: { saved: null, effective: 'http://127.0.0.1:9', source: 'env' } } });
  });

  it('refuses bad input with one line naming the field, and writes nothing', async () => {
    const refused = await invoke({ apiBaseUrl: 'https://me:hunter22@gw.corp' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    if (!refused.ok) {
      expect(refused.error.message).toMatch(/^settings:set-api-base-url: request.apiBaseUrl: must not carry a user or password/);
      expect(refused.error.message).not.toContain('hunter22');
      expect(refused.error.message).not.toContain('\n');
    }
    expect(await invoke({ apiBaseUrl: '' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/request.apiBaseUrl: must not be empty/) } });
    expect(await invoke({ apiBaseUrl: 'gw.corp', extra: 1 })).toMatchObject({ ok: false });
    const view = (await backend.invoke('settings:get', {})) as Result<SettingsView>;
    expect(view).toMatchObject({ ok: true, data: { apiBaseUrl: { saved: null, source: 'default' } } });
  });
});
