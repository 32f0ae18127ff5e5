import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderId } from '../../shared/contract/app.js';
import { LIMIT_PRESETS, type AllPoolLimits } from '../../shared/limits.js';
import type { MissionSettings } from '../../shared/mission.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { defaultPriceTable, type Pricer } from '../ledger/pricing.js';
import type { ModelProvider } from '../llm/provider.js';
import { maskApiKey } from './api-key.js';
import { checkPriceTableEdit, withBundledRows } from './price-table-edits.js';
import { ProviderSwitch } from './provider-switch.js';
import { MemorySecretStore, type SecretStore } from './secret-store.js';
import { SettingsService, startupFleet } from './settings-service.js';
import { fakeApiKey } from './testing/fake-api-key.js';

const SIM: AllPoolLimits = LIMIT_PRESETS[3]!.pools;
const API: AllPoolLimits = LIMIT_PRESETS[0]!.pools;

let dir: string;
let ledger: Ledger;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-settings-service-'));
  ledger = openLedger(join(dir, 'ledger.db'));
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function live(secrets: SecretStore = new MemorySecretStore()) {
  const limits: { pool: string; rpm: number }[] = [];
  const pricers: Pricer[] = [];
  const defaults: Partial<MissionSettings>[] = [];
  const keeps: boolean[] = [];
  const built: { id: ProviderId; key: string | null }[] = [];
  const fake = (name: string): ModelProvider => ({ send: () => Promise.reject(new Error(name)) });
  const provider = new ProviderSwitch('simulated', fake('sim'));
  const service = new SettingsService({ db: ledger.db, env: {}, dataDir: dir, secrets });
  service.attach({
    limiter: { setLimits: (pool, l) => limits.push({ pool, rpm: l.rpm }) },
    pricers: [{ setPricer: (p) => pricers.push(p) }],
    engine: { setDefaults: (d) => defaults.push(d), setKeepBranchesDefault: (keep) => keeps.push(keep) },
    provider,
    makeProvider: (id, key) => {
      built.push({ id, key });
      return fake(id);
    },
    defaultPoolLimits: (id) => (id === 'simulated' ? SIM : API),
  });
  return { service, limits, pricers, defaults, keeps, built, provider };
}

describe('SettingsService', () => {
  it('keeps finished missions\' branches only once a person turns it on, and tells the running engine', () => {
    const { service, keeps } = live();
    expect(service.view().keepBranches).toBe(false);
    expect(service.setKeepBranches(true).keepBranches).toBe(true);
    expect(keeps).toEqual([true]);
    // Saved in the ledger: a new service (the next start) reads it back.
    expect(new SettingsService({ db: ledger.db, env: {}, dataDir: dir, secrets: new MemorySecretStore() }).keepBranches()).toBe(true);
  });

  it('applies edits to the running engine', () => {
    const { service, limits, pricers, defaults } = live();
    service.setPoolLimits(LIMIT_PRESETS[1]!.pools);
    expect(limits.map((l) => l.pool)).toEqual(['opus', 'sonnet', 'haiku']);
    expect(limits[0]!.rpm).toBe(LIMIT_PRESETS[1]!.pools.opus.rpm);

    const table = defaultPriceTable();
    service.setPriceTable({ ...table, rows: [...table.rows, { ...table.rows[0]!, id: 'new', effectiveFrom: '2099-01-01' }] });
    expect(pricers).toHaveLength(1);
    expect(pricers[0]!.table.rows.map((r) => r.id)).toContain('new');

    service.setIdleTimeout(900);
    expect(defaults).toEqual([{ idleTimeoutSec: 900 }]);
    expect(service.missionDefaults()).toEqual({ idleTimeoutSec: 900 });
  });

  it('switches providers with the key, and moves default limits along unless a person set them', () => {
    const { service, limits, built, provider } = live();
    service.setApiKey(fakeApiKey('first', 'test', 'key', 'abcdefghij'));
    expect(built).toEqual([]);
    service.setProvider('anthropic');
    expect(provider.id).toBe('anthropic');
    expect(built).toEqual([{ id: 'anthropic', key: fakeApiKey('first', 'test', 'key', 'abcdefghij') }]);
    expect(limits.map((l) => l.rpm)).toEqual([API.opus.rpm, API.sonnet.rpm, API.haiku.rpm]);

    // A new key reaches the live provider at once.
    service.setApiKey(fakeApiKey('second', 'test', 'key', 'zyxwvutsrq'));
    expect(built.at(-1)).toEqual({ id: 'anthropic', key: fakeApiKey('second', 'test', 'key', 'zyxwvutsrq') });

    service.setPoolLimits(LIMIT_PRESETS[2]!.pools);
    limits.length = 0;
    service.setProvider('simulated');
    expect(limits).toEqual([]);
  });

  it('answers that a key was not saved when its store refuses it, instead of "Saved"', () => {
    const refusing: SecretStore = {
      persistent: true,
      where: 'keychain',
      get: () => null,
      set: () => {
        throw new Error("Couldn't access platform storage: AccessDenied");
      },
    };
    const { service } = live(refusing);
    expect(() => service.setApiKey(fakeApiKey('refused', '0123456789abcdefghij'))).toThrow(
      /^apiKey: the key was not saved \(keychain\): Couldn't access platform storage: AccessDenied$/,
    );
    expect(service.view().apiKey).toMatchObject({ set: false, storage: 'keychain' });
  });

  it('refuses edits until the engine is attached', () => {
    const service = new SettingsService({ db: ledger.db, env: {}, dataDir: dir, secrets: new MemorySecretStore() });
    expect(() => service.setIdleTimeout(60)).toThrow(/still starting/);
  });
});

