import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** An installed Electron executable and its version (which picks the native-module ABI). */
export interface ElectronBinary {
  path: string;
  version: string;
}

export interface FindElectronOptions {
  /** The `electron` npm package's folder; resolved from this module by default. */
  packageDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds the Electron binary the `electron` npm package downloaded, or undefined when
 * there is none (the package is absent, or was installed with
 * ELECTRON_SKIP_BINARY_DOWNLOAD). This mirrors the package's own lookup (`path.txt`,
 * `dist/`, `ELECTRON_OVERRIDE_DIST_PATH`) instead of calling `require('electron')`,
 * because that call starts a download, printing to stdout, when the binary is missing.
 */
export function findElectron(options: FindElectronOptions = {}): ElectronBinary | undefined {
  const env = options.env ?? process.env;
  const packageDir = options.packageDir ?? electronPackageDir();
  if (!packageDir) return undefined;
  let version: string;
  let relativePath: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version !== 'string') return undefined;
    version = pkg.version;
  } catch {
    return undefined;
  }
  try {
    relativePath = readFileSync(join(packageDir, 'path.txt'), 'utf8').trim() || undefined;
  } catch {
    relativePath = undefined;
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  let path: string;
  if (override) path = join(override, relativePath ?? 'electron');
  else if (relativePath) path = join(packageDir, 'dist', relativePath);
  else return undefined;
  return isFile(path) ? { path, version } : undefined;
}

function electronPackageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
