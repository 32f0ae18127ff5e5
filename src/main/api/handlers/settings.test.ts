import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../shared/contract.js';
import type { SettingsView } from '../../../shared/contract/settings.js';
import { LIMIT_PRESETS } from '../../../shared/limits.js';
import type { PriceTable } from '../../../shared/pricing.js';
import type { Result } from '../../../shared/result.js';
import { openBackend, type Backend } from '../../app/backend.js';
import { DEFAULT_ALERT_THRESHOLDS } from '../../ledger/alerts.js';
import { defaultPriceTable } from '../../ledger/pricing.js';
import { fakeApiKey } from '../../settings/testing/fake-api-key.js';

const KEY = fakeApiKey('handlertestkey', '0123456789', 'secretpart', 'Zq9w');

let root: string;
let dataDir: string;
let backend: Backend;
let events: EventEnvelope[];

function open(env: NodeJS.ProcessEnv = {}): Backend {
  const b = openBackend({ dataDir, runtime: 'browser', flushIntervalMs: 5, env });
  b.events.subscribe((batch) => events.push(...batch));
  return b;
}

async function call<T = SettingsView>(channel: string, request: unknown = {}): Promise<Result<T>> {
  return (await backend.invoke(channel, request)) as Result<T>;
}

async function data<T = SettingsView>(channel: string, request: unknown = {}): Promise<T> {
  const result = await call<T>(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.data;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-settings-handlers-'));
  dataDir = join(root, 'data');
  events = [];
  backend = open();
});

afterEach(() => {
  backend.close();
  rmSync(root, { recursive: true, force: true });
});

const withRow = (table: PriceTable, row: Partial<PriceTable['rows'][number]>): PriceTable => ({
  ...table,
  rows: [...table.rows, { ...table.rows[0]!, ...row }],
});

