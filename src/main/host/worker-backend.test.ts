import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { EventEnvelope } from '../../shared/contract.js';
import type { SettingsView } from '../../shared/contract/settings.js';
import { openBackend, type BackendHandle } from '../app/backend.js';
import { openLedger } from '../ledger/database.js';
import { MIGRATIONS } from '../ledger/migrations/index.js';
import { DATABASE_FILE } from '../app/paths.js';
import { MemorySecretStore } from '../settings/secret-store.js';
import { openWorkerBackend, WorkerStartError, type WorkerBackendOptions } from './worker-backend.js';
import { fakeApiKey } from '../settings/testing/fake-api-key.js';

const workerUrl = new URL(inject('backendWorkerUrl'));
const KEY = fakeApiKey('workertestkey', '0123456789', 'secretpart', 'Qq1w');
const design = { name: 'Alpha', description: '', teams: [], canvas: { zoom: 1, offset: { x: 0, y: 0 } } };

let root: string;
let dataDir: string;
const open: BackendHandle[] = [];

function start(options: Partial<WorkerBackendOptions> = {}): Promise<BackendHandle> {
  return openWorkerBackend({
    dataDir,
    runtime: 'browser',
    flushIntervalMs: 5,
    env: {},
    workerUrl,
    ...options,
  }).then((backend) => {
    open.push(backend);
    return backend;
  });
}

async function data<T>(backend: BackendHandle, channel: string, request: unknown = {}): Promise<T> {
  const result = await backend.invoke(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.data as T;
}

/** Resolves with the first batch holding an event named `name`. */
function nextEvent(backend: BackendHandle, name: string): Promise<EventEnvelope> {
  return new Promise((resolve) => {
    const stop = backend.events.subscribe((batch) => {
      const found = batch.find((e) => e.name === name);
      if (!found) return;
      stop();
      resolve(found);
    });
  });
}

/** A stand-in worker that opens, then dies the way `script` says on the first invoke. */
function dyingWorker(script: string): URL {
  const file = join(root, `dying-${open.length}-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => { if (m.type === 'invoke') { ${script} } });
parentPort.postMessage({ type: 'ready', info: { name: 'stand-in' } });
`,
  );
  return pathToFileURL(file);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-worker-backend-'));
  dataDir = join(root, 'data');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.shutdown(1_000)));
  rmSync(root, { recursive: true, force: true });
});

describe('the worker backend', () => {
  it('answers commands through the worker and pushes their events to this thread', async () => {
    const backend = await start();
    expect(backend.info).toMatchObject({ runtime: 'browser', dataDir, provider: { id: 'simulated' } });
    const changed = nextEvent(backend, 'teams:changed');
    const saved = await data<{ id: string }>(backend, 'teams:save', { design });
    const listed = await data<{ id: string; name: string }[]>(backend, 'teams:list');
    expect(listed.map((d) => [d.id, d.name])).toEqual([[saved.id, 'Alpha']]);
    expect((await changed).payload).toMatchObject({ id: saved.id, change: 'saved' });
  });

  it('hands the worker the --redis flag; a Redis that does not answer does not stop it opening', async () => {
    const backend = await start({ fleetRedisUrl: 'redis://:FAKE-pw@127.0.0.1:1' });
    const settings = await data<SettingsView>(backend, 'settings:get');
    expect(settings.fleet).toEqual({
      redisUrl: null,
      activeRedisUrl: 'redis://:***@127.0.0.1:1',
      activeSource: 'flag',
    });
    expect(await data(backend, 'fleet:get-status')).toMatchObject({ enabled: true, connected: false });
  });

  it('still answers invalid requests and unknown commands as the contract says', async () => {
    const backend = await start();
    const invalid = await backend.invoke('teams:save', { design: { name: 42 } });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await backend.invoke('teams:fly', {})).toMatchObject({
      ok: false,
      error: { code: 'unknown_command' },
    });
    const unsendable = await backend.invoke('teams:list', { callback: () => undefined });
    expect(unsendable).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('rejects with the ledger\u2019s own message and code when the database is from a newer version', async () => {
    mkdirSync(dataDir);
    const file = join(dataDir, DATABASE_FILE);
    openLedger(file).close();
    const sqlite = openLedger(file);
    sqlite.db
      .prepare(
        `INSERT INTO schema_migrations (version, name, hash, applied_at) VALUES (?, 'future', 'x', '2099-01-01T00:00:00.000Z')`,
      )
      .run(MIGRATIONS.length + 1);
    sqlite.close();
    let inProcess: unknown;
    try {
      openBackend({ dataDir, runtime: 'browser', env: {} }).close();
    } catch (error) {
      inProcess = error;
    }
    expect(inProcess).toBeInstanceOf(Error);
    const failure = await start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe((inProcess as Error).message);
    expect((failure as Error).message).toMatch(/newer version of Control Room/);
    expect((failure as { code?: string }).code).toBe('database_error');
  });

  it('rejects with a start error when the worker script is missing', async () => {
    const failure = await start({
      workerUrl: pathToFileURL(join(root, 'missing.cjs')),
      logError: () => undefined,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkerStartError);
  });

  it.each([
    ['an uncaught error', "setTimeout(() => { throw new Error('boom'); });"],
    ['an exit', 'process.exit(3);'],
  ])('answers pending and later invokes with internal after %s in the worker', async (_, script) => {
    const logged: string[] = [];
    const backend = await start({
      workerUrl: dyingWorker(script),
      logError: (what, error) => logged.push(`${what}: ${String(error)}`),
    });
    const pending = await backend.invoke('teams:list', {});
    expect(pending).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await backend.invoke('teams:list', {})).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(logged.some((line) => line.startsWith('backend worker'))).toBe(true);
    await backend.shutdown(100);
  });

  it('keeps the secret store on this thread: seeded into the worker, changes written back', async () => {
    const secrets = new MemorySecretStore();
    const backend = await start({ secrets });
    expect((await data<SettingsView>(backend, 'settings:get')).apiKey).toMatchObject({ set: false });
    await data(backend, 'settings:set-api-key', { apiKey: KEY });
    expect(secrets.get('anthropic-api-key')).toBe(KEY);
    await backend.shutdown();

    const again = await start({ secrets });
    expect((await data<SettingsView>(again, 'settings:get')).apiKey).toMatchObject({
      set: true,
      source: 'settings',
    });
    await data(again, 'settings:set-api-key', { apiKey: null });
    expect(secrets.get('anthropic-api-key')).toBeNull();
  });

  it('closes the database on shutdown, so the same data directory opens again with its rows', async () => {
    const first = await start();
    const saved = await data<{ id: string }>(first, 'teams:save', { design });
    await first.shutdown();
    // The last connection to close checkpoints and removes the write-ahead log.
    expect(existsSync(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(false);
    expect(await first.invoke('teams:list', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });

    const second = await start();
    const listed = await data<{ id: string }[]>(second, 'teams:list');
    expect(listed.map((d) => d.id)).toEqual([saved.id]);
  });
});
