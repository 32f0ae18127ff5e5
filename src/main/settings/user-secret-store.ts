import { join } from 'node:path';
import type { ApiKeyStorage } from '../../shared/contract/settings.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { KeyFileSecretStore, KEY_FILE } from './key-file-secret-store.js';
import { KEYCHAIN_SERVICE, keychainAccount, KeychainSecretStore, type KeychainEntry } from './keychain-secret-store.js';
import { MemorySecretStore, SECRET_NAMES, type SecretName, type SecretStore } from './secret-store.js';

/**
 * Chooses the secret store instead of trying the keychain first: `keychain`, `key-file` or
 * `memory`. For machines whose keychain should not be used (a shared account) and for test
 * suites, which must not leave items in a developer's real keychain.
 */
export const SECRET_STORE_ENV = 'CR_SECRET_STORE';

const CHOICES = ['keychain', 'key-file', 'memory'] as const satisfies readonly ApiKeyStorage[];
type Choice = (typeof CHOICES)[number];

/** Makes a keychain item; replaced by tests. The default loads @napi-rs/keyring. */
export type KeychainOpener = (service: string, account: string) => Promise<KeychainEntry>;

export interface UserSecretStoreOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  openKeychain?: KeychainOpener;
}

/** The store, and why the keychain was not used when it was not (for one line on stderr). */
export interface UserSecretStore {
  store: SecretStore;
  fallbackReason: string | null;
}

/**
 * The secret store of browser mode and `control-room run`: the OS keychain when one
 * answers, otherwise {@link KeyFileSecretStore} in the data directory. The keychain is
 * probed with a read, which on Linux needs a Secret Service on the session bus (the kernel
 * keyring is not used: it forgets everything at reboot); where none answers, loading or
 * reading throws at once and the key file is used. {@link SECRET_STORE_ENV} overrides.
 */
export async function openUserSecretStore(options: UserSecretStoreOptions): Promise<UserSecretStore> {
  const choice = options.env[SECRET_STORE_ENV];
  if (choice !== undefined && choice !== '' && !(CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`${SECRET_STORE_ENV} must be ${CHOICES.join(', ')} or unset, not ${quote(choice)}`);
  }
  const keyFile = () => new KeyFileSecretStore(join(options.dataDir, KEY_FILE));
  if (choice === 'memory') return { store: new MemorySecretStore(), fallbackReason: null };
  if (choice === 'key-file') return { store: keyFile(), fallbackReason: null };
  const keychain = await probeKeychain(options);
  if (keychain.ok) return { store: keychain.store, fallbackReason: null };
  if ((choice as Choice | undefined) === 'keychain') {
    throw new Error(`${SECRET_STORE_ENV}=keychain, but the OS keychain cannot be used: ${keychain.reason}`);
  }
  return { store: keyFile(), fallbackReason: keychain.reason };
}

async function probeKeychain(
  options: UserSecretStoreOptions,
): Promise<{ ok: true; store: KeychainSecretStore } | { ok: false; reason: string }> {
  const open = options.openKeychain ?? napiKeychain;
  const entries = new Map<SecretName, KeychainEntry>();
  try {
    const probe = await open(KEYCHAIN_SERVICE, keychainAccount('anthropic-api-key', options.dataDir));
    probe.getPassword();
    entries.set('anthropic-api-key', probe);
    for (const name of SECRET_NAMES) {
      if (!entries.has(name)) entries.set(name, await open(KEYCHAIN_SERVICE, keychainAccount(name, options.dataDir)));
    }
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
  // Every secret name's entry is made up front: `SecretStore` is synchronous.
  return {
    ok: true,
    store: new KeychainSecretStore((name) => {
      const entry = entries.get(name);
      if (!entry) throw new Error(`no keychain entry for ${name}`);
      return entry;
    }),
  };
}

/** A keychain item through @napi-rs/keyring, loaded only here: the desktop app never needs it. */
const napiKeychain: KeychainOpener = async (service, account) => {
  const { Entry } = await import('@napi-rs/keyring');
  // On Linux only the Secret Service keeps items across reboots.
  return new Entry(service, account, process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined);
};

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return safeMessage(text.split('\n')[0]!);
}
