import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from './database.js';
import { atomically, deferWrite, joinWriteGroup, prepareUnflushed } from './write-group.js';

let dir: string | undefined;
const open: Ledger[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function ledgers(errors: unknown[] = []): { writer: Ledger; reader: Ledger } {
  dir = mkdtempSync(join(tmpdir(), 'cr-group-'));
  const path = join(dir, 'ledger.db');
  const writer = openLedger(path, { groupCommit: true, onGroupCommitError: (e) => errors.push(e) });
  const reader = openLedger(path);
  open.push(writer, reader);
  writer.db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE note (text TEXT NOT NULL, parent_id INTEGER REFERENCES parent(id))`);
  return { writer, reader };
}

/** A writer as MissionStore.tx is one: joins the turn's group, then writes in a savepoint. */
function write(l: Ledger, text: string, fail = false): void {
  joinWriteGroup(l.db);
  atomically(l.db, () => {
    l.db.prepare('INSERT INTO note (text) VALUES (?)').run(text);
    if (fail) throw new Error('this write fails');
  });
}

const notes = (l: Ledger): string[] => l.db.prepare('SELECT text FROM note ORDER BY rowid').pluck().all() as string[];
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('commits the writes of one event-loop turn together, at the end of the turn', async () => {
    const { writer, reader } = ledgers();
    write(writer, 'a');
    write(writer, 'b');
    // The writer reads its own writes; no other connection sees them yet.
    expect(notes(writer)).toEqual(['a', 'b']);
    expect(notes(reader)).toEqual([]);
    await nextTurn();
    expect(notes(reader)).toEqual(['a', 'b']);
    expect(writer.db.inTransaction).toBe(false);
  });

  it('rolls back a failing write alone, as its own transaction would have been', async () => {
    const { writer, reader } = ledgers();
    write(writer, 'kept');
    expect(() => write(writer, 'lost', true)).toThrow('this write fails');
    write(writer, 'also kept');
    await nextTurn();
    expect(notes(reader)).toEqual(['kept', 'also kept']);
  });

  it('commits what the turn wrote when the ledger closes', () => {
    const { writer, reader } = ledgers();
    write(writer, 'written just before quitting');
    writer.close();
    expect(notes(reader)).toEqual(['written just before quitting']);
  });

  it('reports a COMMIT that fails, rolls the group back, and carries on', async () => {
    const errors: unknown[] = [];
    const { writer, reader } = ledgers(errors);
    write(writer, 'doomed');
    // A deferred foreign-key violation only fails at COMMIT.
    writer.db.pragma('defer_foreign_keys = ON');
    writer.db.prepare('INSERT INTO note (text, parent_id) VALUES (?, ?)').run('orphan', 42);
    await nextTurn();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/FOREIGN KEY/);
    expect(notes(reader)).toEqual([]);
    write(writer, 'next turn');
    await nextTurn();
    expect(notes(reader)).toEqual(['next turn']);
  });
});

describe('atomically', () => {
  it('commits its own transaction, or rolls all of it back when the body throws', () => {
    const { writer, reader } = ledgers();
    atomically(writer.db, () => {
      writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('a');
      writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('b');
    });
    expect(() =>
      atomically(writer.db, () => {
        writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('c');
        throw new Error('half way');
      }),
    ).toThrow('half way');
    expect(writer.db.inTransaction).toBe(false);
    expect(notes(reader)).toEqual(['a', 'b']);
  });

  it('nests as a savepoint: a failing inner body is undone alone and the outer one goes on', () => {
    const { writer, reader } = ledgers();
    const result = atomically(
      writer.db,
      () => {
        writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('outer');
        expect(() =>
          atomically(writer.db, () => {
            writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('inner');
            throw new Error('inner fails');
          }),
        ).toThrow('inner fails');
        return atomically(writer.db, () => writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('kept').changes);
      },
      'immediate',
    );
    expect(result).toBe(1);
    expect(notes(reader)).toEqual(['outer', 'kept']);
  });

  it('refuses a body that returns a promise, writing nothing', () => {
    const { writer, reader } = ledgers();
    expect(() =>
      atomically(writer.db, async () => {
        writer.db.prepare('INSERT INTO note (text) VALUES (?)').run('async');
      }),
    ).toThrow(/promise/);
    expect(notes(reader)).toEqual([]);
  });
});

describe('deferred appends', () => {
  // `call_notes` is named like the calls roll-ups: statements on it wait for the queue.
  function grouped(errors: unknown[] = []) {
    const l = ledgers(errors);
    l.writer.db.exec('CREATE TABLE call_notes (text TEXT NOT NULL)');
    const insert = l.writer.db.prepare('INSERT INTO call_notes (text) VALUES (?)');
    const later = (text: string | null, then?: () => void) => deferWrite(l.writer.db, () => insert.run(text), then);
    const rows = (x: Ledger) => x.db.prepare('SELECT text FROM call_notes ORDER BY rowid').pluck().all() as string[];
    return { ...l, later, rows };
  }

  it('writes at the end of the turn, yet a statement on the table sees the row at once', async () => {
    const { writer, reader, later, rows } = grouped();
    let ran = false;
    deferWrite(writer.db, () => {
      ran = true;
      writer.db.prepare('INSERT INTO call_notes (text) VALUES (?)').run('queued');
    });
    expect(ran).toBe(false);
    expect(rows(writer)).toEqual(['queued']);
    expect(ran).toBe(true);
    later('second');
    expect(rows(reader)).toEqual([]);
    await nextTurn();
    expect(rows(reader)).toEqual(['queued', 'second']);
    expect(writer.db.inTransaction).toBe(false);
  });

  it('keeps the order of writes: a direct insert after a queued one lands after it', async () => {
    const { writer, reader, later, rows } = grouped();
    later('first');
    writer.db.prepare('INSERT INTO call_notes (text) VALUES (?)').run('second');
    later('third');
    await nextTurn();
    expect(rows(reader)).toEqual(['first', 'second', 'third']);
  });

  it('lets a reader that accounts for queued rows itself read without waiting for them', () => {
    const { writer, later, rows } = grouped();
    const count = prepareUnflushed(writer.db, 'SELECT count(*) FROM call_notes').pluck();
    later('queued');
    expect(count.get()).toBe(0);
    expect(rows(writer)).toEqual(['queued']);
    expect(count.get()).toBe(1);
  });

  it('rolls a failing write back alone and reports it; the rest land, and each `then` runs after the commit', async () => {
    const errors: unknown[] = [];
    const { reader, later, rows } = grouped(errors);
    const committed: string[][] = [];
    const then = () => committed.push(rows(reader));
    later('kept', then);
    later(null, then); // NOT NULL
    later('also kept', then);
    expect(committed).toEqual([]);
    await nextTurn();
    expect(String(errors[0])).toMatch(/NOT NULL/);
    expect(rows(reader)).toEqual(['kept', 'also kept']);
    expect(committed).toEqual([
      ['kept', 'also kept'],
      ['kept', 'also kept'],
      ['kept', 'also kept'],
    ]);
  });

  it('puts back what a failed transaction flushed, and drops what it queued itself', async () => {
    const { writer, reader, later, rows } = grouped();
    later('before');
    expect(() =>
      atomically(writer.db, () => {
        later('inside');
        expect(rows(writer)).toEqual(['before', 'inside']);
        throw new Error('the transaction fails');
      }),
    ).toThrow('the transaction fails');
    later('after');
    await nextTurn();
    expect(rows(reader)).toEqual(['before', 'after']);
  });

  it('reports an after-commit callback that throws and still runs the next one', async () => {
    const errors: unknown[] = [];
    const { later } = grouped(errors);
    const ran: string[] = [];
    later('a', () => {
      throw new Error('this callback fails');
    });
    later('b', () => ran.push('b'));
    await nextTurn();
    expect(errors.map(String)).toEqual(['Error: this callback fails']);
    expect(ran).toEqual(['b']);
  });

  it('writes what is still queued when the ledger closes', () => {
    const { writer, reader, later, rows } = grouped();
    const committed: boolean[] = [];
    later('queued at quit', () => committed.push(true));
    writer.close();
    expect(rows(reader)).toEqual(['queued at quit']);
    expect(committed).toEqual([true]);
  });

  it('without a group writes at once, runs `then`, and throws the write error to the caller', () => {
    dir = mkdtempSync(join(tmpdir(), 'cr-group-'));
    const plain = openLedger(join(dir, 'ledger.db'));
    open.push(plain);
    plain.db.exec('CREATE TABLE call_notes (text TEXT NOT NULL)');
    const insert = plain.db.prepare('INSERT INTO call_notes (text) VALUES (?)');
    const then: string[] = [];
    deferWrite(plain.db, () => insert.run('now'), () => then.push('ok'));
    expect(plain.db.prepare('SELECT text FROM call_notes').pluck().all()).toEqual(['now']);
    expect(() => deferWrite(plain.db, () => insert.run(null), () => then.push('failed'))).toThrow(/NOT NULL/);
    expect(then).toEqual(['ok', 'failed']);
  });
});
