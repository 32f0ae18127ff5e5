import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedFileSecretStore, type SecretCipher } from './encrypted-secret-store.js';

// Stands in for safeStorage: a reversible transform whose output never contains the input.
const cipher: SecretCipher = {
  encrypt: (plain) => Buffer.from([...Buffer.from(plain, 'utf8')].map((b) => b ^ 0x5a)),
  decrypt: (sealed) => Buffer.from([...sealed].map((b) => b ^ 0x5a)).toString('utf8'),
};
const KEY = 'sk-ant-FAKE-secret-value-1234';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('EncryptedFileSecretStore', () => {
  it('keeps a key across instances, writing only ciphertext, readable by the user alone', () => {
    const file = join(dir, 'secrets.json');
    new EncryptedFileSecretStore(file, cipher).set('anthropic-api-key', KEY);
    expect(new EncryptedFileSecretStore(file, cipher).get('anthropic-api-key')).toBe(KEY);
    expect(readFileSync(file, 'utf8')).not.toContain(KEY);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('removes a key', () => {
    const store = new EncryptedFileSecretStore(join(dir, 'secrets.json'), cipher);
    store.set('anthropic-api-key', KEY);
    store.set('anthropic-api-key', null);
    expect(store.get('anthropic-api-key')).toBeNull();
  });

  it('treats an unreadable or undecryptable file as no key', () => {
    const file = join(dir, 'secrets.json');
    writeFileSync(file, 'not json');
    expect(new EncryptedFileSecretStore(file, cipher).get('anthropic-api-key')).toBeNull();
    const failing: SecretCipher = { ...cipher, decrypt: () => { throw new Error('keychain changed'); } };
    new EncryptedFileSecretStore(file, cipher).set('anthropic-api-key', KEY);
    expect(new EncryptedFileSecretStore(file, failing).get('anthropic-api-key')).toBeNull();
  });

  it('never shows the key when inspected or serialised', () => {
    const store = new EncryptedFileSecretStore(join(dir, 'secrets.json'), cipher);
    store.set('anthropic-api-key', KEY);
    expect(inspect(store, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(store)).not.toContain(KEY);
  });
});
