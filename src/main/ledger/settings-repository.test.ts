import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POOL_LIMITS, allPoolLimitsSchema } from '../../shared/limits.js';
import { openLedger, type Ledger } from './database.js';
import { SettingsRepository } from './settings-repository.js';

const spec = { schema: allPoolLimitsSchema, fallback: () => DEFAULT_POOL_LIMITS };
let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-settings-'));
  ledger = openLedger(join(dir, 'ledger.db'));
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SettingsRepository', () => {
  it('answers the default until a value is saved, then the saved value across reopen', () => {
    const repo = new SettingsRepository(ledger.db);
    expect(repo.get('poolLimits', spec)).toEqual(DEFAULT_POOL_LIMITS);
    const edited = { ...DEFAULT_POOL_LIMITS, haiku: { rpm: 10, itpm: 20, otpm: 30 } };
    repo.set('poolLimits', spec, edited);
    ledger.close();
    ledger = openLedger(join(dir, 'ledger.db'));
    expect(new SettingsRepository(ledger.db).get('poolLimits', spec)).toEqual(edited);
  });

  it('refuses an invalid value naming the field, and keeps the stored one', () => {
    const repo = new SettingsRepository(ledger.db);
    repo.set('poolLimits', spec, DEFAULT_POOL_LIMITS);
    expect(() => repo.set('poolLimits', spec, { ...DEFAULT_POOL_LIMITS, opus: { rpm: -1, itpm: 1, otpm: 1 } })).toThrow(
      /poolLimits\.opus\.rpm/,
    );
    expect(repo.get('poolLimits', spec)).toEqual(DEFAULT_POOL_LIMITS);
  });

  it('keeps every change as a row', () => {
    const repo = new SettingsRepository(ledger.db);
    repo.set('poolLimits', spec, DEFAULT_POOL_LIMITS);
    repo.set('poolLimits', spec, { ...DEFAULT_POOL_LIMITS, haiku: { rpm: 1, itpm: 1, otpm: 1 } });
    expect(ledger.db.prepare('SELECT count(*) FROM settings_changes').pluck().get()).toBe(2);
  });

  it('falls back to the default when a stored value no longer validates', () => {
    ledger.db.prepare(`INSERT INTO settings VALUES ('poolLimits', '{"opus":1}', 'x')`).run();
    expect(new SettingsRepository(ledger.db).get('poolLimits', spec)).toEqual(DEFAULT_POOL_LIMITS);
  });
});
