import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { PRODUCT_NAME } from '../app/paths.js';

/** Where Electron's `main` finds the better-sqlite3 binary built for its ABI. */
export const SQLITE_BINDING_ENV = 'CR_SQLITE_BINDING';

/** Written next to a finished build; a folder without a matching one is rebuilt. */
const STAMP_FILE = '.control-room-build.json';

const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** What a cached build was made for; any difference means it cannot be reused. */
export interface BuildStamp {
  electronVersion: string;
  betterSqlite3Version: string;
  platform: string;
  arch: string;
}

/** A program to run for the build, kept as data so tests can check it without running it. */
export interface BuildCommand {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Needed on Windows to run `npx.cmd`. */
  shell: boolean;
}

export interface ElectronSqliteOptions {
  electronVersion: string;
  /** A cache folder outside node_modules, so the Node build the tests load is never replaced. */
  cacheDir: string;
  /** The installed better-sqlite3 package; resolved from this module by default. */
  sourceDir?: string;
  /** Runs the build; rejects with the tool's output on failure. Injected by tests. */
  runBuild?: (command: BuildCommand) => Promise<void>;
  /** Progress lines for a person (the build takes a minute). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * The platform's cache folder for Control Room (`CR_CACHE_DIR` overrides it): rebuildable
 * artefacts only, never user data.
 */
export function defaultCacheDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (env.CR_CACHE_DIR) return env.CR_CACHE_DIR;
  if (platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), PRODUCT_NAME, 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', PRODUCT_NAME);
  return join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'control-room');
}

/**
 * The folder holding the Electron build of better-sqlite3 for one Electron version:
 * `<cacheDir>/better-sqlite3-electron-<version>`. Throws for a version string that is
 * not a plain semver, since it becomes part of a path.
 */
export function electronSqliteDir(cacheDir: string, electronVersion: string): string {
  if (!VERSION_PATTERN.test(electronVersion)) {
    throw new Error(`"${electronVersion}" is not an Electron version (expected something like 45.4.1)`);
  }
  return join(cacheDir, `better-sqlite3-electron-${electronVersion}`);
}

/** The native module inside a build folder: what `CR_SQLITE_BINDING` points at. */
export function electronSqliteBinding(buildDir: string): string {
  return join(buildDir, 'build', 'Release', 'better_sqlite3.node');
}

/** What is on disk in a build folder: its stamp (if readable) and whether the binary exists. */
export interface BuildState {
  stamp: unknown;
  bindingExists: boolean;
}

/** Reads a build folder's state; a missing or unreadable folder reads as "nothing built". */
export function readBuildState(buildDir: string): BuildState {
  let stamp: unknown = undefined;
  try {
    stamp = JSON.parse(readFileSync(join(buildDir, STAMP_FILE), 'utf8'));
  } catch {
    // No stamp: an interrupted or foreign build, never reused.
  }
  let bindingExists = false;
  try {
    bindingExists = statSync(electronSqliteBinding(buildDir)).isFile();
  } catch {
    // Not built.
  }
  return { stamp, bindingExists };
}

/**
 * The reuse decision: a cached build is reused only when its binary exists and its
 * stamp says it was made for this Electron, this better-sqlite3 (its JavaScript, loaded
 * from node_modules, must match the binary) and this platform and architecture.
 */
export function needsBuild(expected: BuildStamp, found: BuildState): boolean {
  if (!found.bindingExists) return true;
  const stamp = found.stamp as Partial<BuildStamp> | undefined;
  if (typeof stamp !== 'object' || stamp === null) return true;
  return (
    stamp.electronVersion !== expected.electronVersion ||
    stamp.betterSqlite3Version !== expected.betterSqlite3Version ||
    stamp.platform !== expected.platform ||
    stamp.arch !== expected.arch
  );
}

/**
 * The node-gyp invocation that builds better-sqlite3 against Electron's headers. The
 * project's own node-gyp is run with this Node when it can be found, because `npx
 * --no-install` inside the cache copy (a package with no node_modules) would not find
 * it; npx is the fallback. npm's `nodedir`/`target`-style settings are removed from the
 * environment: inherited from `npm start`, they would silently build for Node instead.
 */
