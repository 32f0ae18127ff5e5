import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/shared/result.js';
import { openBackendOrExit, startupErrorMessage } from './startup.js';

const electron = vi.hoisted(() => ({ app: { exit: vi.fn() }, dialog: { showErrorBox: vi.fn() } }));
vi.mock('electron', () => electron);
vi.mock('./secrets.js', () => ({ createDesktopSecretStore: vi.fn() }));
// The real worker would load better-sqlite3; these tests need only its answer.
const openWorkerBackend = vi.hoisted(() => vi.fn());
vi.mock('../src/main/host/worker-backend.js', () => ({ openWorkerBackend }));

describe('startupErrorMessage', () => {
  it('names the cause and the data folder, and says nothing was touched', () => {
    const error = new AppError(
      'database_error',
      'the database "/d/control-room.db" was migrated by a newer version',
    );
    const message = startupErrorMessage(error, '/d');
    expect(message).toContain('migrated by a newer version');
    expect(message).toContain('Data folder: /d');
    expect(message).toMatch(/Nothing was changed or deleted/);
  });

  it('copes with a thrown non-Error', () => {
    expect(startupErrorMessage('disk full', '/d')).toContain('disk full');
  });
});

describe('openBackendOrExit', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  it('answers the worker backend once it has opened', async () => {
    const backend = { info: {} };
    openWorkerBackend.mockResolvedValueOnce(backend);
    expect(await openBackendOrExit('/d', '/n/better_sqlite3.node')).toBe(backend);
    expect(openWorkerBackend).toHaveBeenCalledWith(
      expect.objectContaining({
        dataDir: '/d',
        runtime: 'electron',
        nativeBinding: '/n/better_sqlite3.node',
      }),
    );
    expect(electron.app.exit).not.toHaveBeenCalled();
  });

  it('shows the ledger\u2019s refusal and exits when the worker cannot open the database', async () => {
    openWorkerBackend.mockRejectedValueOnce(
      new AppError('database_error', 'migrated by a newer version of Control Room'),
    );
    expect(await openBackendOrExit('/d', undefined)).toBeNull();
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith(
      'Control Room cannot start',
      expect.stringContaining('migrated by a newer version of Control Room'),
    );
    expect(electron.app.exit).toHaveBeenCalledWith(1);
  });
});
