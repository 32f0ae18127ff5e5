import type Database from 'better-sqlite3';

/**
 * Group commit: the writes of one event-loop turn share one transaction.
 *
 * With 1,000 agents the engine committed about 500 small transactions a second (a model
 * call's row with its reply, then its tool results), and every commit writes each page it
 * touched to the WAL: the calls roll-ups, the transcript and log indexes, the agents
 * table. Writers that join the group (MissionStore.tx, CallsRepository) open one
 * `BEGIN IMMEDIATE` on their first write of a turn and the group commits in `setImmediate`,
 * at the end of that turn's I/O callbacks. bench:engine: P50 overhead 1.06 -> 0.72 ms and
 * P99 2.0 -> 1.4 ms at 1,000 agents, CPU per call -17 %.
 *
 * Durability is unchanged in kind: a write is committed before the event loop waits for
 * anything again, so a crash loses at most what the current turn wrote, just as a crash
 * a moment earlier would. Each joining writer still runs in its own savepoint, so a write
 * that throws is rolled back alone, as its own transaction was before. A failed COMMIT
 * (full disk) can only be reported: the group is rolled back and `onError` is told.
 *
 * Writes can also wait for the end of the turn (`deferWrite`): a model call's row with its
 * roll-ups, the transcript and log rows and the agent's row were two thirds of the
 * engine's own time per call, spent between a reply arriving and the agent's next
 * request. Queued, they run after the turn's agents have sent their next requests, in the
 * same transaction, so what commits and when is unchanged. Readers never see the
 * difference: a statement on a table with queued rows runs the queue first (see
 * {@link enableWriteGroup}). bench:engine at 1,000 agents, same machine, within the hour:
 * P50 overhead 0.61-0.62 -> 0.30-0.36 ms, P99 1.29-1.55 -> 0.63-0.72 ms.
 */
interface Queued {
  seq: number;
  write: () => void;
}

export class WriteGroup {
  private pending = false;
  /** Appends waiting for the end of the turn (or the next statement that needs them). */
  private queued: Queued[] = [];
  /** Queued writes already run in this group's transaction, for a savepoint rollback to undo. */
  private written: Queued[] = [];
  private nextSeq = 0;
  /** Told once this group's transaction has ended (see {@link defer}). */
  private afterCommit: (() => void)[] = [];
  private flushing = false;
  // Prepared once: `db.exec` compiles its SQL on every call.
  private readonly begin: Database.Statement;
  private readonly commitStmt: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly onError: (error: unknown) => void,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Opens this turn's transaction if none is open; writes after this join it. */
  join(): void {
    // Inside someone's own transaction (or this turn's group): theirs commits it.
    if (this.pending || !this.db.open || this.db.inTransaction) return;
    this.begin.run();
    this.pending = true;
    setImmediate(() => this.commit());
  }

  /**
   * Queues a write of one statement (a `calls`, transcript, log or agent row) to run in
   * this turn's transaction just before it commits, or earlier when a statement that
   * reads or writes those tables runs first (see {@link enableWriteGroup}): the engine's
   * turn hands its rows over and goes on, and SQLite's work happens once the turn's agents
   * have sent their next requests. `then` runs when the transaction has ended. A write
   * that throws is undone alone and reported to `onError`; the writes queued with it
   * still land.
   */
  defer(write: () => void, then?: () => void): void {
    this.join();
    // Inside a transaction that is not the group's: write in it, as a direct write would.
    if (!this.pending) return writeNow(write, then);
    this.queued.push({ seq: this.nextSeq++, write });
    if (then) this.afterCommit.push(then);
  }

