import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyShapeProblem } from '../../shared/contract/settings.js';
import { KEY_FILE, KeyFileSecretStore } from './key-file-secret-store.js';
import { KeychainSecretStore, type KeychainEntry } from './keychain-secret-store.js';
import { openUserSecretStore, SECRET_STORE_ENV } from './user-secret-store.js';
import { fakeApiKey } from './testing/fake-api-key.js';

const KEY = fakeApiKey('keyfiletest', '0123456789abcdefghij', 'secretpart', 'Kf7z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-user-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the key file', () => {
  it('keeps a key across instances in a file only the user can read, encrypted, written without leftovers', () => {
    const file = join(dir, KEY_FILE);
    new KeyFileSecretStore(file).set('anthropic-api-key', KEY);
    expect(new KeyFileSecretStore(file).get('anthropic-api-key')).toBe(KEY);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    for (const part of [KEY, 'secretpart', 'sk-ant-', Buffer.from(KEY).toString('base64').slice(0, 20)]) {
      expect(bytes.includes(Buffer.from(part)), part).toBe(false);
    }
    // The temporary file was renamed over the key file, not left beside it.
    expect(readdirSync(dir)).toEqual([KEY_FILE]);
  });

  it('is useless on another machine or for another user: a copied file reads as no key', () => {
    const file = join(dir, KEY_FILE);
    new KeyFileSecretStore(file, { machineSecret: () => 'machine-a' }).set('anthropic-api-key', KEY);
    mkdirSync(join(dir, 'copy'));
    copyFileSync(file, join(dir, 'copy', KEY_FILE));
    expect(new KeyFileSecretStore(join(dir, 'copy', KEY_FILE), { machineSecret: () => 'machine-b' }).get('anthropic-api-key')).toBeNull();
    expect(new KeyFileSecretStore(join(dir, 'copy', KEY_FILE), { machineSecret: () => 'machine-a' }).get('anthropic-api-key')).toBe(KEY);
  });

  it.skipIf(process.platform === 'win32')('makes a file someone opened to others private again before reading it', () => {
    const file = join(dir, KEY_FILE);
    new KeyFileSecretStore(file).set('anthropic-api-key', KEY);
    chmodSync(file, 0o644);
    expect(new KeyFileSecretStore(file).get('anthropic-api-key')).toBe(KEY);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('removes the file with the last key, and treats a damaged file as no key', () => {
    const file = join(dir, KEY_FILE);
    const store = new KeyFileSecretStore(file);
    store.set('anthropic-api-key', KEY);
    store.set('anthropic-api-key', null);
    expect(existsSync(file)).toBe(false);
    expect(store.get('anthropic-api-key')).toBeNull();
    store.set('anthropic-api-key', KEY);
    const text = readFileSync(file, 'utf8');
    // One flipped character of the ciphertext: AES-GCM's tag refuses it.
    const damaged = text.replace(/"data":"(.)/, (_m, c: string) => `"data":"${c === 'A' ? 'B' : 'A'}`);
    writeFileSync(file, damaged);
    expect(new KeyFileSecretStore(file).get('anthropic-api-key')).toBeNull();
    writeFileSync(file, 'not json');
    expect(new KeyFileSecretStore(file).get('anthropic-api-key')).toBeNull();
  });

  it('never shows the key when inspected or serialised', () => {
    const store = new KeyFileSecretStore(join(dir, KEY_FILE));
    store.set('anthropic-api-key', KEY);
    expect(inspect(store, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(store)).not.toContain(KEY);
  });
});

describe('the keychain store', () => {
  function fakeKeychain(fail: { get?: boolean; set?: boolean } = {}) {
    const items = new Map<string, string>();
    let reads = 0;
    const entry: KeychainEntry = {
      getPassword: () => {
        reads += 1;
        if (fail.get) throw new Error('locked');
        return items.get('k') ?? null;
      },
      setPassword: (value) => {
        if (fail.set) throw new Error('Couldn\'t access platform storage: AccessDenied');
        items.set('k', value);
      },
      deletePassword: () => items.delete('k'),
    };
    return { entry, items, reads: () => reads };
  }

  it('reads an item once, writes and deletes through, and says so when the keychain refuses a write', () => {
    const keychain = fakeKeychain();
    const store = new KeychainSecretStore(() => keychain.entry);
    expect(store.get('anthropic-api-key')).toBeNull();
    store.set('anthropic-api-key', KEY);
    expect(keychain.items.get('k')).toBe(KEY);
    expect(store.get('anthropic-api-key')).toBe(KEY);
    expect(keychain.reads()).toBe(1);
    store.set('anthropic-api-key', null);
    expect(keychain.items.size).toBe(0);

    const refusing = new KeychainSecretStore(() => fakeKeychain({ set: true }).entry);
    expect(() => refusing.set('anthropic-api-key', KEY)).toThrow(/AccessDenied/);
    expect(refusing.get('anthropic-api-key')).toBeNull();
  });
});

describe('openUserSecretStore', () => {
  it('uses the keychain when it answers, one item per data directory', async () => {
    const opened: string[] = [];
    const keychain = new Map<string, string>();
    const { store, fallbackReason } = await openUserSecretStore({
      dataDir: dir,
      env: {},
      openKeychain: async (service, account) => {
        opened.push(`${service}/${account}`);
        return {
          getPassword: () => keychain.get(account) ?? null,
          setPassword: (value) => void keychain.set(account, value),
          deletePassword: () => keychain.delete(account),
        };
      },
    });
    expect(store.where).toBe('keychain');
    expect(fallbackReason).toBeNull();
    expect(opened).toEqual([`Control Room/anthropic-api-key (${dir})`, `Control Room/github-token (${dir})`]);
    store.set('anthropic-api-key', KEY);
    expect([...keychain.values()]).toEqual([KEY]);
    // The GitHub token is an item of its own: saving or removing it leaves the API key alone.
    const token = 'ghp_' + 'T'.repeat(36);
    store.set('github-token', token);
    expect(keychain.get(`github-token (${dir})`)).toBe(token);
    store.set('github-token', null);
    expect([...keychain.values()]).toEqual([KEY]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('falls back to the key file, with the reason, when the keychain cannot be loaded or read', async () => {
    const { store, fallbackReason } = await openUserSecretStore({
      dataDir: dir,
      env: {},
      openKeychain: async () => {
        throw new Error('Platform failure: DBus error: no session bus\nsecond line');
      },
    });
    expect(store.where).toBe('key-file');
    expect(fallbackReason).toBe('Platform failure: DBus error: no session bus');
    store.set('anthropic-api-key', KEY);
    expect(readdirSync(dir)).toEqual([KEY_FILE]);
  });

  // The real @napi-rs/keyring on this machine: it loads, and where no Secret Service is on
  // the session bus (CI, containers) it fails at once and cleanly, so the key file is used.
  it.skipIf(process.platform !== 'linux' || Boolean(process.env.DBUS_SESSION_BUS_ADDRESS))(
    'on Linux without a session bus, the real keyring library fails cleanly and the key file is used',
    async () => {
      const started = Date.now();
      const { store, fallbackReason } = await openUserSecretStore({ dataDir: dir, env: {} });
      expect(store.where).toBe('key-file');
      expect(fallbackReason).toMatch(/DBus|dbus|Secret Service|platform/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );

  it('follows CR_SECRET_STORE, and refuses a value it does not know without echoing much of it', async () => {
    expect((await openUserSecretStore({ dataDir: dir, env: { [SECRET_STORE_ENV]: 'memory' } })).store.where).toBe('memory');
    expect((await openUserSecretStore({ dataDir: dir, env: { [SECRET_STORE_ENV]: 'key-file' } })).store.where).toBe('key-file');
    const refused = openUserSecretStore({ dataDir: dir, env: { [SECRET_STORE_ENV]: `vault${'x'.repeat(5_000)}` } });
    await expect(refused).rejects.toThrow(/^CR_SECRET_STORE must be keychain, key-file, memory or unset, not "vaultx+…/);
    await expect(
      openUserSecretStore({
        dataDir: dir,
        env: { [SECRET_STORE_ENV]: 'keychain' },
        openKeychain: async () => {
          throw new Error('no keychain here');
        },
      }),
    ).rejects.toThrow(/CR_SECRET_STORE=keychain, but the OS keychain cannot be used: no keychain here/);
  });
});

describe('the shape of a key', () => {
  it('accepts what an Anthropic key looks like and refuses anything else, without repeating it', () => {
    expect(apiKeyShapeProblem(KEY)).toBeNull();
    expect(apiKeyShapeProblem(`sk-ant-api03-${'a1B2_c3-'.repeat(12)}AA`)).toBeNull();
    const refused = {
      hello: 'hello',
      'another provider': 'sk-proj-0123456789abcdefghij0123456789abcdefghij',
      'cut short': 'sk-ant-api03-Zz9',
      'a character too many': `${KEY}!`,
      'letters from elsewhere': `sk-ant-${'é'.repeat(50)}`,
    };
    for (const [what, bad] of Object.entries(refused)) {
      const problem = apiKeyShapeProblem(bad);
      expect(problem, what).not.toBeNull();
      // Nothing of the text after the public prefix is repeated.
      expect(problem, what).not.toContain(bad.replace(/^sk-(ant-)?/, '').slice(0, 4));
    }
  });
});
