import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SecretName, SecretStore } from './secret-store.js';

/** Encrypts and decrypts with a key this process does not hold (Electron's safeStorage). */
export interface SecretCipher {
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

/**
 * Secrets that survive a restart: each value is encrypted by the OS keychain's cipher
 * and only the ciphertext is written, to a file readable by the user alone. A file that
 * cannot be read or decrypted (another machine, a changed keychain) counts as "no
 * secret stored": the person is asked for the key again; nothing crashes.
 */
export class EncryptedFileSecretStore implements SecretStore {
  readonly persistent = true;
  readonly where = 'safe-storage';
  readonly #file: string;
  readonly #cipher: SecretCipher;

  constructor(file: string, cipher: SecretCipher) {
    this.#file = file;
    this.#cipher = cipher;
  }

  get(name: SecretName): string | null {
    const sealed = this.#read()[name];
    if (sealed === undefined) return null;
    try {
      return this.#cipher.decrypt(Buffer.from(sealed, 'base64'));
    } catch {
      return null;
    }
  }

  set(name: SecretName, value: string | null): void {
    const all = this.#read();
    if (value === null) delete all[name];
    else all[name] = this.#cipher.encrypt(value).toString('base64');
    const temp = `${this.#file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.#file);
  }

  toJSON(): Record<string, never> {
    return {};
  }

  #read(): Partial<Record<SecretName, string>> {
    if (!existsSync(this.#file)) return {};
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.#file, 'utf8'));
      return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<Record<SecretName, string>>) : {};
    } catch {
      return {};
    }
  }
}
