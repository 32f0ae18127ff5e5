import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import type { TargetConfiguration } from 'electron-builder';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PACKAGED_BINDING } from '../native-binding.js';
import {
  afterPack,
  assertNativeBinding,
  electronBinaryPath,
  finishPackedApp,
  type PackedApp,
} from './after-pack.js';
import { computeAppFiles } from './app-files.js';
import config, { APP_ID, ICONS_DIR, NATIVE_STAGING_DIR, NOTICES_FILE } from './electron-builder.config.js';
import { fuseConfig } from './fuses.js';
import { checkAppFiles, ENGINE_BUNDLE, forbiddenReason, secretsIn } from './verify-app.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const targets = (value: unknown): { target: string; arch?: string[] }[] =>
  (value as (TargetConfiguration | string)[]).map((t) =>
    typeof t === 'string'
      ? { target: t }
      : { target: t.target, ...(t.arch ? { arch: [t.arch].flat() } : {}) },
  );

describe('the electron-builder configuration', () => {
  it('names the app and builds AppImage + deb, dmg for x64 and arm64, and NSIS', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.appId).toBe('dev.controlroom.app');
    expect(config.productName).toBe('Control Room');
    expect(targets(config.linux?.target).map((t) => t.target)).toEqual(['AppImage', 'deb']);
    expect(targets(config.mac?.target)).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(targets(config.win?.target).map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(existsSync(path.join(ROOT, config.mac!.entitlements!))).toBe(true);
  });

  it('never rebuilds node_modules, ships the Electron build of better-sqlite3 in resources/native, and runs the fuses hook', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.asarUnpack).toContain('**/*.node');
    expect(config.extraResources).toContainEqual({
      from: `${NATIVE_STAGING_DIR}/\${os}-\${arch}/better_sqlite3.node`,
      to: PACKAGED_BINDING.split(path.sep).join('/'),
    });
    expect(config.extraResources).toContainEqual({ from: NOTICES_FILE, to: 'THIRD_PARTY_NOTICES.txt' });
    expect(config.afterPack).toBe(afterPack);
  });

  it('points every platform at icons that exist and are what they claim to be', () => {
    const icns = readFileSync(path.join(ROOT, config.mac!.icon!));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const ico = readFileSync(path.join(ROOT, config.win!.icon!));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(5);
    const pngDir = path.join(ROOT, config.linux!.icon!);
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const png = readFileSync(path.join(pngDir, `${size}x${size}.png`));
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      // IHDR: width and height at bytes 16 and 20.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
    expect(existsSync(path.join(ROOT, ICONS_DIR, 'icon.svg'))).toBe(true);
  });
});

describe('the file set, on a synthetic project', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cr-packaging-'));
  temps.push(dir);
  const put = (rel: string, text = 'x') => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  put(
    'package.json',
    JSON.stringify({
      name: 'p',
      version: '1.0.0',
      dependencies: { 'dep-a': '1', 'better-sqlite3': '1' },
      devDependencies: { 'dev-only': '1' },
    }),
  );
  for (const rel of [
    'dist/electron/main.js',
    'dist/electron/main.js.map',
    'dist/electron/backend-worker.cjs',
    'dist/electron/backend-worker.cjs.map',
    'dist/electron/preload.cjs',
    'dist/electron/preload.test.js',
    'dist/renderer/index.html',
    'dist/renderer/icon.svg',
    'dist/renderer/assets/index-abc.js',
    'dist/renderer/assets/index-abc.js.map',
    'dist/renderer/assets/index-abc.css',
    'dist/main/cli.js',
    'dist/main/backend-worker.cjs',
    'dist/THIRD_PARTY_NOTICES.txt',
    'src/main/engine/mission.ts',
    'src/main/engine/mission.test.ts',
    'src/main/ledger/migrations/0001-x.sql',
    'electron/main.ts',
    'electron/builder/entitlements.mac.plist',
    'renderer/src/app.tsx',
    'renderer/index.html',
    'e2e/specs/teams.spec.ts',
    'e2e/electron/specs/core.spec.ts',
    '.env',
    '.env.local',
    'control-room.db',
    'data/control-room.db',
    'docs/design.md',
    'README.md',
    'resources/pricing.json',
    'release/Control Room-0.1.0.AppImage',
    '.git/HEAD',
    'node_modules/dep-a/package.json',
    'node_modules/dep-a/index.js',
    'node_modules/dep-a/index.d.ts',
    'node_modules/dep-a/index.js.map',
    'node_modules/dep-a/README.md',
    'node_modules/dep-a/LICENSE',
    'node_modules/dev-only/package.json',
    'node_modules/dev-only/index.js',
    'node_modules/better-sqlite3/lib/database.js',
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
    'node_modules/better-sqlite3/src/better_sqlite3.cpp',
  ]) {
    put(rel);
  }
  put('node_modules/dep-a/package.json', JSON.stringify({ name: 'dep-a', version: '1.0.0' }));
  put('node_modules/dev-only/package.json', JSON.stringify({ name: 'dev-only', version: '1.0.0' }));
  put(
    'node_modules/better-sqlite3/package.json',
    JSON.stringify({ name: 'better-sqlite3', version: '12.0.0' }),
  );
  const set = computeAppFiles(dir, config, { os: 'linux', arch: 'x64' });

  it('takes exactly the built entry points, the renderer and package.json from the project', () => {
    expect(set.app).toEqual([
      'dist/electron/backend-worker.cjs',
      'dist/electron/main.js',
      'dist/electron/preload.cjs',
      'dist/renderer/assets/index-abc.css',
      'dist/renderer/assets/index-abc.js',
      'dist/renderer/icon.svg',
      'dist/renderer/index.html',
      'package.json',
    ]);
  });

  it('takes the production dependencies without docs, typings, maps or better-sqlite3 sources and Node build', () => {
    expect(set.nodeModules).toEqual([
      'node_modules/better-sqlite3/lib/database.js',
      'node_modules/better-sqlite3/package.json',
      'node_modules/dep-a/LICENSE',
      'node_modules/dep-a/index.js',
      'node_modules/dep-a/package.json',
    ]);
    expect(set.unpacked).toEqual([]);
  });

  it('maps the staged Electron build for the target into resources/native', () => {
    expect(set.extraResources).toContainEqual({
      from: `${NATIVE_STAGING_DIR}/linux-x64/better_sqlite3.node`,
      to: 'native/better_sqlite3.node',
    });
  });
});

