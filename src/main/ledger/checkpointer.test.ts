import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackgroundCheckpoints } from './checkpointer.js';
import { openLedger, type Ledger } from './database.js';

let dir: string | undefined;
const open: Ledger[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function ledgerAt(options: Parameters<typeof openLedger>[1] = {}): Ledger {
  dir ??= mkdtempSync(join(tmpdir(), 'cr-checkpoint-'));
  const ledger = openLedger(join(dir, 'ledger.db'), options);
  open.push(ledger);
  return ledger;
}

function write(ledger: Ledger, rows: number): void {
  ledger.db.exec('CREATE TABLE IF NOT EXISTS filler (blob TEXT NOT NULL)');
  const insert = ledger.db.prepare('INSERT INTO filler VALUES (?)');
  // One commit per row, as the engine commits: each appends frames to the WAL.
  for (let i = 0; i < rows; i++) insert.run('x'.repeat(3_000));
}

describe('background WAL checkpoints', () => {
  it('take checkpoints off the writer: its commits never checkpoint, the worker copies the WAL back', async () => {
    const ledger = ledgerAt();
    // A long interval: this test asks for each checkpoint itself.
    const checkpointer = startBackgroundCheckpoints(ledger.db, ledger.path, { intervalMs: 600_000 });
    try {
      expect(ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const dbBefore = statSync(ledger.path).size;
      write(ledger, 1_500);
      // Far past SQLite's 1,000-page threshold, yet the writer did not checkpoint: the rows
      // are all in the WAL and none in the database file.
      const walPath = `${ledger.path}-wal`;
      expect(statSync(walPath).size).toBeGreaterThan(1_000 * 4_096);
      expect(statSync(ledger.path).size).toBe(dbBefore);
      // The worker copies every frame the writer committed.
      const report = await checkpointer.now();
      expect(report).toMatchObject({ ok: true, busy: 0 });
      expect(report.ok && report.checkpointed === report.log && report.log > 1_000).toBe(true);
      expect(statSync(ledger.path).size).toBeGreaterThan(1_500 * 3_000);
      // The writer restarts the WAL from its start instead of growing it further.
      const walBefore = statSync(walPath).size;
      write(ledger, 200);
      expect(statSync(walPath).size).toBe(walBefore);
    } finally {
      checkpointer.stop();
    }
  });

  it('runs on its own in the app\'s ledger', async () => {
    const ledger = ledgerAt({ checkpoints: 'background' });
    expect(ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    write(ledger, 100);
    const report = await ledger.checkpointer!.next();
    expect(report).toMatchObject({ ok: true });
  });

  it('falls back to SQLite\'s own checkpoints when the worker cannot run', async () => {
    const ledger = ledgerAt();
    const reasons: string[] = [];
    const checkpointer = startBackgroundCheckpoints(ledger.db, ledger.path, {
      modulePath: join(dir!, 'missing-better-sqlite3.js'),
      onFallback: (reason) => reasons.push(reason),
    });
    const report = await checkpointer.next();
    expect(report.ok).toBe(false);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/checkpoint worker/);
    expect(ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    checkpointer.stop();
  });

  it('leaves no WAL behind once both connections are closed', async () => {
    const ledger = ledgerAt({ checkpoints: 'background' });
    write(ledger, 50);
    await ledger.checkpointer!.next();
    ledger.close();
    // The worker closes its connection after the writer: the last one out removes the WAL.
    for (let i = 0; i < 200 && existsSync(`${ledger.path}-wal`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(`${ledger.path}-wal`)).toBe(false);
  });
});
