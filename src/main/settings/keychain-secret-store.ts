import type { SecretName, SecretStore } from './secret-store.js';

/** One keychain item, as @napi-rs/keyring's `Entry` offers it (synchronous: `SecretStore` is). */
export interface KeychainEntry {
  getPassword(): string | null;
  setPassword(password: string): void;
  deletePassword(): boolean;
}

/** The keychain's service name: what the person sees in Keychain Access, Seahorse or Credential Manager. */
export const KEYCHAIN_SERVICE = 'Control Room';

/**
 * The item's account name: the secret and the data directory it belongs to, so two data
 * directories (a second profile, the tests' temporary ones) never share or overwrite a key.
 */
export function keychainAccount(name: SecretName, dataDir: string): string {
  return `${name} (${dataDir})`;
}

/**
 * Secrets in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret
 * Service on Linux): encrypted at rest by the OS and unlocked with the person's login.
 * Values are read once and cached, since every Settings view asks for the key. A keychain
 * that stops answering (locked, its daemon gone) reads as "no key"; a write it refuses
 * throws, so Settings says the key was not saved rather than "Saved".
 */
export class KeychainSecretStore implements SecretStore {
  readonly persistent = true;
  readonly where = 'keychain';
  readonly #entry: (name: SecretName) => KeychainEntry;
  readonly #cache = new Map<SecretName, string | null>();

  constructor(entry: (name: SecretName) => KeychainEntry) {
    this.#entry = entry;
  }

  get(name: SecretName): string | null {
    if (!this.#cache.has(name)) {
      let value: string | null = null;
      try {
        value = this.#entry(name).getPassword();
      } catch {
        value = null;
      }
      this.#cache.set(name, value);
    }
    return this.#cache.get(name) ?? null;
  }

  set(name: SecretName, value: string | null): void {
    const entry = this.#entry(name);
    if (value === null) entry.deletePassword();
    else entry.setPassword(value);
    this.#cache.set(name, value);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}
