import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import { checkMigrations, migrate, migrationHash } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

let dir: string;
let file: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'control-room-migrate-'));
  file = join(dir, 'test.db');
  db = new Database(file);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const m1: Migration = {
  version: 1,
  name: '0001-projects',
  sql: 'CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT;',
};
const m2: Migration = {
  version: 2,
  name: '0002-runs',
  sql: `CREATE TABLE runs (id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects (id)) STRICT;
        CREATE INDEX runs_by_project ON runs (project_id);`,
};
const m3: Migration = {
  version: 3,
  name: '0003-project-notes',
  sql: `ALTER TABLE projects ADD COLUMN notes TEXT NOT NULL DEFAULT '';`,
};

const appliedRows = () =>
  db.prepare('SELECT version, name, hash, applied_at FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    hash: string;
    applied_at: string;
  }[];
const tables = () =>
  db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();

/** Expects `run` to throw `code` matching `message` without changing the file. */
function expectRefused(run: () => unknown, code: string, message: RegExp): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const before = readFileSync(file);
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
  expect((caught as AppError).message).toMatch(message);
  expect(readFileSync(file).equals(before)).toBe(true);
}

describe('migrate', () => {
  it('applies migrations in order and records name, sha256 and time', () => {
    expect(migrate(db, [m1, m2])).toEqual([1, 2]);
    expect(tables()).toEqual(['projects', 'runs', 'schema_migrations']);
    const rows = appliedRows();
    expect(rows.map((r) => [r.version, r.name])).toEqual([
      [1, '0001-projects'],
      [2, '0002-runs'],
    ]);
    expect(rows[0]?.hash).toBe(createHash('sha256').update(m1.sql).digest('hex'));
    expect(rows[1]?.hash).toBe(migrationHash(m2.sql));
    for (const row of rows) expect(new Date(row.applied_at).toISOString()).toBe(row.applied_at);
  });

  it('is idempotent: a second run applies and writes nothing', () => {
    migrate(db, [m1, m2]);
    const rows = appliedRows();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(file);
    const changes = db.prepare('SELECT total_changes()').pluck().get();

    expect(migrate(db, [m1, m2])).toEqual([]);
    expect(appliedRows()).toEqual(rows);
    expect(db.prepare('SELECT total_changes()').pluck().get()).toBe(changes);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('applies only the pending migrations of an older database', () => {
    migrate(db, [m1]);
    db.prepare(`INSERT INTO projects (id, name) VALUES ('p', 'kept')`).run();
    expect(checkMigrations(db, [m1, m2, m3]).pending.map((m) => m.version)).toEqual([2, 3]);
    expect(migrate(db, [m1, m2, m3])).toEqual([2, 3]);
    expect(db.prepare('SELECT name, notes FROM projects').get()).toEqual({ name: 'kept', notes: '' });
  });

  it('rolls a failing migration back whole and keeps the earlier ones', () => {
    migrate(db, [m1]);
    const broken: Migration = {
      version: 2,
      name: '0002-broken',
      sql: 'CREATE TABLE half_done (id TEXT) STRICT; INSERT INTO no_such_table VALUES (1);',
    };
    expect(() => migrate(db, [m1, broken])).toThrow(/could not apply migration 2 \(0002-broken\)/);
    expect(tables()).toEqual(['projects', 'schema_migrations']);
    expect(appliedRows().map((r) => r.version)).toEqual([1]);
    // Fixed in the next build, it applies.
    expect(migrate(db, [m1, m2])).toEqual([2]);
  });

  it('refuses a database whose applied migration changed, without writing', () => {
    migrate(db, [m1, m2]);
    const edited = { ...m1, sql: `${m1.sql}\n-- edited after release` };
    expectRefused(
      () => migrate(db, [edited, m2, m3]),
      'database_error',
      /migration 1 \(0001-projects\) with different SQL/,
    );
    expect(db.prepare(`SELECT name FROM pragma_table_info('projects')`).pluck().all()).not.toContain('notes');
  });

  it('refuses a database migrated by a newer build, without writing', () => {
    migrate(db, [m1, m2, m3]);
    expectRefused(
      () => migrate(db, [m1, m2]),
      'database_error',
      /was migrated by a newer version of Control Room \(schema 3, this build knows 2\); upgrade Control Room/,
    );
  });

  it('refuses a database with gaps in its applied migrations', () => {
    migrate(db, [m1, m2, m3]);
    db.prepare('DELETE FROM schema_migrations WHERE version = 2').run();
    expectRefused(() => migrate(db, [m1, m2, m3]), 'database_error', /gap .*expected 2, found 3/);
  });

  it("refuses another program's SQLite database", () => {
    db.exec('CREATE TABLE contacts (name TEXT)');
    expectRefused(() => migrate(db, [m1]), 'database_error', /not a Control Room ledger/);
    expect(tables()).toEqual(['contacts']);
  });

  it('rejects a bundled list that is not numbered 1, 2, 3...', () => {
    expect(() => migrate(db, [m1, m3])).toThrow(/numbered 1, 2, 3/);
    expect(tables()).toEqual([]);
  });

  it('hashes CRLF and LF checkouts of a migration alike', () => {
    expect(migrationHash('a;\r\nb;\r\n')).toBe(migrationHash('a;\nb;\n'));
  });

  it('applies the bundled migrations: STRICT tables with foreign keys that hold', () => {
    db.pragma('foreign_keys = ON');
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    const strict = db
      .prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite%'`)
      .all() as { name: string; strict: number }[];
    expect(strict.length).toBeGreaterThanOrEqual(4);
    for (const table of strict) expect(table, table.name).toEqual({ name: table.name, strict: 1 });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
