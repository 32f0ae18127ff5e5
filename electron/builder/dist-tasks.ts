import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  defaultCacheDir,
  ensureElectronSqlite,
  type BuildCommand,
} from '../../src/main/cli/electron-native.js';
import { computeAppFiles } from './app-files.js';
import config, { NATIVE_STAGING_DIR, NOTICES_FILE } from './electron-builder.config.js';
import { generateNotices } from './third-party-notices.js';
import { checkAppFiles } from './verify-app.js';

/** electron-builder's names for the three desktop platforms (its `${os}` macro). */
export type DistOs = 'mac' | 'linux' | 'win';

export const CONFIG_PATH = 'electron/builder/electron-builder.config.ts';

/** The platform installers are built for when none is named: this machine's. */
export function hostOs(platform: NodeJS.Platform = process.platform): DistOs {
  if (platform === 'darwin') return 'mac';
  if (platform === 'win32') return 'win';
  if (platform === 'linux') return 'linux';
  throw new Error(`no installers are configured for ${platform}`);
}

/**
 * The architectures a target is packaged for (and better-sqlite3 built for): the
 * config's mac dmg targets both Intel and Apple Silicon; Linux and Windows use the host's.
 */
export function distArchs(os: DistOs, hostArch: string = process.arch): string[] {
  return os === 'mac' ? ['x64', 'arm64'] : [hostArch];
}

/**
 * better-sqlite3 is native code compiled for the platform that runs it, and compilers
 * do not cross operating systems here: installers for an OS are built on that OS (cross
 * architecture on macOS works; Xcode builds both). Answers why not, or undefined.
 */
export function crossBuildProblem(target: DistOs, host: DistOs): string | undefined {
  if (target === host) return undefined;
  const names = { mac: 'macOS', linux: 'Linux', win: 'Windows' } as const;
  return (
    `${names[target]} installers must be built on ${names[target]}: better-sqlite3 is compiled for the ` +
    `platform that runs it (use a ${names[target]} CI runner; see README "Packaging installers").`
  );
}

/** Where the config's `extraResources` expects the binary for one target. */
export function stagedBindingPath(rootDir: string, os: DistOs, arch: string): string {
  return path.join(rootDir, NATIVE_STAGING_DIR, `${os}-${arch}`, 'better_sqlite3.node');
}

/** The Electron version electron-builder will package (the installed `electron` package's). */
export function electronVersion(rootDir: string): string {
  const pkg = JSON.parse(readFileSync(path.join(rootDir, 'node_modules/electron/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Builds better-sqlite3 for Electron's ABI for each architecture (reusing the cache
 * `control-room start` fills) and stages the binaries where the config picks them up.
 * The project's node_modules copy, built for Node and loaded by the tests, is untouched.
 * Another architecture than the host's gets its own cache folder and `--arch`.
 */
export async function prepareNative(options: {
  rootDir: string;
  os: DistOs;
  archs: string[];
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<string[]> {
  const env = options.env ?? process.env;
  const version = electronVersion(options.rootDir);
  const staged: string[] = [];
  for (const arch of options.archs) {
    const cross = arch !== process.arch;
    const cacheDir = cross
      ? path.join(defaultCacheDir(process.platform, env), `cross-${arch}`)
      : defaultCacheDir(process.platform, env);
    const binding = await ensureElectronSqlite({
      electronVersion: version,
      cacheDir,
      env,
      log: options.log,
      ...(cross
        ? {
            runBuild: (command: BuildCommand) =>
              run({ ...command, args: [...command.args, `--arch=${arch}`] }),
          }
        : {}),
    });
    const target = stagedBindingPath(options.rootDir, options.os, arch);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(binding, target);
    options.log(`Staged better-sqlite3 for Electron ${version} (${options.os}-${arch}).`);
    staged.push(target);
  }
  return staged;
}

/** Writes THIRD_PARTY_NOTICES.txt where the config ships it from; answers its path. */
export function writeNotices(rootDir: string): { file: string; count: number } {
  const { text, packages } = generateNotices(rootDir);
  const file = path.join(rootDir, NOTICES_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { file, count: packages.length };
}

/**
 * The packaging checks of packaging.test.ts, run on the build about to be packaged:
 * throws with every problem when the app would contain something it must not, or lack
 * something it needs.
 */
export function preflight(rootDir: string, os: DistOs, arch: string): void {
  const problems = checkAppFiles(rootDir, computeAppFiles(rootDir, config, { os, arch }));
  if (problems.length > 0) throw new Error(`the app's file set is wrong:\n  ${problems.join('\n  ')}`);
}

/** electron-builder's command line for one platform; `extra` (e.g. `--dir`) is passed on. */
export function electronBuilderArgs(os: DistOs, extra: readonly string[] = []): string[] {
  return ['--config', CONFIG_PATH, `--${os}`, '--publish', 'never', ...extra];
}

function run(command: BuildCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: command.env,
      shell: command.shell,
      stdio: 'inherit',
      windowsHide: true,
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command.command} exited with ${code}`)),
    );
  });
}