/**
 * The checks on this repository's own build need a dist/ at least as new as what it
 * inlines; `npm test` runs the unit tests before `npm run build`, and the dist pipeline
 * runs the same checks after its own build (electron/scripts/dist.mjs).
 */
function freshBuild(): { ok: boolean; why: string } {
  const main = path.join(ROOT, ENGINE_BUNDLE);
  if (!existsSync(main) || !existsSync(path.join(ROOT, 'dist/renderer/index.html')))
    return { ok: false, why: 'no build' };
  const inputs = [
    ...readdirSync(path.join(ROOT, 'src/main/ledger/migrations')).map((f) =>
      path.join(ROOT, 'src/main/ledger/migrations', f),
    ),
    path.join(ROOT, 'resources/pricing.json'),
  ];
  const stale = inputs.filter((f) => statSync(f).mtimeMs > statSync(main).mtimeMs);
  return stale.length > 0
    ? { ok: false, why: `dist is older than ${path.relative(ROOT, stale[0]!)}` }
    : { ok: true, why: '' };
}
const fresh = freshBuild();

describe.skipIf(!fresh.ok)(
  `the file set of this repository after npm run build${fresh.ok ? '' : ` (skipped: ${fresh.why})`}`,
  () => {
    const set = fresh.ok ? computeAppFiles(ROOT, config, { os: 'linux', arch: 'x64' }) : undefined!;

    it('has main, preload, the backend worker, the renderer and its assets, the migrations and prices inlined, and nothing forbidden or secret', () => {
      expect(checkAppFiles(ROOT, set)).toEqual([]);
    });

    it('ships the JavaScript of the production dependencies and none of the dev tools', () => {
      for (const dep of ['better-sqlite3', 'ws', 'zod', '@anthropic-ai/sdk']) {
        expect(
          set.nodeModules.some((f) => f.startsWith(`node_modules/${dep}/`)),
          dep,
        ).toBe(true);
      }
      expect(set.nodeModules).toContain('node_modules/better-sqlite3/lib/database.js');
      expect(
        set.nodeModules.some((f) => /^node_modules\/(react|vitest|electron|typescript|vite)\//.test(f)),
      ).toBe(false);
    });
  },
);

describe('the content checks', () => {
  it('name what is forbidden', () => {
    const cases: Record<string, boolean> = {
      'dist/electron/main.js': false,
      'dist/renderer/assets/index.js': false,
      'node_modules/zod/index.d.ts': false,
      'dist/renderer/assets/index.js.map': true,
      'dist/foo.test.js': true,
      'src/main/backend.ts': true,
      'renderer/src/app.tsx': true,
      'e2e/specs/x.spec.ts': true,
      'electron/main.ts': true,
      '.env.production': true,
      'data/control-room.db-wal': true,
      'docs/guide.md': true,
      'README.md': true,
    };
    for (const [rel, forbidden] of Object.entries(cases))
      expect(forbiddenReason(rel) !== undefined, rel).toBe(forbidden);
  });

  it('find keys in text, and the configured key itself', () => {
    expect(secretsIn('const k = "sk-ant-api03-' + 'a'.repeat(40) + '"', undefined)).toEqual([
      'an sk-ant- key',
    ]);
    expect(secretsIn('ANTHROPIC_API_KEY=sk-whatever', undefined)).toEqual(['an ANTHROPIC_API_KEY value']);
    expect(secretsIn('x = "my-secret-value"', 'my-secret-value')).toEqual([
      "this machine's ANTHROPIC_API_KEY",
    ]);
    // The SDK's own error text mentions the variable without a value.
    expect(secretsIn('Set the ANTHROPIC_API_KEY environment variable', undefined)).toEqual([]);
  });

  it('report a stale or leaky build', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cr-verify-'));
    temps.push(dir);
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    put('src/main/ledger/migrations/0001-a.sql', 'CREATE TABLE a (id TEXT);\n');
    put('src/main/ledger/migrations/0002-b.sql', 'CREATE TABLE "b" (id TEXT);\n');
    put('resources/pricing.json', JSON.stringify({ note: 'Prices per million tokens.' }));
    put('package.json', '{}');
    put('dist/electron/main.js', `var k = "sk-ant-api03-${'x'.repeat(30)}";`);
    put('dist/electron/backend-worker.cjs', `var a = ${JSON.stringify('CREATE TABLE a (id TEXT);\n')};`);
    put('dist/electron/preload.cjs', '');
    put('dist/renderer/index.html', '');
    put('dist/renderer/assets/index.js', '');
    put('dist/renderer/assets/index.js.map', '');
    const problems = checkAppFiles(
      dir,
      {
        app: [
          'dist/electron/backend-worker.cjs',
          'dist/electron/main.js',
          'dist/electron/preload.cjs',
          'dist/renderer/assets/index.js',
          'dist/renderer/assets/index.js.map',
          'dist/renderer/index.html',
          'package.json',
        ],
        nodeModules: [],
        unpacked: [],
        extraResources: [],
      },
      {},
    );
    expect(problems).toEqual([
      'dist/renderer/assets/index.js.map is a source map',
      'migration 0002-b.sql is not inlined in dist/electron/backend-worker.cjs (a stale build?)',
      'the price table (resources/pricing.json) is not inlined in dist/electron/backend-worker.cjs',
      'dist/electron/main.js contains an sk-ant- key',
    ]);
  });
});

