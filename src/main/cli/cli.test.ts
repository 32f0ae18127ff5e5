import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closest, parseCommandArgs, parsePort, UsageError } from './args.js';
import type { CliIo } from './cli-io.js';
import { COMMANDS, runCli } from './run-cli.js';
import { FLEET_REDIS_ENV } from '../app/backend.js';
import { electronSqliteBinding, electronSqliteDir } from './electron-native.js';
import { DATA_DIR_ENV, ELECTRON_MISSING_LINE } from './start-command.js';

const require = createRequire(import.meta.url);

/** The exact stdout line of `serve`; e2e fixtures parse the same shape. */
const BANNER = /^Control Room \(browser mode\): (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))$/;

interface Captured {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line once it has been written. */
  firstLine(): Promise<string>;
  stop(): void;
}

function capture(overrides: Partial<CliIo> = {}): Captured {
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const controller = new AbortController();
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        out += text;
        for (const wake of waiters.splice(0)) wake();
        return true;
      },
    },
    stderr: { write: (text: string) => ((err += text), true) },
    env: {},
    signal: controller.signal,
    findElectron: () => undefined,
    // Built from the sources by the tests' global setup; `serve` runs the engine in it.
    backendWorker: new URL(inject('backendWorkerUrl')),
    ...overrides,
  };
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    firstLine: () =>
      new Promise((resolve) => {
        const check = () => {
          const line = out.split('\n')[0];
          if (out.includes('\n') && line !== undefined) resolve(line);
          else waiters.push(check);
        };
        check();
      }),
    stop: () => controller.abort(),
  };
}

describe('argument parsing', () => {
  const options = {
    port: { type: 'string', description: '' },
    'data-dir': { type: 'string', description: '' },
    help: { type: 'boolean', short: 'h', description: '' },
  } as const;

  it('reads string and boolean options', () => {
    expect(parseCommandArgs(['--port', '8080', '--data-dir=/x', '-h'], options).values).toEqual({
      port: '8080',
      'data-dir': '/x',
      help: true,
    });
  });

  it.each([
    [['--nope'], "unknown option '--nope'"],
    [['-x'], "unknown option '-x'"],
    [['--port'], "option '--port' needs a value"],
    [['--port', '--data-dir', 'x'], "option '--port' needs a value"],
    [['--help=yes'], "option '--help' does not take a value"],
    [['stray'], "unexpected argument 'stray'"],
  ])('refuses %j', (args, message) => {
    expect(() => parseCommandArgs(args, options)).toThrow(new UsageError(message));
  });

  it('validates ports', () => {
    expect(parsePort(undefined)).toBeUndefined();
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65_535);
    for (const bad of ['65536', '-1', 'abc', '80.5', '', ' 80', '0x50', '1e3']) {
      expect(() => parsePort(bad), bad).toThrow(UsageError);
    }
  });

  it('suggests the command a typo was meant to be', () => {
    expect(closest('serv', ['start', 'serve'])).toBe('serve');
    expect(closest('launch', ['start', 'serve'])).toBeUndefined();
  });
});

describe('runCli', () => {
  it('prints help on stdout and exits 0', async () => {
    const run = capture();
    expect(await runCli(['--help'], run.io)).toBe(0);
    expect(run.stdout()).toContain('Usage: control-room <command>');
    for (const command of COMMANDS) expect(run.stdout()).toContain(command.name);

    const serveHelp = capture();
    expect(await runCli(['serve', '--help'], serveHelp.io)).toBe(0);
    expect(serveHelp.stdout()).toContain('Usage: control-room serve [--port N] [--data-dir DIR] [--redis URL]');
    expect(serveHelp.stdout()).toContain('--data-dir DIR');
    expect(serveHelp.stdout()).toContain('--redis URL');

    const helpServe = capture();
    expect(await runCli(['help', 'serve'], helpServe.io)).toBe(0);
    expect(helpServe.stdout()).toBe(serveHelp.stdout());
  });

  it('prints the version', async () => {
    const run = capture();
    expect(await runCli(['--version'], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], 'control-room: missing command'],
    [['frobnicate'], "control-room: unknown command 'frobnicate'"],
    [['serv'], "control-room: unknown command 'serv' (did you mean 'serve'?)"],
    [['--verbose'], "control-room: unknown option '--verbose'"],
    [['serve', '--bogus'], "control-room serve: unknown option '--bogus'"],
    [['serve', '--port', 'abc'], "control-room serve: invalid --port 'abc'"],
    [['serve', '--port', '70000'], "control-room serve: invalid --port '70000'"],
    [['serve', '--port'], "control-room serve: option '--port' needs a value"],
    [['start', 'now'], "control-room start: unexpected argument 'now'"],
    [['serve', '--redis', 'http://127.0.0.1:6379'], "control-room serve: invalid --redis 'http://127.0.0.1:6379'"],
    [['start', '--redis', '127.0.0.1:6379'], "control-room start: invalid --redis '127.0.0.1:6379'"],
    [['serve', '--redis'], "control-room serve: option '--redis' needs a value"],
  ])('%j is a usage error: one line, then usage, exit 2', async (argv, first) => {
    const run = capture();
    expect(await runCli(argv, run.io)).toBe(2);
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines[0]?.startsWith(first)).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Usage: control-room/);
    expect(run.stdout()).toBe('');
  });

  it('escapes a terminal escape sequence and cuts a huge argument in its error', async () => {
    const run = capture();
    expect(await runCli(['serve', '--port', `\u001b[2J${'9'.repeat(100_000)}`], run.io)).toBe(2);
    const first = run.stderr().split('\n')[0] ?? '';
    expect(first).not.toContain('\u001b');
    expect(first).toContain('\\u001b[2J');
    expect(first.length).toBeLessThan(1_100);
  });
});

