import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/shared/result.js';
import { startupErrorMessage } from './startup.js';

vi.mock('electron', () => ({ app: {}, dialog: {} }));
// The real backend would load better-sqlite3; the message builder needs none of it.
vi.mock('../src/main/backend.js', () => ({ openBackend: vi.fn() }));

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
