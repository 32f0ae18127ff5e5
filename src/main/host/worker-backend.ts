// The backend in a worker thread, seen from the thread that started it: the same
// `BackendHandle` the in-process backend is, so the transports cannot tell them apart.
//
// Why a worker: a busy mission's SQLite commits and JSON work took 30–40 ms (P99) off
// the event loop that runs them, which is Electron's main thread or browser mode's
// HTTP + WebSocket thread. Why worker_threads rather than Electron's utilityProcess:
// it runs the same way in Electron's main process and in plain Node, so one
// implementation serves the desktop app, browser mode and the tests (which have no
// Electron binary), and the port between the threads is cheaper than a process pipe.
import { Worker } from 'node:worker_threads';
import { AppError, ERROR_CODES, fail, type ErrorCode, type Result } from '../../shared/result.js';
import type { EventSink } from '../api/event-hub.js';
import type { BackendHandle, BackendOptions } from '../app/backend.js';
import { SECRET_NAMES, type SecretStore } from '../settings/secret-store.js';
import type { ParentMessage, SecretSeed, WireError, WorkerInit, WorkerMessage } from './protocol.js';

/**
 * The worker's bundle, beside the bundle this module is built into (`dist/main/` for the
 * CLI, `dist/electron/` for the desktop app). CommonJS on purpose: Electron's asar
 * support in worker threads is that of `require`.
 */
export const DEFAULT_WORKER_URL: URL = new URL('./backend-worker.cjs', import.meta.url);

/** How long `shutdown` waits beyond its own bound for the worker to close the database and stop. */
const EXIT_GRACE_MS = 2_000;

export interface WorkerBackendOptions extends BackendOptions {
  /** The built worker script; defaults to {@link DEFAULT_WORKER_URL}. Tests and benches pass their own. */
  workerUrl?: URL | string;
}

/** The worker could not start at all (its script is missing or crashed on load): not a database problem. */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

/**
 * Opens the backend in a worker thread. Resolves once the ledger is open and the engine
 * wired; rejects with the ledger's own error (same message and code) when it cannot
 * open, or with a {@link WorkerStartError} when the worker itself fails to start.
 *
 * `secrets` stays on this thread: the worker gets a copy of its values and sends every
 * change back to be stored here. Should the worker die, every invoke waiting on it, and
 * every later one, answers `internal`; the death is reported through `logError`.
 */