describe('serve', () => {
  let root: string;
  let staticDir: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cr-cli-'));
    staticDir = join(root, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Control Room</title>');
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints exactly one stdout line with the URL, serves it, and stops cleanly on abort', async () => {
    const dataDir = join(root, 'data');
    const run = capture({ staticDir });
    const exit = runCli(['serve', '--port', '0', '--data-dir', dataDir], run.io);
    const line = await run.firstLine();
    const match = BANNER.exec(line);
    expect(match, line).not.toBeNull();
    const [, url = '', port = '', token = ''] = match ?? [];

    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toBe(`cr_session_${port}=${token}`);
    const page = await fetch(new URL(first.headers.get('location') ?? '/', url), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Control Room</title>');

    expect(run.stderr()).toContain(`Data directory: ${dataDir}`);
    expect(run.stderr()).toContain('Provider: Simulated provider');

    run.stop();
    expect(await exit).toBe(0);
    expect(run.stdout()).toBe(`${line}\n`);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('starts with --redis even when that Redis does not answer, naming it without its password', async () => {
    const run = capture({ staticDir });
    const exit = runCli(
      ['serve', '--data-dir', join(root, 'fleet'), '--redis', 'redis://:FAKE-fleet-pass@127.0.0.1:1'],
      run.io,
    );
    expect(await run.firstLine()).toMatch(BANNER);
    expect(run.stderr()).toContain('Fleet: turns go to workers on redis://:***@127.0.0.1:1');
    run.stop();
    expect(await exit).toBe(0);
    expect(run.stderr()).not.toContain('FAKE-fleet-pass');
  });

  it('reports a port in use in one line and exits 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = capture({ staticDir });
      expect(await runCli(['serve', '--port', String(port), '--data-dir', join(root, 'busy')], run.io)).toBe(
        1,
      );
      expect(run.stderr()).toBe(
        `control-room serve: port ${port} is already in use on 127.0.0.1; choose another with --port (0 picks a free one)\n`,
      );
      expect(run.stdout()).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('refuses a data directory whose database is not SQLite, without touching it', async () => {
    const dataDir = join(root, 'not-sqlite');
    mkdirSync(dataDir);
    const dbFile = join(dataDir, 'control-room.db');
    writeFileSync(dbFile, 'this is a shopping list, not a database\n'.repeat(20));
    const before = readFileSync(dbFile);
    const run = capture({ staticDir });
    expect(await runCli(['serve', '--data-dir', dataDir], run.io)).toBe(1);
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^control-room serve: .*control-room\.db/);
    expect(run.stdout()).toBe('');
    expect(readFileSync(dbFile).equals(before)).toBe(true);
  });

  it('reports an unusable data directory in one line and exits 1', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const run = capture({ staticDir });
    expect(await runCli(['serve', '--data-dir', join(file, 'data')], run.io)).toBe(1);
    expect(run.stderr()).toMatch(/^control-room serve: cannot use the data directory ".*a-file.data": .+\n$/);
  });
});

describe('start', () => {
  it('falls back to browser mode with the same flags when Electron is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cr-start-'));
    try {
      const staticDir = join(root, 'renderer');
      mkdirSync(staticDir);
      writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
      const dataDir = join(root, 'data');
      const run = capture({ staticDir, findElectron: () => undefined });
      const exit = runCli(['start', '--data-dir', dataDir], run.io);
      expect(await run.firstLine()).toMatch(BANNER);
      expect(run.stderr().split('\n')[0]).toBe(ELECTRON_MISSING_LINE);
      expect(run.stderr()).toContain(`Data directory: ${dataDir}`);
      run.stop();
      expect(await exit).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('hands --data-dir and --redis to the desktop app in its environment', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cr-start-'));
    try {
      // A cached Electron build of better-sqlite3, so start goes straight to the launch.
      const electronVersion = '45.4.1';
      const cacheDir = join(root, 'cache');
      const buildDir = electronSqliteDir(cacheDir, electronVersion);
      mkdirSync(join(buildDir, 'build', 'Release'), { recursive: true });
      writeFileSync(electronSqliteBinding(buildDir), '');
      const sqlite = JSON.parse(readFileSync(require.resolve('better-sqlite3/package.json'), 'utf8')) as {
        version: string;
      };
      writeFileSync(
        join(buildDir, '.control-room-build.json'),
        JSON.stringify({ electronVersion, betterSqlite3Version: sqlite.version, platform: process.platform, arch: process.arch }),
      );
      // "Electron" is this Node, and its main script writes down what it was given.
      const seen = join(root, 'seen.json');
      const main = join(root, 'main.cjs');
      writeFileSync(
        main,
        `require('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ redis: process.env.${FLEET_REDIS_ENV}, dataDir: process.env.${DATA_DIR_ENV} }));`,
      );
      const run = capture({
        env: { CR_CACHE_DIR: cacheDir },
        findElectron: () => ({ path: process.execPath, version: electronVersion }),
        electronMain: main,
      });
      const url = 'rediss://ops:FAKE@redis.example.com:6380/1';
      expect(await runCli(['start', '--data-dir', join(root, 'data'), '--redis', url], run.io)).toBe(0);
      expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ redis: url, dataDir: join(root, 'data') });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says how to build when the Electron main script is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cr-start-'));
    try {
      const run = capture({
        findElectron: () => ({ path: process.execPath, version: '45.4.1' }),
        electronMain: join(root, 'dist', 'electron', 'main.js'),
      });
      expect(await runCli(['start'], run.io)).toBe(1);
      expect(run.stderr()).toMatch(
        /^control-room start: the desktop app has not been built .*npm run build\n$/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
