import { describe, expect, it, vi } from 'vitest';

// electron/index.js would try to download the binary; the pure helper needs none of it.
vi.mock('electron', () => ({ safeStorage: {} }));
const { keychainProtects } = await import('./secrets.js');

describe('keychainProtects', () => {
  it('trusts the macOS and Windows keychains when available', () => {
    expect(keychainProtects(true, 'darwin', undefined)).toBe(true);
    expect(keychainProtects(true, 'win32', undefined)).toBe(true);
    expect(keychainProtects(false, 'darwin', undefined)).toBe(false);
  });

  it('refuses Linux basic_text, which is a hard-coded key rather than encryption', () => {
    expect(keychainProtects(true, 'linux', 'basic_text')).toBe(false);
    expect(keychainProtects(true, 'linux', 'unknown')).toBe(false);
    expect(keychainProtects(true, 'linux', 'gnome_libsecret')).toBe(true);
    expect(keychainProtects(true, 'linux', 'kwallet6')).toBe(true);
  });
});
