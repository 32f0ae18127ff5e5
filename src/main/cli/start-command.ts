import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLEET_REDIS_ENV } from '../app/backend.js';
import type { CliIo } from './cli-io.js';
import { findElectron } from './electron-binary.js';
import { defaultCacheDir, ensureElectronSqlite, SQLITE_BINDING_ENV } from './electron-native.js';
import { serveCommand, type ServeOptions } from './serve-command.js';

/** Printed (on stderr, keeping stdout to the serve line) when `start` falls back to browser mode. */
export const ELECTRON_MISSING_LINE =
  'Electron binary not installed (installed with ELECTRON_SKIP_BINARY_DOWNLOAD?); starting browser mode instead.';

/** Electron's main script next to the CLI bundle (`dist/main/cli.js` -> `dist/electron/main.js`). */
export const DEFAULT_ELECTRON_MAIN: URL = new URL('../electron/main.js', import.meta.url);

/** Tells Electron's main which data directory `--data-dir` chose. */
export const DATA_DIR_ENV = 'CR_DATA_DIR';

/**
 * Launches the desktop app and answers its exit code, or runs browser mode with the same
 * options when no Electron binary is installed. Before the first launch for an Electron
 * version, builds better-sqlite3 for Electron's ABI into the cache folder and passes its
 * path in `CR_SQLITE_BINDING`.
 */
export async function startCommand(options: ServeOptions, io: CliIo): Promise<number> {
  const electron = (io.findElectron ?? (() => findElectron({ env: io.env })))();
  if (!electron) {
    io.stderr.write(`${ELECTRON_MISSING_LINE}\n`);
    return serveCommand(options, io, 'start');
  }
  const fail = (message: string): number => {
    io.stderr.write(`control-room start: ${message}\n`);
    return 1;
  };

  const mainScript = toPath(io.electronMain ?? DEFAULT_ELECTRON_MAIN);
  if (!existsSync(mainScript)) {
    return fail(`the desktop app has not been built (no ${mainScript}); run npm run build`);
  }

  let binding: string;
  try {
    binding = await ensureElectronSqlite({
      electronVersion: electron.version,
      cacheDir: defaultCacheDir(process.platform, io.env),
      env: io.env,
      log: (line) => io.stderr.write(`${line}\n`),
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }

  if (options.port !== undefined) io.stderr.write('Note: --port only applies to browser mode; ignored.\n');
  const env: NodeJS.ProcessEnv = { ...io.env, [SQLITE_BINDING_ENV]: binding };
  // Set in the environment, it would make the Electron binary behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  if (options.dataDir !== undefined) env[DATA_DIR_ENV] = resolve(options.dataDir);
  // The desktop app's backend reads it as the flag (see FLEET_REDIS_ENV).
  if (options.redisUrl !== undefined) env[FLEET_REDIS_ENV] = options.redisUrl;
  return runElectron(electron.path, [mainScript], env, io);
}

/** Runs Electron with the terminal's stdio and answers its exit code (128+n for a signal). */
function runElectron(binary: string, args: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(binary, args, { stdio: 'inherit', env });
    const stop = () => child.kill('SIGTERM');
    io.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => {
      io.signal?.removeEventListener('abort', stop);
      io.stderr.write(`control-room start: cannot launch Electron (${binary}): ${error.message}\n`);
      resolvePromise(1);
    });
    child.on('exit', (code, signal) => {
      io.signal?.removeEventListener('abort', stop);
      if (code !== null) resolvePromise(code);
      else resolvePromise(signal ? 128 + (constants.signals[signal] ?? 0) : 1);
    });
  });
}

function toPath(file: string | URL): string {
  return file instanceof URL ? fileURLToPath(file) : file;
}
