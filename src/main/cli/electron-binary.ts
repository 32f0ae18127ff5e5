import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * `dist/`, `ELECTRON_OVERRIDE_DIST_PATH`) instead of loading the package's own entry point,
 * because loading that package starts a download, printing to stdout, when the binary is missing.
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

/**
 * The nearest `node_modules/electron` above this module, as Node would find the package.
 * Looked up on disk rather than through the module system: only `electron/` imports or
 * resolves the electron package (the folder boundary lint enforces).
 */
function electronPackageDir(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'electron');
    if (isFile(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