describe('maskApiKey', () => {
  it('shows the prefix and the last four characters of a long key, "set" for a short one', () => {
    expect(maskApiKey(fakeApiKey('0123456789abcdefghijWXYZ'))).toBe('sk-ant-…WXYZ');
    expect(maskApiKey('abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(maskApiKey('short-key')).toBe('set');
  });
});

describe('price table edits', () => {
  const table = defaultPriceTable();

  it('lets rows be added and the note changed', () => {
    const added = { ...table, note: 'mine', rows: [...table.rows, { ...table.rows[0]!, id: 'x', effectiveFrom: '2099-01-01' }] };
    expect(() => checkPriceTableEdit(table, added)).not.toThrow();
  });

  it('names the row and field of an edited price', () => {
    const edited = { ...table, rows: table.rows.map((r, i) => (i === 2 ? { ...r, cacheReadUsdPerMTok: 1 } : r)) };
    expect(() => checkPriceTableEdit(table, edited)).toThrow(/^priceTable\.rows\.2\.cacheReadUsdPerMTok: price row ".+" cannot be edited/);
  });

  it('adds rows a newer bundled table ships, never over a stored row', () => {
    const stored = { ...table, rows: table.rows.slice(0, -1).concat({ ...table.rows.at(-1)!, id: 'custom' }) };
    const merged = withBundledRows(stored, table);
    // The bundled last row starts at the same time as "custom": the stored row wins.
    expect(merged.rows.map((r) => r.id)).toEqual(stored.rows.map((r) => r.id));
    const newer = { ...table, rows: [...table.rows, { ...table.rows[0]!, id: 'shipped-later', effectiveFrom: '2099-06-01' }] };
    expect(withBundledRows(table, newer).rows.at(-1)?.id).toBe('shipped-later');
  });
});

describe('the fleet at start-up', () => {
  it('takes the flag over the saved URL; neither is off', () => {
    expect(startupFleet('redis://a:1', 'redis://b:2')).toEqual({ redisUrl: 'redis://a:1', source: 'flag' });
    expect(startupFleet(undefined, 'redis://b:2')).toEqual({ redisUrl: 'redis://b:2', source: 'settings' });
    expect(startupFleet(undefined, null)).toBeNull();
  });
});