export function nodeGypCommand(
  electronVersion: string,
  cwd: string,
  devDir: string,
  env: NodeJS.ProcessEnv = process.env,
  /** The project's node-gyp script; null to use npx. */
  nodeGypScript: string | null = findNodeGyp() ?? null,
): BuildCommand {
  const gypArgs = [
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${electronVersion}`,
    '--dist-url=https://electronjs.org/headers',
    `--devdir=${devDir}`,
  ];
  const cleanEnv = Object.fromEntries(
    Object.entries(env).filter(
      ([key]) => !/^npm_config_(nodedir|target|runtime|disturl|dist_url|devdir|arch)$/i.test(key),
    ),
  );
  if (nodeGypScript) {
    return { command: process.execPath, args: [nodeGypScript, ...gypArgs], cwd, env: cleanEnv, shell: false };
  }
  return {
    command: 'npx',
    args: ['--no-install', 'node-gyp', ...gypArgs],
    cwd,
    env: cleanEnv,
    shell: process.platform === 'win32',
  };
}

/**
 * Makes sure a better-sqlite3 built for `electronVersion` exists in `cacheDir` and
 * answers the path of its `.node` binary. The first call copies node_modules/better-sqlite3
 * to `<cacheDir>/better-sqlite3-electron-<version>` and rebuilds it there with node-gyp
 * (a C++ toolchain and, once, Electron's headers from the internet are needed); later
 * calls reuse it. The build happens in a private staging folder that is renamed into
 * place only when complete, so an interrupted or concurrent build never leaves a
 * half-built folder that would be reused. Throws an Error a person can act on.
 */
export async function ensureElectronSqlite(options: ElectronSqliteOptions): Promise<string> {
  const target = electronSqliteDir(options.cacheDir, options.electronVersion);
  const sourceDir = options.sourceDir ?? findBetterSqlite3();
  const expected: BuildStamp = {
    electronVersion: options.electronVersion,
    betterSqlite3Version: packageVersion(sourceDir),
    platform: process.platform,
    arch: process.arch,
  };
  if (!needsBuild(expected, readBuildState(target))) return electronSqliteBinding(target);

  const log = options.log ?? (() => undefined);
  const runBuild = options.runBuild ?? runBuildCommand;
  const staging = `${target}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  log(
    `Building better-sqlite3 ${expected.betterSqlite3Version} for Electron ${options.electronVersion} ` +
      `in ${target} (first start only)...`,
  );
  try {
    mkdirSync(options.cacheDir, { recursive: true });
    cpSync(sourceDir, staging, {
      recursive: true,
      // The old build output is for Node's ABI and is rebuilt anyway.
      filter: (path) => {
        const first = relative(sourceDir, path).split(sep)[0];
        return first !== 'build' && first !== 'node_modules';
      },
    });
    await runBuild(
      nodeGypCommand(options.electronVersion, staging, join(options.cacheDir, 'node-gyp'), options.env),
    );
    if (!existsSync(electronSqliteBinding(staging))) {
      throw new Error(`node-gyp finished but ${electronSqliteBinding(staging)} was not produced`);
    }
    writeFileSync(join(staging, STAMP_FILE), `${JSON.stringify(expected, null, 2)}\n`);
    // Only a stale or half-finished build can be here (a good one returned above).
    if (existsSync(target) && needsBuild(expected, readBuildState(target))) {
      rmSync(target, { recursive: true, force: true });
    }
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another launch finished the same build first: use theirs.
      if (needsBuild(expected, readBuildState(target))) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `could not build better-sqlite3 for Electron ${options.electronVersion}: ${errorMessage(error)} ` +
        `(a C++ toolchain and Python are needed, and internet access to download Electron's headers once; ` +
        `or use "control-room serve" for browser mode)`,
    );
  }
  log('Built better-sqlite3 for Electron.');
  return electronSqliteBinding(target);
}

/** Runs a build command, keeping the tail of its output for the error message. */
function runBuildCommand(command: BuildCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: command.env,
      shell: command.shell,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new Error(`cannot run ${command.command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const lastLines = tail.trim().split('\n').slice(-8).join(' | ');
        reject(new Error(`node-gyp failed (${signal ?? `exit code ${code}`}): ${lastLines}`));
      }
    });
  });
}

function findBetterSqlite3(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  } catch {
    throw new Error('better-sqlite3 is not installed; run npm install');
  }
}

function findNodeGyp(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

function packageVersion(dir: string): string {
  try {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof version === 'string') return version;
  } catch {
    // Fall through to the error below.
  }
  throw new Error(`${dir} does not look like the better-sqlite3 package (no version in its package.json)`);
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}
