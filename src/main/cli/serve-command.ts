import { resolve } from 'node:path';
import type { BackendHandle } from '../app/backend.js';
import { openWorkerBackend, WorkerStartError } from '../host/worker-backend.js';
import { defaultDataDir } from '../app/paths.js';
import { maskRedisUrl } from '../../shared/redis-url.js';
import { KEY_FILE, openUserSecretStore, type UserSecretStore } from '../settings/index.js';
import { startServer, type RunningServer } from '../server/server.js';
import type { CliIo } from './cli-io.js';

export interface ServeOptions {
  /** 0 or absent: any free port. */
  port?: number;
  dataDir?: string;
  /** `--redis URL`: built-in agents' turns go to fleet workers on this Redis (wins over Settings). */
  redisUrl?: string;
}

/** The one line `serve` prints on stdout; fixtures and scripts parse it, so it never changes shape. */
export function serveBanner(url: string): string {
  return `Control Room (browser mode): ${url}`;
}

/**
 * Runs browser mode until `io.signal` aborts: opens the engine on the data directory (in
 * its worker thread), serves the renderer on 127.0.0.1, prints the tokened URL (the only
 * stdout line) and the data directory and provider on stderr. Answers the exit code: 0 after a clean
 * shutdown, 1 when the data directory's database or the port cannot be used.
 */
export async function serveCommand(options: ServeOptions, io: CliIo, name = 'serve'): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`control-room ${name}: ${oneLine(message)}\n`);
    return 1;
  };
  const dataDir = resolve(options.dataDir ?? defaultDataDir(process.platform, io.env));
  const logError = (what: string, error: unknown) => {
    io.stderr.write(
      `[control-room] ${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  };

  // A key saved in Settings outlives the process: in the OS keychain, else a private key
  // file. The store stays on this thread; the worker gets a copy and writes through it.
  let secrets: UserSecretStore;
  try {
    secrets = await openUserSecretStore({ dataDir, env: io.env });
  } catch (error) {
    return fail(errorMessage(error));
  }

  // The engine runs in a worker thread, so a busy mission never delays this thread's
  // HTTP and WebSocket answers.
  let backend: BackendHandle;
  try {
    backend = await openWorkerBackend({
      dataDir,
      runtime: 'browser',
      env: io.env,
      logError,
      secrets: secrets.store,
      ...(options.redisUrl ? { fleetRedisUrl: options.redisUrl } : {}),
      ...(io.backendWorker ? { workerUrl: io.backendWorker } : {}),
    });
  } catch (error) {
    // The ledger's own messages name the file and say what to do; anything else
    // (permissions, a file where the folder should be) is about the folder.
    const message = errorMessage(error);
    if (error instanceof WorkerStartError) return fail(message);
    return fail(isDatabaseError(error) ? message : `cannot use the data directory "${dataDir}": ${message}`);
  }

  let server: RunningServer;
  try {
    server = await startServer({
      backend,
      port: options.port ?? 0,
      staticDir: io.staticDir,
      logError: (message, error) => logError(message, error),
    });
  } catch (error) {
    backend.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      return fail(
        `port ${options.port} is already in use on 127.0.0.1; choose another with --port (0 picks a free one)`,
      );
    }
    if (code === 'EACCES')
      return fail(`not allowed to listen on port ${options.port} on 127.0.0.1; choose a port above 1023`);
    return fail(`cannot start the server: ${errorMessage(error)}`);
  }

  io.stdout.write(`${serveBanner(server.url)}\n`);
  io.stderr.write(
    `Data directory: ${dataDir}\nProvider: ${backend.info.provider.label}\n` +
      `${secretStoreLine(secrets)}\n` +
      // Only the flag is known here; a URL saved in Settings shows on the Costs screen.
      (options.redisUrl ? `Fleet: turns go to workers on ${maskRedisUrl(options.redisUrl)}\n` : '') +
      'Press Ctrl+C to stop.\n',
  );

  await aborted(io.signal);
  try {
    await server.close();
  } finally {
    // Calls in flight are aborted and their billed usage recorded before the ledger closes.
    await backend.shutdown();
  }
  io.stderr.write('Control Room stopped.\n');
  return 0;
}

/** Where a key typed into Settings will be kept, and why not in the keychain when it is not. */
export function secretStoreLine({ store, fallbackReason }: UserSecretStore): string {
  const where = {
    keychain: 'the OS keychain',
    'safe-storage': 'the OS keychain',
    'key-file': `${KEY_FILE} in the data directory, readable only by you`,
    memory: 'memory only, until this process stops',
  }[store.where];
  return `API keys saved in Settings: ${where}${fallbackReason ? ` (no OS keychain: ${fallbackReason})` : ''}`;
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function isDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'database_error' || (typeof code === 'string' && code.startsWith('SQLITE_'));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Error output is one line per failure: scripts and people both read the first line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