describe('settings handlers', () => {
  it('answers the defaults on a new data directory', async () => {
    const view = await data('settings:get');
    expect(view).toMatchObject({
      provider: 'simulated',
      apiKey: { set: false, masked: null, source: null },
      poolLimitsStored: false,
      idleTimeoutSec: 120,
      alertThresholds: DEFAULT_ALERT_THRESHOLDS,
      dataDir,
    });
    expect(view.presets.map((p) => p.id)).toEqual(LIMIT_PRESETS.map((p) => p.id));
    expect(view.priceTable).toEqual(defaultPriceTable());
  });

  it('saves pool limits, idle timeout and thresholds, announces them, and keeps them across a restart', async () => {
    const tier3 = LIMIT_PRESETS.find((p) => p.id === 'tier-3')!.pools;
    await data('settings:set-pool-limits', { poolLimits: tier3 });
    await data('settings:set-idle-timeout', { idleTimeoutSec: 600 });
    const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, errorRate: 0.05 };
    const last = await data('settings:set-alert-thresholds', { alertThresholds: thresholds });
    expect(last).toMatchObject({ poolLimits: tier3, poolLimitsStored: true, idleTimeoutSec: 600, alertThresholds: thresholds });
    backend.events.flush();
    expect(events.filter((e) => e.name === 'settings:changed')).toHaveLength(3);

    backend.close();
    backend = open();
    expect(await data('settings:get')).toMatchObject({ poolLimits: tier3, idleTimeoutSec: 600, alertThresholds: thresholds });
    // The limiter started with the saved limits, not the simulation's defaults.
    const state = await data<{ pools: Record<string, { buckets: Record<string, { limit: number }> }> }>('limits:get-state');
    expect(state.pools['opus']?.buckets['requests']?.limit).toBe(tier3.opus.rpm);
  });

  it('refuses invalid values naming the field, and keeps what was stored', async () => {
    const bad = await call('settings:set-pool-limits', {
      poolLimits: { ...LIMIT_PRESETS[0]!.pools, sonnet: { rpm: 0, itpm: 1, otpm: 1 } },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!bad.ok && bad.error.message).toMatch(/poolLimits\.sonnet\.rpm/);

    const idle = await call('settings:set-idle-timeout', { idleTimeoutSec: 3 });
    expect(!idle.ok && idle.error.message).toMatch(/idleTimeoutSec: must be at least 10 seconds/);

    const inverted = await call('settings:set-alert-thresholds', {
      alertThresholds: { ...DEFAULT_ALERT_THRESHOLDS, budgetUsedRatio: 0.9, budgetCriticalRatio: 0.5 },
    });
    expect(!inverted.ok && inverted.error.message).toMatch(/^alertThresholds\.budgetCriticalRatio/);
    const range = await call('settings:set-alert-thresholds', {
      alertThresholds: { ...DEFAULT_ALERT_THRESHOLDS, errorRate: 2 },
    });
    expect(!range.ok && range.error.message).toMatch(/alertThresholds\.errorRate/);

    expect(await data('settings:get')).toMatchObject({ poolLimitsStored: false, idleTimeoutSec: 120 });
  });

  it('adds price rows, but refuses to edit or remove rows calls may reference', async () => {
    const table = defaultPriceTable();
    const edited = { ...table, rows: table.rows.map((r, i) => (i === 1 ? { ...r, outputUsdPerMTok: 99 } : r)) };
    const refused = await call('settings:set-price-table', { priceTable: edited });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!refused.ok && refused.error.message).toMatch(
      new RegExp(`priceTable\\.rows\\.1\\.outputUsdPerMTok: price row "${table.rows[1]!.id}" cannot be edited`),
    );

    const added = withRow(table, { id: 'opus-8-2099', effectiveFrom: '2099-01-01', inputUsdPerMTok: 6 });
    const view = await data('settings:set-price-table', { priceTable: added });
    expect(view.priceTable.rows.at(-1)).toMatchObject({ id: 'opus-8-2099', inputUsdPerMTok: 6 });
    const removed = await call('settings:set-price-table', { priceTable: table });
    expect(!removed.ok && removed.error.message).toMatch(/price row "opus-8-2099" cannot be removed/);

    backend.close();
    backend = open();
    expect((await data('settings:get')).priceTable.rows.map((r) => r.id)).toContain('opus-8-2099');
  });

  it('names the provider without claiming a key state that Settings may change (the top bar shows that)', async () => {
    expect(await data<{ provider: { label: string } }>('app:get-info')).toMatchObject({
      provider: { id: 'simulated', label: 'Simulated provider' },
    });
    await data('settings:set-api-key', { apiKey: KEY });
    expect(JSON.stringify(await data('app:get-info'))).not.toMatch(/no API key/i);
  });

  it('switches the provider only with a key, and the app info follows', async () => {
    const refused = await call('settings:set-provider', { provider: 'anthropic' });
    expect(!refused.ok && refused.error.message).toMatch(/^provider: the Anthropic API needs an API key/);

    await data('settings:set-api-key', { apiKey: KEY });
    const view = await data('settings:set-provider', { provider: 'anthropic' });
    expect(view.provider).toBe('anthropic');
    expect(await data<{ provider: { id: string } }>('app:get-info')).toMatchObject({ provider: { id: 'anthropic' } });

    // Removing the key cannot leave the engine calling the API without one.
    const cleared = await data('settings:set-api-key', { apiKey: null });
    expect(cleared).toMatchObject({ provider: 'simulated', apiKey: { set: false, masked: null } });
    expect(await data<{ provider: { label: string } }>('app:get-info')).toMatchObject({
      provider: { label: 'Simulated provider' },
    });
  });

  it('never lets the API key out: not in answers, events, errors or the ledger files', async () => {
    const answers: unknown[] = [];
    const record = async (channel: string, request: unknown = {}) => answers.push(await backend.invoke(channel, request));

    await record('settings:set-api-key', { apiKey: KEY });
    await record('settings:get');
    await record('settings:set-provider', { provider: 'anthropic' });
    await record('settings:set-pool-limits', { poolLimits: LIMIT_PRESETS[2]!.pools });
    await record('settings:set-idle-timeout', { idleTimeoutSec: 300 });
    await record('settings:set-alert-thresholds', { alertThresholds: DEFAULT_ALERT_THRESHOLDS });
    await record('settings:set-price-table', { priceTable: defaultPriceTable() });
    await record('app:get-info');
    // A refused request must not echo the key either.
    await record('settings:set-api-key', { apiKey: `${KEY} with a space` });
    await record('settings:set-api-key', { apiKey: KEY, extra: KEY });
    await record('settings:set-provider', { provider: KEY });
    backend.events.flush();

    const masked = (answers[0] as Result<SettingsView>).ok ? (answers[0] as { data: SettingsView }).data.apiKey : null;
    expect(masked).toEqual({ set: true, masked: 'sk-ant-…Zq9w', source: 'settings', volatile: true, storage: 'memory' });

    const text = JSON.stringify({ answers, events });
    expect(events.length).toBeGreaterThan(0);
    for (const part of [KEY, KEY.slice(10, 30), 'secretpart']) expect(text).not.toContain(part);

    backend.close();
    for (const file of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const bytes = readFileSync(join(file.parentPath, file.name));
      expect(bytes.includes(Buffer.from('secretpart')), file.name).toBe(false);
      expect(bytes.includes(Buffer.from(KEY.slice(10, 30))), file.name).toBe(false);
    }
    // A new process has no key: browser mode keeps it in memory only.
    backend = open();
    expect(await data('settings:get')).toMatchObject({ apiKey: { set: false }, provider: 'simulated' });
  });

  it('refuses a text that is not shaped like an Anthropic key, in one line that does not repeat it, and keeps the saved key', async () => {
    await data('settings:set-api-key', { apiKey: KEY });
    backend.events.flush();
    const before = events.length;
    const attempts = {
      'a word': 'hello',
      'another provider': 'sk-proj-abcdefghij0123456789abcdefghij0123456789',
      'cut when copied': 'sk-ant-api03-Xy',
      'with a quote': `${KEY}"`,
    };
    for (const [what, apiKey] of Object.entries(attempts)) {
      const refused = await call('settings:set-api-key', { apiKey });
      expect(refused, what).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      const message = !refused.ok ? refused.error.message : '';
      expect(message, what).toMatch(/request\.apiKey: /);
      expect(message, what).not.toContain('\n');
      expect(message, what).not.toContain(apiKey.replace(/^sk-(ant-)?/, '').slice(0, 5));
    }
    backend.events.flush();
    expect(events.slice(before).filter((e) => e.name === 'settings:changed')).toEqual([]);
    expect((await data('settings:get')).apiKey).toMatchObject({ set: true, masked: 'sk-ant-…Zq9w' });
  });

  it('shows a key from the environment as such, and will not replace it', async () => {
    backend.close();
    backend = open({ ANTHROPIC_API_KEY: KEY });
    const view = await data('settings:get');
    expect(view).toMatchObject({ provider: 'anthropic', apiKey: { set: true, masked: 'sk-ant-…Zq9w', source: 'env', volatile: false } });
    const refused = await call('settings:set-api-key', { apiKey: fakeApiKey('other', 'key', '0123456789abcdefghij') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!refused.ok && refused.error.message).toMatch(/ANTHROPIC_API_KEY/);

    // Choosing the simulation is remembered even though the environment has a key.
    await data('settings:set-provider', { provider: 'simulated' });
    backend.close();
    backend = open({ ANTHROPIC_API_KEY: KEY });
    expect((await data('settings:get')).provider).toBe('simulated');
  });

  it('saves the fleet Redis URL for the next start, refuses one with a password (the ledger keeps no secrets), and refuses what is not one', async () => {
    const url = 'redis://127.0.0.1:1/1';
    const saved = await data('settings:set-fleet-redis-url', { redisUrl: `  ${url}  ` });
    // Saved, and not in use before the next start.
    expect(saved.fleet).toEqual({ redisUrl: url, activeRedisUrl: null, activeSource: null });
    backend.events.flush();
    expect(events.some((e) => e.name === 'settings:changed')).toBe(true);

    const withPassword = await call('settings:set-fleet-redis-url', { redisUrl: 'redis://ops:FAKE-redis-pass@127.0.0.1:1/1' });
    expect(withPassword).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!withPassword.ok && withPassword.error.message).toMatch(/not saved .*--redis/);
    expect(!withPassword.ok && withPassword.error.message).not.toContain('FAKE-redis-pass');
    const inQuery = await call('settings:set-fleet-redis-url', { redisUrl: 'redis://127.0.0.1:1/1?password=FAKE-redis-pass' });
    expect(!inQuery.ok && inQuery.error.message).toMatch(/not saved .*--redis/);
    // Nothing of it reached the ledger's files.
    for (const name of readdirSync(dataDir)) {
      const file = join(dataDir, name);
      if (statSync(file).isFile()) expect(readFileSync(file).includes('FAKE-redis-pass'), name).toBe(false);
    }
    for (const bad of ['http://redis.internal:6379', 'redis.internal:6379', 'redis://bad host', '', 'redis://h:99999']) {
      const refused = await call('settings:set-fleet-redis-url', { redisUrl: bad });
      expect(refused, bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(!refused.ok && refused.error.message).toMatch(/request\.redisUrl: /);
    }

    backend.close();
    backend = open();
    expect((await data('settings:get')).fleet).toMatchObject({ redisUrl: url, activeRedisUrl: url, activeSource: 'settings' });
    expect((await data('settings:set-fleet-redis-url', { redisUrl: null })).fleet).toMatchObject({
      redisUrl: null,
      // This run keeps the Redis it started with.
      activeRedisUrl: url,
    });
  });
});
