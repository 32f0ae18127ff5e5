import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findElectron } from './electron-binary.js';
import {
  defaultCacheDir,
  electronSqliteBinding,
  electronSqliteDir,
  ensureElectronSqlite,
  needsBuild,
  nodeGypCommand,
  readBuildState,
  type BuildCommand,
  type BuildStamp,
} from './electron-native.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-native-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for node_modules/better-sqlite3, with a Node-ABI build that must not be copied. */
function fakePackage(version = '12.11.1'): string {
  const dir = join(root, 'node_modules', 'better-sqlite3');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'better-sqlite3', version }));
  writeFileSync(join(dir, 'binding.gyp'), '{}');
  writeFileSync(join(dir, 'src', 'better_sqlite3.cpp'), '// source');
  writeFileSync(join(dir, 'build', 'Release', 'better_sqlite3.node'), 'node-abi');
  return dir;
}

/** A node-gyp that "builds" by writing the binary where the real one would. */
function fakeBuild(calls: BuildCommand[], content = 'electron-abi') {
  return async (command: BuildCommand) => {
    calls.push(command);
    expect(existsSync(join(command.cwd, 'build')), 'the Node build is not copied').toBe(false);
    mkdirSync(join(command.cwd, 'build', 'Release'), { recursive: true });
    writeFileSync(join(command.cwd, 'build', 'Release', 'better_sqlite3.node'), content);
  };
}

const stamp: BuildStamp = {
  electronVersion: '45.4.1',
  betterSqlite3Version: '12.11.1',
  platform: 'linux',
  arch: 'x64',
};

describe('cache paths', () => {
  it('names the build folder after the Electron version', () => {
    expect(electronSqliteDir('/cache', '45.4.1')).toBe(join('/cache', 'better-sqlite3-electron-45.4.1'));
    expect(electronSqliteDir('/cache', '46.0.0-beta.3')).toBe(
      join('/cache', 'better-sqlite3-electron-46.0.0-beta.3'),
    );
    expect(electronSqliteBinding('/c/b')).toBe(join('/c/b', 'build', 'Release', 'better_sqlite3.node'));
  });

  it('refuses version strings that could escape the cache folder', () => {
    for (const bad of ['../../etc', '45', '45.4.1/../x', '', 'v45.4.1']) {
      expect(() => electronSqliteDir('/cache', bad), bad).toThrow(/not an Electron version/);
    }
  });

  it('uses the platform cache folder, outside node_modules', () => {
    expect(defaultCacheDir('linux', {}, '/home/ada')).toBe('/home/ada/.cache/control-room');
    expect(defaultCacheDir('linux', { XDG_CACHE_HOME: '/xdg' }, '/home/ada')).toBe('/xdg/control-room');
    expect(defaultCacheDir('darwin', {}, '/Users/ada')).toBe('/Users/ada/Library/Caches/Control Room');
    expect(defaultCacheDir('win32', { LOCALAPPDATA: 'C:\\L' }, 'C:\\Users\\ada')).toContain('Control Room');
    expect(defaultCacheDir('linux', { CR_CACHE_DIR: '/override' }, '/home/ada')).toBe('/override');
  });
});

describe('the reuse decision', () => {
  it('reuses only a finished build made for the same versions and machine', () => {
    expect(needsBuild(stamp, { stamp, bindingExists: true })).toBe(false);
    expect(needsBuild(stamp, { stamp, bindingExists: false })).toBe(true);
    expect(needsBuild(stamp, { stamp: undefined, bindingExists: true })).toBe(true);
    expect(needsBuild(stamp, { stamp: 'garbage', bindingExists: true })).toBe(true);
    expect(
      needsBuild(stamp, { stamp: { ...stamp, betterSqlite3Version: '12.0.0' }, bindingExists: true }),
    ).toBe(true);
    expect(needsBuild(stamp, { stamp: { ...stamp, electronVersion: '45.4.2' }, bindingExists: true })).toBe(
      true,
    );
    expect(needsBuild(stamp, { stamp: { ...stamp, arch: 'arm64' }, bindingExists: true })).toBe(true);
  });

  it('reads a missing folder as nothing built', () => {
    expect(readBuildState(join(root, 'nowhere'))).toEqual({ stamp: undefined, bindingExists: false });
  });
});

describe('nodeGypCommand', () => {
  it('targets Electron headers and drops npm settings that would retarget Node', () => {
    const command = nodeGypCommand(
      '45.4.1',
      '/c/copy',
      '/c/gyp',
      { PATH: '/bin', npm_config_nodedir: '/usr/include/node' },
      '/nm/node-gyp.js',
    );
    expect(command.command).toBe(process.execPath);
    expect(command.args).toEqual([
      '/nm/node-gyp.js',
      'rebuild',
      '--release',
      '--runtime=electron',
      '--target=45.4.1',
      '--dist-url=https://electronjs.org/headers',
      '--devdir=/c/gyp',
    ]);
    expect(command.cwd).toBe('/c/copy');
    expect(command.env).toEqual({ PATH: '/bin' });
  });

  it('falls back to npx --no-install when node-gyp cannot be resolved', () => {
    const command = nodeGypCommand('45.4.1', '/c/copy', '/c/gyp', {}, null);
    expect(command.command).toBe('npx');
    expect(command.args.slice(0, 3)).toEqual(['--no-install', 'node-gyp', 'rebuild']);
  });
});

