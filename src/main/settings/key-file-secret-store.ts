import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SECRET_NAMES, type SecretName, type SecretStore } from './secret-store.js';

/** The key file's name in the data directory (the desktop app's safeStorage file is `secrets.json`). */
export const KEY_FILE = 'secrets.key-file.json';

const FORMAT = 1;
const CIPHER = 'aes-256-gcm';
const INFO = 'control-room key file v1';

/** One sealed value: AES-256-GCM's nonce, tag and ciphertext, base64. */
interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

interface KeyFileContent {
  format: typeof FORMAT;
  /** Random per file: two data directories never share an encryption key. */
  salt: string;
  values: Partial<Record<SecretName, Sealed>>;
}

/** What the file's encryption key is derived from; see {@link KeyFileSecretStore}. */
export interface KeyFileOptions {
  /** This machine and user; the default reads the machine id and the user's name and id. */
  machineSecret?: () => string;
}

/**
 * Secrets in a file of the data directory that only the user can read (mode 0600), for
 * browser mode and the CLI where no OS keychain answers (a server, a container, a desktop
 * without a Secret Service).
 *
 * The protection is the file's mode. The values are also encrypted (AES-256-GCM, with a key
 * derived from this machine's id and the user's name and id, and a random salt kept in the
 * file), which is not a lock against this user: anything running as them can derive the
 * same key. It does mean the file alone is useless elsewhere: a data directory copied into
 * a bug report, a backup or another machine does not carry a usable key, and a scanner
 * looking for key-shaped strings finds none. A file that cannot be read or decrypted (a
 * copied data directory, a changed machine id) counts as "no key": the person is asked
 * again; nothing crashes.
 *
 * Writes are atomic (a private temporary file, flushed, then renamed over the old one), so
 * a crash mid-write leaves the previous key, never half a file.
 */
export class KeyFileSecretStore implements SecretStore {
  readonly persistent = true;
  readonly where = 'key-file';
  readonly #file: string;
  readonly #machineSecret: () => string;
  // What was read or written last: get() is called on every Settings view.
  #cache: Map<SecretName, string> | null = null;

  constructor(file: string, options: KeyFileOptions = {}) {
    this.#file = file;
    this.#machineSecret = options.machineSecret ?? defaultMachineSecret;
  }

  get(name: SecretName): string | null {
    this.#cache ??= this.#load();
    return this.#cache.get(name) ?? null;
  }

  set(name: SecretName, value: string | null): void {
    const values = new Map(this.#cache ?? this.#load());
    if (value === null) values.delete(name);
    else values.set(name, value);
    if (values.size === 0) rmSync(this.#file, { force: true });
    else this.#write(values);
    this.#cache = values;
  }

  toJSON(): Record<string, never> {
    return {};
  }

  #load(): Map<SecretName, string> {
    const values = new Map<SecretName, string>();
    if (!existsSync(this.#file)) return values;
    tightenMode(this.#file);
    let content: KeyFileContent;
    try {
      content = JSON.parse(readFileSync(this.#file, 'utf8')) as KeyFileContent;
      if (content.format !== FORMAT || typeof content.salt !== 'string') return values;
    } catch {
      return values;
    }
    const key = this.#key(Buffer.from(content.salt, 'base64'));
    for (const name of SECRET_NAMES) {
      const sealed = content.values?.[name];
      if (!sealed) continue;
      const plain = open(sealed, key, name);
      if (plain !== null) values.set(name, plain);
    }
    return values;
  }

  #write(values: Map<SecretName, string>): void {
    const salt = randomBytes(16);
    const key = this.#key(salt);
    const content: KeyFileContent = { format: FORMAT, salt: salt.toString('base64'), values: {} };
    for (const [name, value] of values) content.values[name] = seal(value, key, name);
    writeAtomically(this.#file, `${JSON.stringify(content)}\n`);
  }

  #key(salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#machineSecret(), salt, INFO, 32));
  }
}

function seal(plain: string, key: Buffer, name: SecretName): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHER, key, iv);
  // The secret's name is authenticated: a value cannot be moved to another name.
  cipher.setAAD(Buffer.from(name));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function open(sealed: Sealed, key: Buffer, name: SecretName): string | null {
  try {
    const decipher = createDecipheriv(CIPHER, key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** Writes `text` to `file` with mode 0600 through a temporary file renamed over it. */
function writeAtomically(file: string, text: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': a file planted at the temporary name (with other permissions) is never reused.
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    // The umask cannot widen 0600, but an explicit chmod says so on every platform that has modes.
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** A key file someone made readable by others is made private again before it is used. */
function tightenMode(file: string): void {
  if (process.platform === 'win32') return;
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // Unreadable: #load treats it as no key.
  }
}

/**
 * This machine and user: the machine id where the OS has one (Linux, which is where no
 * keychain answers most often) and the user's name and id. Not the host name: a container's
 * changes at every start, and the key would be lost with it.
 */
function defaultMachineSecret(): string {
  let machineId = '';
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      machineId = readFileSync(file, 'utf8').trim();
      if (machineId) break;
    } catch {
      // Not Linux, or no id: the user still applies.
    }
  }
  let user = '';
  try {
    const info = userInfo();
    user = `${info.username}\0${info.uid}`;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? '';
  }
  return `${machineId}\0${user}`;
}