  /**
   * Runs the queued writes now, in order. Each is one statement (an insert or update, with
   * the triggers it fires), which SQLite undoes by itself when it fails: no savepoint needed.
   */
  flush(): void {
    if (this.flushing || this.queued.length === 0) return;
    this.flushing = true;
    try {
      // A write may queue another (nothing does today); the loop takes those too.
      for (let i = 0; i < this.queued.length; i++) {
        const item = this.queued[i] as Queued;
        try {
          item.write();
          this.written.push(item);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.queued = [];
      this.flushing = false;
    }
  }

  /** Where the queue stands when a savepoint opens (see {@link rolledBack}). */
  mark(): { written: number; seq: number } {
    return { written: this.written.length, seq: this.nextSeq };
  }

  /**
   * A savepoint opened at `mark` rolled back. Writes queued inside it are dropped, as its
   * direct writes were; writes queued before it that it flushed were undone with it, so
   * they are queued again.
   */
  rolledBack(mark: { written: number; seq: number }): void {
    const undone = this.written.splice(mark.written).filter((q) => q.seq < mark.seq);
    this.queued = [...undone, ...this.queued.filter((q) => q.seq < mark.seq)];
  }

  /** Commits the open group now (closing the ledger does, so nothing written is lost). */
  commit(): void {
    if (this.db.open) this.flush();
    const after = this.afterCommit;
    this.afterCommit = [];
    this.written = [];
    this.queued = [];
    try {
      if (!this.pending) return;
      this.pending = false;
      if (!this.db.open || !this.db.inTransaction) return;
      try {
        this.commitStmt.run();
      } catch (error) {
        this.onError(error);
        try {
          if (this.db.inTransaction) this.rollback.run();
        } catch {
          // The connection is gone; nothing is left to roll back.
        }
      }
    } finally {
      for (const then of after) {
        try {
          then();
        } catch (error) {
          this.onError(error);
        }
      }
    }
  }
}

/** Tables whose rows may wait in a group's queue: statements naming them flush it first. */
const DEFERRED_TABLES = /\b(calls|calls_in_flight|call_[a-z_]+|transcript_entries|mission_log|mission_agents)\b/i;
const FLUSHING_METHODS = ['run', 'get', 'all', 'iterate'] as const;

const groups = new WeakMap<Database.Database, WriteGroup>();
const unflushedPrepare = new WeakMap<Database.Database, (sql: string) => Database.Statement>();

/**
 * Turns group commit on for `db` (see {@link WriteGroup}); returns the group.
 *
 * From here on, a statement prepared on `db` whose SQL names a table with queued writes
 * (`calls`, its roll-ups, `calls_in_flight`, `transcript_entries`, `mission_log`, `mission_agents`) runs the
 * queue before it executes, so every reader (the dashboards, transcripts, exports, tests)
 * and every other writer sees the rows in the order they were written, exactly as if they
 * had not waited.
 */
export function enableWriteGroup(db: Database.Database, onError: (error: unknown) => void): WriteGroup {
  const group = new WriteGroup(db, onError);
  groups.set(db, group);
  const prepare = db.prepare.bind(db);
  unflushedPrepare.set(db, prepare);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    if (!DEFERRED_TABLES.test(sql)) return statement;
    const target = statement as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of FLUSHING_METHODS) {
      const run = target[method] as (...args: unknown[]) => unknown;
      target[method] = (...args: unknown[]) => {
        group.flush();
        return run.apply(statement, args);
      };
    }
    return statement;
  }) as typeof db.prepare;
  return group;
}

/** Called by a writer before it writes: joins this turn's group when `db` has one. */
export function joinWriteGroup(db: Database.Database): void {
  groups.get(db)?.join();
}

/**
 * Runs `write`, one statement, at the end of this turn's group (see
 * {@link WriteGroup.defer}), or at once when `db` has no group, then `then`. Without a group an error from `write` is thrown
 * to the caller (after `then` ran), as a direct write's would be.
 */
export function deferWrite(db: Database.Database, write: () => void, then?: () => void): void {
  const group = groups.get(db);
  if (group) group.defer(write, then);
  else writeNow(write, then);
}

/** A write that cannot wait: run it, then `then` even if it threw. */
function writeNow(write: () => void, then: (() => void) | undefined): void {
  try {
    write();
  } finally {
    then?.();
  }
}

/**
 * Prepares a statement that does not run the group's queue first. Only for readers that
 * account for queued rows themselves: budget admission reads spend on every call, and a
 * call whose row is queued still holds its budget reservation until the row is written.
 */
export function prepareUnflushed(db: Database.Database, sql: string): Database.Statement {
  return (unflushedPrepare.get(db) ?? db.prepare.bind(db))(sql);
}

type Trampoline = Database.Transaction<(fn: () => unknown) => unknown>;
const trampolines = new WeakMap<Database.Database, Trampoline>();

/**
 * Runs `fn` in a transaction on `db`, or in a savepoint when one is already open, with
 * better-sqlite3's own begin/commit/rollback handling. `db.transaction(fn)` builds four
 * wrapper functions and their properties on every call; the engine opens a few of these
 * per model call, so one trampoline per connection is built once and reused.
 */
export function atomically<T>(db: Database.Database, fn: () => T, mode: 'deferred' | 'immediate' = 'deferred'): T {
  let run = trampolines.get(db);
  if (!run) {
    run = db.transaction((body: () => unknown) => body());
    trampolines.set(db, run);
  }
  const group = groups.get(db);
  if (!group) return (mode === 'immediate' ? run.immediate(fn) : run(fn)) as T;
  // Writes queued or flushed inside `fn` share its fate: see WriteGroup.rolledBack.
  const mark = group.mark();
  try {
    return (mode === 'immediate' ? run.immediate(fn) : run(fn)) as T;
  } catch (error) {
    group.rolledBack(mark);
    throw error;
  }
}
