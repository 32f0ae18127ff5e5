import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError } from '../../shared/result.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** A row of `schema_migrations`: one applied migration. */
export interface AppliedMigration {
  version: number;
  name: string;
  hash: string;
  appliedAt: string;
}

/** What a check found: the migrations this database still needs, in order. */
export interface MigrationPlan {
  applied: AppliedMigration[];
  pending: Migration[];
}

const TABLE = 'schema_migrations';

/**
 * The sha256 of a migration's SQL. Line endings are normalised first so a checkout
 * that turned LF into CRLF does not make every existing database look tampered with.
 */
export function migrationHash(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/**
 * Checks, with reads only, that `db` can be brought up to date by `migrations`, and
 * says which are pending. Throws `AppError('database_error')` for a database that was
 * migrated by a newer build, whose applied migrations have gaps or were changed, or
 * that is some other program's SQLite file. Nothing is written, so a refused database
 * is left exactly as it was.
 */
export function checkMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): MigrationPlan {
  assertWellFormed(migrations);
  const where = describe(db);
  const applied = readApplied(db, where);
  const newestKnown = migrations.at(-1)?.version ?? 0;
  const newestApplied = applied.at(-1)?.version ?? 0;

  if (newestApplied > newestKnown) {
    throw new AppError(
      'database_error',
      `${where} was migrated by a newer version of Control Room (schema ${newestApplied}, ` +
        `this build knows ${newestKnown}); upgrade Control Room to open it. The file was not changed.`,
    );
  }
  applied.forEach((row, i) => {
    if (row.version !== i + 1) {
      throw new AppError(
        'database_error',
        `${where} has a gap in its applied migrations (expected ${i + 1}, found ${row.version}); ` +
          `it was not written by a released Control Room. Restore it from a backup or ` +
          `point Control Room at a new data directory. The file was not changed.`,
      );
    }
    const bundled = migrations[i];
    // Unreachable after the "newer" check; it narrows the type under noUncheckedIndexedAccess.
    if (!bundled) throw new AppError('internal', `migration ${row.version} is not bundled`);
    if (row.hash !== migrationHash(bundled.sql)) {
      throw new AppError(
        'database_error',
        `${where} applied migration ${row.version} (${row.name}) with different SQL than ` +
          `this build of Control Room ships (${bundled.name}); the database and this build ` +
          `disagree about its schema. Open it with the build that created it, or restore ` +
          `it from a backup. The file was not changed.`,
      );
    }
  });
  return { applied, pending: migrations.slice(applied.length) };
}

/**
 * Brings `db` up to date: checks it (see {@link checkMigrations}), then applies each
 * pending migration in its own transaction together with its `schema_migrations` row,
 * so a crash leaves the database at a whole migration. Idempotent: an up-to-date
 * database is not written to. Returns the versions it applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const { pending } = checkMigrations(db, migrations);
  const done: number[] = [];
  for (const migration of pending) {
    const apply = db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        version    INTEGER NOT NULL PRIMARY KEY,
        name       TEXT    NOT NULL,
        hash       TEXT    NOT NULL,
        applied_at TEXT    NOT NULL
      ) STRICT`);
      // Another process may have migrated between our check and this write lock.
      const already = db.prepare(`SELECT hash FROM ${TABLE} WHERE version = ?`).get(migration.version) as
        { hash: string } | undefined;
      if (already) return false;
      db.exec(migration.sql);
      db.prepare(`INSERT INTO ${TABLE} (version, name, hash, applied_at) VALUES (?, ?, ?, ?)`).run(
        migration.version,
        migration.name,
        migrationHash(migration.sql),
        new Date().toISOString(),
      );
      return true;
    });
    try {
      // IMMEDIATE takes the write lock up front, so two processes cannot both apply it.
      if (apply.immediate()) done.push(migration.version);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(
        'database_error',
        `could not apply migration ${migration.version} (${migration.name}) to ${describe(db)}: ` +
          `${errorMessage(error)}. Nothing of that migration was kept.`,
      );
    }
  }
  // A racing process may have applied something we then skipped: re-check the result.
  if (done.length !== pending.length) checkMigrations(db, migrations);
  return done;
}

function readApplied(db: Database.Database, where: string): AppliedMigration[] {
  const objects = db
    .prepare(`SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
    .pluck()
    .all() as string[];
  if (!objects.includes(TABLE)) {
    if (objects.length === 0) return [];
    // Migrating someone else's database would mix our tables into their data.
    throw new AppError(
      'database_error',
      `${where} is a SQLite database but not a Control Room ledger (it has no ${TABLE} ` +
        `table); choose another file or data directory. The file was not changed.`,
    );
  }
  const rows = db.prepare(`SELECT version, name, hash, applied_at FROM ${TABLE} ORDER BY version`).all() as {
    version: number;
    name: string;
    hash: string;
    applied_at: string;
  }[];
  return rows.map((r) => ({ version: r.version, name: r.name, hash: r.hash, appliedAt: r.applied_at }));
}

/** A bundled list out of order is a programming error: fail loudly, before any write. */
function assertWellFormed(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new AppError(
        'internal',
        `bundled migrations must be numbered 1, 2, 3...; entry ${i} is version ${m.version} (${m.name})`,
      );
    }
  });
}

function describe(db: Database.Database): string {
  return db.memory ? 'the in-memory database' : `the database "${db.name}"`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