describe('ensureElectronSqlite', () => {
  it('builds once in the cache, then reuses the result', async () => {
    const sourceDir = fakePackage();
    const cacheDir = join(root, 'cache');
    const calls: BuildCommand[] = [];
    const lines: string[] = [];
    const options = {
      electronVersion: '45.4.1',
      cacheDir,
      sourceDir,
      runBuild: fakeBuild(calls),
      log: (l: string) => lines.push(l),
    };

    const binding = await ensureElectronSqlite(options);
    expect(binding).toBe(electronSqliteBinding(join(cacheDir, 'better-sqlite3-electron-45.4.1')));
    expect(existsSync(binding)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args).toContain('--target=45.4.1');
    expect(lines[0]).toMatch(/first start only/);
    // The Node build in node_modules is untouched.
    expect(existsSync(join(sourceDir, 'build', 'Release', 'better_sqlite3.node'))).toBe(true);

    expect(await ensureElectronSqlite(options)).toBe(binding);
    expect(calls).toHaveLength(1);
    // No staging folders left behind.
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('better-sqlite3'))).toEqual([
      'better-sqlite3-electron-45.4.1',
    ]);
  });

  it('rebuilds when better-sqlite3 was upgraded, and keeps versions apart', async () => {
    const cacheDir = join(root, 'cache');
    const calls: BuildCommand[] = [];
    await ensureElectronSqlite({
      electronVersion: '45.4.1',
      cacheDir,
      sourceDir: fakePackage('12.11.1'),
      runBuild: fakeBuild(calls),
    });
    rmSync(join(root, 'node_modules'), { recursive: true });
    await ensureElectronSqlite({
      electronVersion: '45.4.1',
      cacheDir,
      sourceDir: fakePackage('12.12.0'),
      runBuild: fakeBuild(calls),
    });
    expect(calls).toHaveLength(2);
    await ensureElectronSqlite({
      electronVersion: '46.0.0',
      cacheDir,
      sourceDir: fakePackage('12.12.0'),
      runBuild: fakeBuild(calls),
    });
    expect(calls).toHaveLength(3);
    expect(readdirSync(cacheDir).sort()).toEqual([
      'better-sqlite3-electron-45.4.1',
      'better-sqlite3-electron-46.0.0',
    ]);
  });

  it('does not reuse a half-finished build', async () => {
    const cacheDir = join(root, 'cache');
    const target = join(cacheDir, 'better-sqlite3-electron-45.4.1');
    mkdirSync(join(target, 'build', 'Release'), { recursive: true });
    writeFileSync(join(target, 'build', 'Release', 'better_sqlite3.node'), 'truncated');
    const calls: BuildCommand[] = [];
    await ensureElectronSqlite({
      electronVersion: '45.4.1',
      cacheDir,
      sourceDir: fakePackage(),
      runBuild: fakeBuild(calls),
    });
    expect(calls).toHaveLength(1);
  });

  it('fails with a clear error and leaves nothing behind when the build fails', async () => {
    const cacheDir = join(root, 'cache');
    const attempt = ensureElectronSqlite({
      electronVersion: '45.4.1',
      cacheDir,
      sourceDir: fakePackage(),
      runBuild: () => Promise.reject(new Error('node-gyp failed (exit code 1): gyp ERR! find Python')),
    });
    await expect(attempt).rejects.toThrow(
      /could not build better-sqlite3 for Electron 45\.4\.1: node-gyp failed .*find Python/,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('fails when node-gyp succeeds without producing the binary', async () => {
    const attempt = ensureElectronSqlite({
      electronVersion: '45.4.1',
      cacheDir: join(root, 'cache'),
      sourceDir: fakePackage(),
      runBuild: () => Promise.resolve(),
    });
    await expect(attempt).rejects.toThrow(/was not produced/);
  });
});

describe('findElectron', () => {
  function fakeElectron(options: { pathTxt?: string; binary?: boolean }): string {
    const dir = join(root, 'electron');
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1' }));
    if (options.pathTxt !== undefined) writeFileSync(join(dir, 'path.txt'), options.pathTxt);
    if (options.binary) writeFileSync(join(dir, 'dist', options.pathTxt ?? 'electron'), '');
    return dir;
  }

  it('finds a downloaded binary and its version', () => {
    const packageDir = fakeElectron({ pathTxt: 'electron', binary: true });
    expect(findElectron({ packageDir, env: {} })).toEqual({
      path: join(packageDir, 'dist', 'electron'),
      version: '45.4.1',
    });
  });

  it('reports none when the download was skipped or removed, without downloading', () => {
    expect(findElectron({ packageDir: fakeElectron({}), env: {} })).toBeUndefined();
    rmSync(join(root, 'electron'), { recursive: true });
    expect(findElectron({ packageDir: fakeElectron({ pathTxt: 'electron' }), env: {} })).toBeUndefined();
    expect(findElectron({ packageDir: join(root, 'absent'), env: {} })).toBeUndefined();
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package does', () => {
    const packageDir = fakeElectron({});
    const dist = join(root, 'custom');
    mkdirSync(dist);
    writeFileSync(join(dist, 'electron'), '');
    expect(findElectron({ packageDir, env: { ELECTRON_OVERRIDE_DIST_PATH: dist } })?.path).toBe(
      join(dist, 'electron'),
    );
  });
});
