import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Moves WAL checkpoints off the thread that writes the ledger.
 *
 * SQLite checkpoints inside whichever commit pushes the WAL past 1,000 pages: that commit
 * copies the pages into the database and syncs it, a stall of several milliseconds on
 * the engine's thread every few dozen model calls. bench:engine measured it: with 1,000
 * agents it was most of the P99 orchestration overhead (22 ms with, 6.5 ms without).
 *
 * Here the writer's automatic checkpoints are off, and a worker thread with its own
 * connection runs a PASSIVE checkpoint every `intervalMs`. PASSIVE never waits for
 * the writer or readers; the writer restarts the WAL from its start once a checkpoint
 * has copied all of it. If the worker cannot start or dies, the writer's automatic
 * checkpoints are switched back on: the fallback is SQLite's own behaviour.
 */
export interface BackgroundCheckpointer {
  /** Resolves with the outcome of the worker's next checkpoint (for tests and benches). */
  next(): Promise<CheckpointReport>;
  /** Asks for a checkpoint now, without waiting for the interval; resolves with its outcome. */
  now(): Promise<CheckpointReport>;
  /** Stops the worker; it closes its connection (the last one to close removes the WAL). */
  stop(): void;
}

export type CheckpointReport = { ok: true; busy: number; log: number; checkpointed: number } | { ok: false; error: string };

export interface CheckpointerOptions {
  /** The better-sqlite3 `.node` binary for this ABI (Electron's), as the writer uses. */
  nativeBinding?: string | undefined;
  intervalMs?: number;
  /** Told when the worker fails and the writer checkpoints for itself again. */
  onFallback?: (reason: string) => void;
  /** The better-sqlite3 entry the worker loads; tests pass a broken one. */
  modulePath?: string;
}

const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

// CommonJS evaluated in the worker: no file to find next to whichever bundle runs this.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.path, {
  fileMustExist: true,
  ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}),
});
db.pragma('busy_timeout = 1000');
const run = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message || error) });
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'run') return run();
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

/** better-sqlite3's entry as this bundle resolves it, for the worker to load the same one. */
function betterSqlitePath(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/** Starts background checkpoints for the WAL database `db` at `path` (see above). */
export function startBackgroundCheckpoints(
  db: Database.Database,
  path: string,
  options: CheckpointerOptions = {},
): BackgroundCheckpointer {
  const waiting: ((report: CheckpointReport) => void)[] = [];
  let stopped = false;
  let fellBack = false;
  const fallBack = (reason: string): void => {
    if (fellBack || stopped) return;
    fellBack = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    for (const resolve of waiting.splice(0)) resolve({ ok: false, error: reason });
    options.onFallback?.(reason);
  };

  db.pragma('wal_autocheckpoint = 0');
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        nativeBinding: options.nativeBinding,
        intervalMs: options.intervalMs ?? 200,
        modulePath: options.modulePath ?? betterSqlitePath(),
      },
    });
  } catch (error) {
    fallBack(`the checkpoint worker could not start: ${String(error)}`);
    const none = (): Promise<CheckpointReport> => Promise.resolve({ ok: false, error: 'no checkpoint worker' });
    return { next: none, now: none, stop: () => undefined };
  }
  // Never keeps the process alive: a quitting app does not wait for a checkpoint.
  worker.unref();
  worker.on('message', (message: CheckpointReport | 'ready') => {
    if (message === 'ready') return;
    for (const resolve of waiting.splice(0)) resolve(message);
  });
  worker.on('error', (error) => fallBack(`the checkpoint worker failed: ${error.message}`));
  worker.on('exit', (code) => {
    if (!stopped) fallBack(`the checkpoint worker exited (code ${code})`);
  });

  const next = (): Promise<CheckpointReport> =>
    fellBack || stopped
      ? Promise.resolve({ ok: false, error: 'checkpoints are not running in the background' })
      : new Promise((resolve) => waiting.push(resolve));
  return {
    next,
    now() {
      const report = next();
      if (!fellBack && !stopped) worker.postMessage('run');
      return report;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
    },
  };
}
