// The API key on the desktop: encrypted with the OS keychain through safeStorage, and
// only the ciphertext written (userData/secrets.json). Where the keychain cannot protect
// it, the key is kept in memory until the app quits, and Settings tells the person so
// (its API-key section shows such a key as "kept until quit").
import path from 'node:path';
import { safeStorage } from 'electron';
import { EncryptedFileSecretStore, MemorySecretStore, type SecretStore } from '../src/main/settings/index.js';

export const SECRETS_FILE = 'secrets.json';

/**
 * Whether safeStorage really protects a secret here. On Linux without a keyring it
 * reports itself available but uses the `basic_text` backend, a hard-coded key: that is
 * obfuscation, not encryption, so it counts as unavailable.
 */
export function keychainProtects(available: boolean, platform: NodeJS.Platform, linuxBackend: string | undefined): boolean {
  if (!available) return false;
  if (platform !== 'linux') return true;
  return linuxBackend !== undefined && linuxBackend !== 'basic_text' && linuxBackend !== 'unknown';
}

/** The secret store for the desktop app. Call after `ready` (safeStorage needs it). */
export function createDesktopSecretStore(dataDir: string): SecretStore {
  const protects = keychainProtects(
    safeStorage.isEncryptionAvailable(),
    process.platform,
    process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : undefined,
  );
  if (!protects) {
    console.warn('[control-room] the OS keychain is unavailable: an API key set in Settings is kept in memory until quit');
    return new MemorySecretStore();
  }
  // The synchronous calls are deprecated in favour of the async ones, but the settings
  // service reads the key synchronously when it builds the provider.
  return new EncryptedFileSecretStore(path.join(dataDir, SECRETS_FILE), {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (sealed) => safeStorage.decryptString(sealed),
  });
}