export function openWorkerBackend(options: WorkerBackendOptions): Promise<BackendHandle> {
  const { workerUrl = DEFAULT_WORKER_URL, logError = defaultLogError, secrets, ...rest } = options;
  const init: WorkerInit = {
    // A copy: process.env itself is not a plain object.
    options: rest.env ? { ...rest, env: { ...rest.env } } : rest,
    secrets: secrets ? seedOf(secrets) : null,
  };
  const worker = new Worker(workerUrl, { workerData: init });

  const pending = new Map<number, (result: Result<unknown>) => void>();
  const sinks = new Set<EventSink>();
  let nextId = 1;
  let state: 'opening' | 'open' | 'closing' | 'gone' = 'opening';
  let goneReason = 'the engine has shut down';
  let goneCode: ErrorCode = 'unavailable';
  let crash: unknown;
  let onExit: () => void = () => undefined;
  const exited = new Promise<void>((resolve) => (onExit = resolve));

  const failPending = (): void => {
    for (const resolve of pending.values()) resolve(fail(goneCode, goneReason));
    pending.clear();
  };

  return new Promise<BackendHandle>((resolveOpen, rejectOpen) => {
    // Complete once the worker says which AppInfo it opened with.
    const handle: Omit<BackendHandle, 'info'> = {
      events: {
        subscribe(sink) {
          sinks.add(sink);
          return () => {
            sinks.delete(sink);
          };
        },
      },
      invoke(channel, request) {
        if (state !== 'open') return Promise.resolve(fail(goneCode, goneReason));
        const id = nextId++;
        return new Promise((resolve) => {
          pending.set(id, resolve);
          try {
            worker.postMessage({ type: 'invoke', id, channel, request } satisfies ParentMessage);
          } catch (error) {
            // Only data crosses to the engine; a request holding a function never would validate.
            pending.delete(id);
            resolve(
              fail(
                'invalid_request',
                `${String(channel)}: the request cannot be sent to the engine (${messageOf(error)})`,
              ),
            );
          }
        });
      },
      close() {
        if (state !== 'open') return;
        state = 'closing';
        worker.postMessage({ type: 'close' } satisfies ParentMessage);
      },
      async shutdown(timeoutMs = 5_000) {
        if (state === 'open') {
          state = 'closing';
          worker.postMessage({ type: 'shutdown', timeoutMs } satisfies ParentMessage);
        }
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs + EXIT_GRACE_MS);
        });
        const tooLate = await Promise.race([exited.then(() => false), late]);
        clearTimeout(timer);
        if (tooLate) {
          logError(
            'backend shutdown',
            new Error(`the engine did not stop within ${timeoutMs + EXIT_GRACE_MS} ms; stopping it`),
          );
          await worker.terminate();
        }
      },
    };

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          state = 'open';
          resolveOpen({ info: message.info, ...handle });
          return;
        case 'open-failed':
          rejectOpen(errorFrom(message.error));
          void worker.terminate();
          return;
        case 'result':
          pending.get(message.id)?.(message.result);
          pending.delete(message.id);
          return;
        case 'events':
          for (const sink of sinks) {
            try {
              sink(message.batch);
            } catch (error) {
              // One broken transport (a closed socket) must not starve the others.
              logError('event sink', error);
            }
          }
          return;
        case 'secret':
          try {
            secrets?.set(message.name, message.value);
          } catch (error) {
            // The store's own errors (a full disk, a keychain refusing) never carry the value.
            logError(`saving the secret ${message.name}`, error);
          }
          return;
        case 'log':
          logError(message.what, message.error);
          return;
        case 'closed':
          // The database is closed; whatever the worker still holds (sockets, timers) goes with it.
          void worker.terminate();
          return;
      }
    });
    worker.on('messageerror', (error) => logError('backend worker message', error));
    worker.on('error', (error) => {
      crash = error;
      logError('backend worker', error);
    });
    worker.on('exit', (code) => {
      const was = state;
      state = 'gone';
      if (was === 'opening') {
        rejectOpen(
          new WorkerStartError(
            `the engine could not start: ${crash ? messageOf(crash) : `its worker exited with code ${code}`}`,
          ),
        );
      } else if (was === 'open') {
        // Not asked to stop: a crash. Waiting callers get an answer instead of hanging.
        goneCode = 'internal';
        goneReason = `the engine stopped unexpectedly (${crash ? messageOf(crash) : `exit code ${code}`}); restart Control Room`;
        if (!crash) logError('backend worker', new Error(`exited unexpectedly with code ${code}`));
      }
      failPending();
      onExit();
    });
  });
}

/** The parent store's values, read once for the worker's copy. */
function seedOf(store: SecretStore): SecretSeed {
  const values: SecretSeed['values'] = {};
  for (const name of SECRET_NAMES) {
    const value = store.get(name);
    if (value !== null) values[name] = value;
  }
  return { persistent: store.persistent, where: store.where, values };
}

/** The worker's error rebuilt with the same message and code, so callers report it as before. */
function errorFrom(wire: WireError): Error {
  const code = wire.code;
  if (code && (ERROR_CODES as readonly string[]).includes(code))
    return new AppError(code as ErrorCode, wire.message);
  return Object.assign(new Error(wire.message), code ? { code } : {});
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultLogError(what: string, error: unknown): void {
  console.error(`[control-room] ${what} failed:`, error);
}
