// The backend's own thread: opens the ledger and the engine with the ordinary
// `openBackend`, then relays the contract to the thread that started it (see
// worker-backend.ts). Its SQLite commits, JSON work and timers never run on Electron's
// main thread or on browser mode's HTTP + WebSocket thread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openBackend, type Backend } from '../app/backend.js';
import { toWireError, type WorkerInit, type WorkerMessage } from './protocol.js';
import { RelayedSecretStore } from './relayed-secret-store.js';
import { logToParent, relayBackend } from './relay.js';

function main(port: MessagePort, init: WorkerInit): void {
  const post = (message: WorkerMessage): void => port.postMessage(message);
  const log = (what: string, error: unknown): void => logToParent(port, what, error);
  let backend: Backend;
  try {
    backend = openBackend({
      ...init.options,
      logError: log,
      ...(init.secrets
        ? {
            secrets: new RelayedSecretStore(init.secrets, (name, value) =>
              post({ type: 'secret', name, value }),
            ),
          }
        : {}),
    });
  } catch (error) {
    post({ type: 'open-failed', error: toWireError(error) });
    return;
  }
  relayBackend(port, backend, log);
}

if (!parentPort) throw new Error('backend-worker runs only as a worker thread (see host/worker-backend.ts)');
main(parentPort, workerData as WorkerInit);
