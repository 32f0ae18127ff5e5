import type { SecretName, SecretStore } from '../settings/secret-store.js';
import type { SecretSeed } from './protocol.js';

/**
 * The backend worker's secret store. The real one stays with the thread that started
 * the worker (Electron's safeStorage exists on the main thread only), and `SecretStore`
 * is synchronous, so the worker answers from a copy taken at start and hands every
 * change to `persist`, which posts it back to be written through the real store.
 */
export class RelayedSecretStore implements SecretStore {
  readonly persistent: boolean;
  readonly where: SecretStore['where'];
  // A private field, as in the other stores: inspecting or serialising shows nothing.
  readonly #values: Map<SecretName, string>;
  readonly #persist: (name: SecretName, value: string | null) => void;

  constructor(seed: SecretSeed, persist: (name: SecretName, value: string | null) => void) {
    this.persistent = seed.persistent;
    this.where = seed.where;
    this.#values = new Map(Object.entries(seed.values) as [SecretName, string][]);
    this.#persist = persist;
  }

  get(name: SecretName): string | null {
    return this.#values.get(name) ?? null;
  }

  set(name: SecretName, value: string | null): void {
    if (value === null) this.#values.delete(name);
    else this.#values.set(name, value);
    this.#persist(name, value);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}
