import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import { openLedger } from './database.js';
import { migrationHash } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'control-room-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sidecars = (file: string) => ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(file + suffix));

/** Runs `open`, expects a database_error naming the file, and that the file was untouched. */
function expectRefusedUntouched(file: string, open: () => unknown, message: RegExp): AppError {
  const before = readFileSync(file);
  expect(sidecars(file)).toEqual([]);
  let caught: unknown;
  try {
    open();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe('database_error');
  expect(error.message).toContain(file);
  expect(error.message).toMatch(message);
  expect(readFileSync(file).equals(before)).toBe(true);
  expect(sidecars(file)).toEqual([]);
  return error;
}

/** Makes a current ledger at `file`, lets `tamper` change it, and closes it cleanly. */
function makeLedger(file: string, tamper: (db: Database.Database) => void = () => {}): void {
  openLedger(file).close();
  const db = new Database(file);
  tamper(db);
  db.close();
}

describe('openLedger', () => {
  it('creates a new ledger, and its folder, with WAL, foreign keys and the schema', () => {
    const file = join(dir, 'nested', 'deeper', 'ledger.db');
    const ledger = openLedger(file);
    try {
      expect(ledger.path).toBe(file);
      const { db } = ledger;
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000);
      const tables = db
        .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
        .pluck()
        .all();
      // Later migrations add more tables; these are the foundation's.
      expect(tables).toEqual(
        expect.arrayContaining(['design_agents', 'design_teams', 'schema_migrations', 'team_designs']),
      );
      const versions = db.prepare('SELECT version FROM schema_migrations').pluck().all();
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      ledger.close();
    }
    expect(readFileSync(file).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  it('opens an existing ledger again without applying anything', () => {
    const file = join(dir, 'ledger.db');
    makeLedger(file);
    const first = new Database(file, { readonly: true });
    const rowsBefore = first.prepare('SELECT * FROM schema_migrations').all();
    first.close();

    const ledger = openLedger(file);
    expect(ledger.db.prepare('SELECT * FROM schema_migrations').all()).toEqual(rowsBefore);
    ledger.close();
    ledger.close(); // closing twice is harmless
  });

  it('treats an empty file as a new database', () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    const ledger = openLedger(file);
    expect(ledger.db.prepare('SELECT count(*) FROM team_designs').pluck().get()).toBe(0);
    ledger.close();
  });

  it('supports :memory:', () => {
    const ledger = openLedger(':memory:');
    expect(ledger.path).toBe(':memory:');
    expect(ledger.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(ledger.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    ledger.close();
  });

  it('passes nativeBinding through to better-sqlite3', () => {
    const require = createRequire(import.meta.url);
    const binding = join(
      dirname(require.resolve('better-sqlite3/package.json')),
      'build',
      'Release',
      'better_sqlite3.node',
    );
    const ledger = openLedger(join(dir, 'a.db'), { nativeBinding: binding });
    expect(ledger.db.pragma('journal_mode', { simple: true })).toBe('wal');
    ledger.close();

    const missing = join(dir, 'no-such-binding.node');
    expect(() => openLedger(join(dir, 'b.db'), { nativeBinding: missing })).toThrow(AppError);
  });

  it('refuses a text file and leaves it untouched', () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(20));
    expectRefusedUntouched(file, () => openLedger(file), /is not a SQLite database/);
  });

  it('refuses a file shorter than the SQLite header', () => {
    const file = join(dir, 'short.db');
    writeFileSync(file, 'SQLite');
    expectRefusedUntouched(file, () => openLedger(file), /is not a SQLite database/);
  });

  it('refuses a folder', () => {
    const folder = join(dir, 'folder.db');
    mkdirSync(folder);
    expect(() => openLedger(folder)).toThrow(/not a file/);
  });

  it('refuses a SQLite file of another program and leaves it untouched', () => {
    const file = join(dir, 'other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    expectRefusedUntouched(file, () => openLedger(file), /not a Control Room ledger/);
  });

  const newest = MIGRATIONS.length;
  const fromTheFuture = (db: Database.Database) => {
    db.prepare(
      `INSERT INTO schema_migrations (version, name, hash, applied_at) VALUES (?, 'future', 'x', '2099-01-01T00:00:00.000Z')`,
    ).run(newest + 1);
  };

  it('refuses a ledger migrated by a newer build and leaves it untouched (WAL file)', () => {
    const file = join(dir, 'newer.db');
    makeLedger(file, fromTheFuture);
    const error = expectRefusedUntouched(file, () => openLedger(file), /newer version of Control Room/);
    expect(error.message).toContain(`schema ${newest + 1}, this build knows ${newest}`);
    expect(error.message).toMatch(/upgrade Control Room/);
  });

  it('refuses a newer ledger in rollback-journal mode without converting it to WAL', () => {
    const file = join(dir, 'newer-rollback.db');
    makeLedger(file, (db) => {
      fromTheFuture(db);
      db.pragma('journal_mode = DELETE');
    });
    expectRefusedUntouched(file, () => openLedger(file), /newer version of Control Room/);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  it('refuses a ledger whose applied migration differs from the bundled one', () => {
    const file = join(dir, 'changed.db');
    makeLedger(file, (db) => {
      db.prepare('UPDATE schema_migrations SET hash = ? WHERE version = 1').run(
        migrationHash('-- some other schema'),
      );
    });
    expectRefusedUntouched(file, () => openLedger(file), /different SQL/);
  });
});
