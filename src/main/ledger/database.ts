import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../shared/result.js';
import { startBackgroundCheckpoints, type BackgroundCheckpointer } from './checkpointer.js';
import { checkMigrations, migrate } from './migrate.js';
import { enableWriteGroup } from './write-group.js';

/** An open ledger: the one connection main writes through. */
export interface Ledger {
  db: Database.Database;
  /** The absolute file path, or `:memory:`. */
  path: string;
  /** The background checkpointer, when opened with `checkpoints: 'background'`. */
  checkpointer?: BackgroundCheckpointer | null;
  /** Closes the connection; calling it again does nothing. */
  close(): void;
}

export interface OpenLedgerOptions {
  /**
   * Path to a better-sqlite3 `.node` binary built for the running ABI. Electron passes
   * its own build; plain Node leaves it out and gets the default one.
   */
  nativeBinding?: string | undefined;
  /**
   * `background` moves WAL checkpoints to a worker thread (see checkpointer.ts): the app
   * and benches use it; `auto` (the default) leaves them to SQLite, inside commits.
   */
  checkpoints?: 'auto' | 'background';
  /** Told when background checkpoints fail and SQLite's own take over again. */
  onCheckpointFallback?: (reason: string) => void;
  /**
   * Commit the writes of each event-loop turn together (see write-group.ts). The app and
   * benches turn it on; tests that simulate a crash by closing the connection leave it off.
   */
  groupCommit?: boolean;
  /** Told when a group's COMMIT fails (its writes are rolled back). */
  onGroupCommitError?: (error: unknown) => void;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating it and its folder if missing) the SQLite ledger at `filePath`, or
 * an in-memory one for `:memory:`, and brings its schema up to date.
 *
 * Refuses, without changing a byte or leaving a `-wal`/`-shm` file, a file that is not
 * SQLite, a SQLite file that is not a ledger, and a ledger that a newer build migrated
 * or whose applied migrations differ from the bundled ones. Every failure is an
 * `AppError('database_error')` naming the file.
 */
export function openLedger(filePath: string, options: OpenLedgerOptions = {}): Ledger {
  const memory = filePath === ':memory:';
  const path = memory ? filePath : resolve(filePath);
  if (!memory) prepareFile(path);

  let db: Database.Database;
  try {
    db = new Database(path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  } catch (error) {
    throw new AppError('database_error', `could not open the database "${path}": ${reason(error)}`);
  }

  try {
    // Connection settings only: none of these writes to the file.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // Every refusal happens here, before the first write: switching a rollback-journal
    // file to WAL rewrites its header, which a refused (say, newer) database must not see.
    checkMigrations(db);
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new AppError(
          'database_error',
          `could not switch the database "${path}" to WAL mode (SQLite kept "${String(mode)}"); ` +
            `keep the data directory on a local disk, not a network share`,
        );
      }
    }
    // With WAL, NORMAL keeps every commit across an application crash; only a power
    // loss can drop the last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    if (error instanceof AppError) throw error;
    throw new AppError('database_error', `could not open the database "${path}": ${reason(error)}`);
  }

  const checkpointer =
    options.checkpoints === 'background' && !memory
      ? startBackgroundCheckpoints(db, path, {
          nativeBinding: options.nativeBinding,
          onFallback: options.onCheckpointFallback,
        })
      : null;
  const group = options.groupCommit
    ? enableWriteGroup(db, options.onGroupCommitError ?? ((error) => console.error('[control-room] group commit failed:', error)))
    : null;
  return {
    db,
    path,
    checkpointer,
    close() {
      // What this turn wrote is committed, as it would have been a moment later.
      group?.commit();
      checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}

/**
 * Makes sure better-sqlite3 will only ever see a SQLite file or nothing: opening
 * anything else could create `-wal`/`-shm` files beside it (and a later write would
 * destroy it), so the header is checked first with plain file reads.
 */
function prepareFile(path: string): void {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new AppError(
        'database_error',
        `the database path "${path}" is not a file (a folder?); choose a file path`,
      );
    }
    size = stat.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isErrno(error, 'ENOENT')) {
      createFolder(path);
      return;
    }
    throw new AppError('database_error', `could not read the database "${path}": ${reason(error)}`);
  }
  // SQLite treats an empty file as a new database.
  if (size === 0) return;

  const header = Buffer.alloc(SQLITE_HEADER.length);
  let read = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new AppError('database_error', `could not read the database "${path}": ${reason(error)}`);
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new AppError(
      'database_error',
      `"${path}" is not a SQLite database, so Control Room will not open or change it; ` +
        `move it aside or choose another data directory`,
    );
  }
}

function createFolder(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new AppError(
      'database_error',
      `could not create the folder for the database "${path}": ${reason(error)}`,
    );
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
