import type { ApiKeyStorage } from '../../shared/contract/settings.js';

/**
 * Where main keeps secrets (the Anthropic API key, the GitHub token). The key never leaves main: no
 * command answers it, no event carries it, and it is never written to the ledger, so
 * the only code that sees it is the store and the provider that sends it.
 *
 * Implementations:
 * - {@link MemorySecretStore}: this process's memory only, lost when the engine stops
 *   (tests, and the desktop app where the keychain cannot protect a key).
 * - `EncryptedFileSecretStore`: the desktop app's, encrypted with Electron's `safeStorage`,
 *   the ciphertext in the data directory.
 * - `KeychainSecretStore` / `KeyFileSecretStore`: browser mode's and the CLI's, chosen by
 *   `openUserSecretStore` (the OS keychain where one answers, else a key file only the
 *   user can read).
 *
 * A store must not log, serialise or expose values beyond `get`.
 */
export interface SecretStore {
  /** True when values survive a restart of the engine. */
  readonly persistent: boolean;
  /** Where values are kept, as Settings tells the person. */
  readonly where: ApiKeyStorage;
  /** The value, or null when none is stored. */
  get(name: SecretName): string | null;
  /** Stores a value, or removes it with null; throws when the value could not be kept. */
  set(name: SecretName, value: string | null): void;
}

/**
 * The secrets Control Room keeps; a closed list so a typo cannot create a second key.
 * `github-token`: the token pull requests are opened with (`src/main/publish/`).
 */
export const SECRET_NAMES = ['anthropic-api-key', 'github-token'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Holds secrets in a private field for the process lifetime; see {@link SecretStore}. */
export class MemorySecretStore implements SecretStore {
  readonly persistent = false;
  readonly where = 'memory';
  // A private field: inspecting or JSON-serialising the store shows nothing.
  readonly #values = new Map<SecretName, string>();

  get(name: SecretName): string | null {
    return this.#values.get(name) ?? null;
  }

  set(name: SecretName, value: string | null): void {
    if (value === null) this.#values.delete(name);
    else this.#values.set(name, value);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}
