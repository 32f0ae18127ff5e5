import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGED_BINDING, resolveNativeBinding } from './native-binding.js';

const resourcesPath = path.resolve('/opt/Control Room/resources');
const shipped = path.join(resourcesPath, PACKAGED_BINDING);

describe('resolveNativeBinding', () => {
  it('uses CR_SQLITE_BINDING in development, resolved to an absolute path', () => {
    const binding = resolveNativeBinding({
      env: { CR_SQLITE_BINDING: '.native/better_sqlite3.node' },
      isPackaged: false,
      resourcesPath,
      exists: () => false,
    });
    expect(binding).toBe(path.resolve('.native/better_sqlite3.node'));
  });

  it('falls back to the default lookup in development without the variable', () => {
    for (const env of [{}, { CR_SQLITE_BINDING: '' }, { CR_SQLITE_BINDING: '   ' }]) {
      expect(
        resolveNativeBinding({ env, isPackaged: false, resourcesPath, exists: () => true }),
      ).toBeUndefined();
    }
  });

  it('uses the binary shipped in resources when packaged', () => {
    const seen: string[] = [];
    const binding = resolveNativeBinding({
      env: {},
      isPackaged: true,
      resourcesPath,
      exists: (p) => (seen.push(p), true),
    });
    expect(binding).toBe(shipped);
    expect(seen).toEqual([shipped]);
  });

  it('falls back to the default lookup when the packaged binary is missing', () => {
    expect(
      resolveNativeBinding({ env: {}, isPackaged: true, resourcesPath, exists: () => false }),
    ).toBeUndefined();
  });

  it('never lets the environment choose native code in a packaged app', () => {
    const env = { CR_SQLITE_BINDING: '/tmp/evil.node' };
    expect(resolveNativeBinding({ env, isPackaged: true, resourcesPath, exists: () => true })).toBe(shipped);
    expect(
      resolveNativeBinding({ env, isPackaged: true, resourcesPath, exists: () => false }),
    ).toBeUndefined();
  });
});