describe('the fuses', () => {
  it('turns off RunAsNode, NODE_OPTIONS and --inspect, and turns on asar-only loading, integrity and cookie encryption', () => {
    expect(fuseConfig({ platform: 'linux', arch: 'x64' })).toEqual({
      version: FuseVersion.V1,
      resetAdHocDarwinSignature: false,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
  });

  it('resets the ad-hoc signature only for Apple Silicon builds', () => {
    expect(fuseConfig({ platform: 'darwin', arch: 'arm64' }).resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig({ platform: 'darwin', arch: 'x64' }).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig({ platform: 'win32', arch: 'arm64' }).resetAdHocDarwinSignature).toBe(false);
  });
});

describe('the afterPack hook', () => {
  const app = (platform: string, arch = 'x64'): PackedApp => ({
    platform,
    arch,
    appOutDir: '/out/app',
    resourcesDir: '/out/app/resources',
    productFilename: 'Control Room',
    executableName: 'control-room',
  });

  it('edits the .app bundle, the .exe or the Linux executable', () => {
    expect(electronBinaryPath(app('darwin'))).toBe(path.join('/out/app', 'Control Room.app'));
    expect(electronBinaryPath(app('win32'))).toBe(path.join('/out/app', 'Control Room.exe'));
    expect(electronBinaryPath(app('linux'))).toBe(path.join('/out/app', 'control-room'));
  });

  it('flips the fuses once the native binding is in place', async () => {
    const flip = vi.fn(async () => undefined);
    const seen: string[] = [];
    await finishPackedApp(app('darwin', 'arm64'), { exists: (f) => (seen.push(f), true), flip });
    expect(seen).toEqual([path.join('/out/app/resources', PACKAGED_BINDING)]);
    expect(flip).toHaveBeenCalledWith(path.join('/out/app', 'Control Room.app'), {
      platform: 'darwin',
      arch: 'arm64',
    });
  });

  it('refuses an app without the Electron build of better-sqlite3, before touching the binary', async () => {
    const flip = vi.fn(async () => undefined);
    await expect(finishPackedApp(app('linux'), { exists: () => false, flip })).rejects.toThrow(
      /better_sqlite3\.node is missing.*npm run dist/,
    );
    expect(flip).not.toHaveBeenCalled();
    expect(() => assertNativeBinding(app('win32'), () => true)).not.toThrow();
  });
});
