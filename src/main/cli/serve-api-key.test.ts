import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SettingsView } from '../../shared/contract/settings.js';
import type { ServerFrame } from '../../shared/wire.js';
import { KEY_FILE, SECRET_STORE_ENV } from '../settings/index.js';
import { fakeApiKey } from '../settings/testing/fake-api-key.js';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

const KEY = fakeApiKey('servekeytest', '0123456789abcdefghij', 'secretpart', 'Mn4x');
const BANNER = /^Control Room \(browser mode\): http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)$/;

let root: string;
let staticDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-serve-key-'));
  staticDir = join(root, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Control Room</title>');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Serving {
  invoke(channel: string, request: unknown): Promise<{ ok: boolean; data?: unknown; error?: { message: string } }>;
  /** Every frame the socket received (answers and event batches), as text. */
  received(): string;
  stderr(): string;
  stop(): Promise<number>;
}

/** `control-room serve` in this process, as a person starts it, and a WebSocket to it as the page opens one. */
async function serve(dataDir: string, env: NodeJS.ProcessEnv): Promise<Serving> {
  let out = '';
  let err = '';
  let wake: () => void = () => undefined;
  const controller = new AbortController();
  const io: CliIo = {
    stdout: { write: (text: string) => ((out += text), wake(), true) },
    stderr: { write: (text: string) => ((err += text), true) },
    env,
    signal: controller.signal,
    findElectron: () => undefined,
    staticDir,
    backendWorker: new URL(inject('backendWorkerUrl')),
  };
  const exit = runCli(['serve', '--port', '0', '--data-dir', dataDir], io);
  while (!out.includes('\n')) await new Promise<void>((resolve) => (wake = resolve));
  const [, port = '', token = ''] = BANNER.exec(out.split('\n')[0]!) ?? [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}` });
  const frames: string[] = [];
  const waiting = new Map<number, (frame: ServerFrame) => void>();
  ws.on('message', (data) => {
    const text = String(data);
    frames.push(text);
    const frame = JSON.parse(text) as ServerFrame;
    if (frame.kind === 'result') waiting.get(frame.id)?.(frame);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  return {
    invoke: (channel, request) =>
      new Promise((resolve) => {
        const mine = ++id;
        waiting.set(mine, (frame) => resolve((frame as Extract<ServerFrame, { kind: 'result' }>).result as never));
        ws.send(JSON.stringify({ kind: 'invoke', id: mine, channel, request }));
      }),
    received: () => frames.join('\n'),
    stderr: () => err,
    async stop() {
      ws.close();
      controller.abort();
      return exit;
    },
  };
}

describe('serve: the API key saved in Settings', () => {
  it('survives a restart of browser mode, kept in a private key file; the ledger, the log and the page never hold it', async () => {
    const dataDir = join(root, 'data');
    // The key file, whatever this machine's keychain (a test must not write to a developer's real one).
    const env = { [SECRET_STORE_ENV]: 'key-file' };

    const first = await serve(dataDir, env);
    expect(first.stderr()).toContain(`API keys saved in Settings: ${KEY_FILE} in the data directory, readable only by you`);
    const saved = await first.invoke('settings:set-api-key', { apiKey: KEY });
    expect(saved.ok, saved.error?.message).toBe(true);
    expect((saved.data as SettingsView).apiKey).toEqual({
      set: true,
      masked: 'sk-ant-…Mn4x',
      source: 'settings',
      volatile: false,
      storage: 'key-file',
    });
    // With a kept key the API may be chosen, and that choice stands at the next start.
    expect((await first.invoke('settings:set-provider', { provider: 'anthropic' })).ok).toBe(true);
    // The settings:changed events reached the page, with the mask only.
    await expect.poll(() => first.received()).toContain('"settings:changed"');
    expect(await first.stop()).toBe(0);

    const file = join(dataDir, KEY_FILE);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = await serve(dataDir, env);
    const view = await second.invoke('settings:get', {});
    expect((view.data as SettingsView).apiKey).toMatchObject({ set: true, masked: 'sk-ant-…Mn4x', storage: 'key-file' });
    expect((view.data as SettingsView).provider).toBe('anthropic');
    const info = await second.invoke('app:get-info', {});
    expect(info.data).toMatchObject({ provider: { id: 'anthropic', label: 'Anthropic API' } });
    // Removed, it is gone from the disk, and the engine is back on the simulation.
    const removed = await second.invoke('settings:set-api-key', { apiKey: null });
    expect(removed.data).toMatchObject({ provider: 'simulated', apiKey: { set: false, masked: null } });
    const pageText = first.received() + second.received();
    const logText = first.stderr() + second.stderr();
    expect(await second.stop()).toBe(0);

    const parts = [KEY, KEY.slice(12, 40), 'secretpart'];
    for (const part of parts) {
      expect(pageText).not.toContain(part);
      expect(logText).not.toContain(part);
    }
    // Every file of the data directory, the ledger's database, WAL and key file included.
    for (const entry of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const bytes = readFileSync(join(entry.parentPath, entry.name));
      for (const part of parts) expect(bytes.includes(Buffer.from(part)), `${entry.name} holds the key`).toBe(false);
    }
  });

  it('refuses a text that is not shaped like a key, without echoing it, and keeps the saved one', async () => {
    const dataDir = join(root, 'shape');
    const env = { [SECRET_STORE_ENV]: 'key-file' };
    const serving = await serve(dataDir, env);
    await serving.invoke('settings:set-api-key', { apiKey: KEY });
    const refused = await serving.invoke('settings:set-api-key', { apiKey: 'hello-my-secret' });
    expect(refused.ok).toBe(false);
    expect(refused.error?.message).toMatch(/request\.apiKey: must be an Anthropic API key, which starts with "sk-ant-"/);
    expect(refused.error?.message).not.toContain('my-secret');
    const view = await serving.invoke('settings:get', {});
    expect((view.data as SettingsView).apiKey).toMatchObject({ set: true, masked: 'sk-ant-…Mn4x' });
    expect(await serving.stop()).toBe(0);
  });
});
