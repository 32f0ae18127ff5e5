// Opening the backend is the one start-up step that can fail for reasons the user must
// act on (a database from a newer version, a file that is not SQLite, a full disk). We
// say so and quit; the database is never deleted, moved or replaced.
import { app, dialog } from 'electron';
import type { BackendHandle } from '../src/main/app/backend.js';
import { openWorkerBackend } from '../src/main/host/worker-backend.js';
import { createDesktopSecretStore } from './secrets.js';

export const STARTUP_ERROR_TITLE = 'Control Room cannot start';

/** The text of the start-up error box: the cause, where the data is, and that it is intact. */
export function startupErrorMessage(error: unknown, dataDir: string): string {
  const cause = error instanceof Error ? error.message : String(error);
  return [
    `The database could not be opened:\n${cause}`,
    `Data folder: ${dataDir}`,
    'Nothing was changed or deleted. If this database was written by a newer version of ' +
      'Control Room, install that version; otherwise move the file aside yourself and ' +
      'start again to begin with an empty database.',
  ].join('\n\n');
}

/**
 * Opens the backend for the desktop app in its worker thread (the main thread only
 * relays), or shows why it cannot and exits with status 1 (there is no window or
 * backend to close yet, so `exit` skips nothing). Call after `ready`: the error box
 * needs it on some platforms, and the secret store needs safeStorage, which only this
 * thread has; the worker gets the key from it and writes changes back through it.
 */
export async function openBackendOrExit(
  dataDir: string,
  nativeBinding: string | undefined,
): Promise<BackendHandle | null> {
  try {
    return await openWorkerBackend({
      dataDir,
      runtime: 'electron',
      nativeBinding,
      secrets: createDesktopSecretStore(dataDir),
    });
  } catch (error) {
    console.error('[control-room] could not open the backend:', error);
    dialog.showErrorBox(STARTUP_ERROR_TITLE, startupErrorMessage(error, dataDir));
    app.exit(1);
    return null;
  }
}
