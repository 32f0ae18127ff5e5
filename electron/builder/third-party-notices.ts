import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** One third-party package that ships in the app, with the licence texts it carries. */
export interface NoticePackage {
  name: string;
  version: string;
  /** The `license` field of its package.json (an SPDX expression), or `UNKNOWN`. */
  license: string;
  repository?: string;
  /** LICENSE / LICENCE / COPYING / NOTICE files at the package's root. */
  texts: { file: string; text: string }[];
}

/** The parts of a package.json these walks read. */
export interface Manifest {
  name?: string;
  version?: string;
  license?: unknown;
  licenses?: unknown;
  repository?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([-._].*)?$/i;
const BUILTINS = new Set(builtinModules);

/**
 * Node's lookup of `name` from `fromDir`: the nearest `node_modules/<name>` walking up,
 * never above `rootDir`. Answers the package's folder, or undefined.
 */
export function resolvePackageDir(name: string, fromDir: string, rootDir: string): string | undefined {
  const root = path.resolve(rootDir);
  let dir = path.resolve(fromDir);
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === root) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir || !parent.startsWith(root)) return undefined;
    dir = parent;
  }
}

/** One installed package found by {@link walkDependencies}. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Its folder (as found, not resolved through symlinks). */
  dir: string;
  manifest: Manifest;
}

/**
 * Every package reachable from `roots` through `dependencies` and `optionalDependencies`,
 * resolved as Node would from the project at `rootDir` (the set electron-builder copies
 * into the app for package.json `dependencies`). devDependencies of the packages are
 * never followed; an optional dependency that is not installed (another platform's
 * binary) is skipped; a required one that is missing is an error, because whatever is
 * built from the walk would silently be incomplete.
 */
export function walkDependencies(rootDir: string, roots: readonly string[]): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visitedDirs = new Set<string>();
  const queue: { name: string; from: string; optional: boolean; requiredBy: string }[] = roots.map(
    (name) => ({
      name,
      from: rootDir,
      optional: false,
      requiredBy: 'package.json',
    }),
  );
  while (queue.length > 0) {
    const next = queue.shift()!;
    const dir = resolvePackageDir(next.name, next.from, rootDir);
    if (!dir) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.requiredBy}) is not installed; run npm install`);
    }
    const real = realDir(dir);
    if (visitedDirs.has(real)) continue;
    visitedDirs.add(real);
    const manifest = readManifest(dir);
    const name = manifest.name ?? next.name;
    const version = manifest.version ?? '0.0.0';
    found.push({ name, version, dir, manifest });
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      queue.push({ name: dep, from: dir, optional: false, requiredBy: `${name}@${version}` });
    }
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) {
      queue.push({ name: dep, from: dir, optional: true, requiredBy: `${name}@${version}` });
    }
  }
  return found;
}

/**
 * The packages of {@link walkDependencies} with their licence texts, one entry per
 * name and version, sorted by name and version.
 */
export function collectNoticePackages(rootDir: string, roots: readonly string[]): NoticePackage[] {
  const byKey = new Map<string, NoticePackage>();
  for (const pkg of walkDependencies(rootDir, roots)) {
    const key = `${pkg.name}@${pkg.version}`;
    if (byKey.has(key)) continue;
    const repository = repositoryOf(pkg.manifest);
    byKey.set(key, {
      name: pkg.name,
      version: pkg.version,
      license: licenseOf(pkg.manifest),
      ...(repository ? { repository } : {}),
      texts: licenceTexts(pkg.dir),
    });
  }
  return [...byKey.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

/**
 * The npm packages that source files import at runtime (`import type` is erased and does
 * not count): what Vite and esbuild copy into the bundles. Bare specifiers only, reduced
 * to package names (`@scope/name`, `name`); Node built-ins are left out.
 */
export function importedPackages(files: Iterable<string>): string[] {
  const names = new Set<string>();
  const pattern =
    /(?:^|[\s;])(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1] ?? match[2];
      if (
        !specifier ||
        specifier.startsWith('.') ||
        specifier.startsWith('/') ||
        specifier.startsWith('node:')
      )
        continue;
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      if (!BUILTINS.has(name)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Source files (`.ts`, `.tsx`, not tests) under `dir`. */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (
      /\.tsx?$/.test(entry.name) &&
      !/\.(test|spec)\.tsx?$/.test(entry.name) &&
      !entry.name.endsWith('.d.ts')
    ) {
      out.push(full);
    }
  }
  return out.sort();
}

/**
 * The packages whose code ships in the app: package.json `dependencies` (copied into the
 * app's node_modules by electron-builder) and everything the renderer and the shared
 * code import (bundled into dist/renderer by Vite, so they sit in devDependencies).
 * dist/electron keeps its packages external, so it adds nothing beyond `dependencies`.
 */
export function shippedRoots(rootDir: string): string[] {
  const manifest = readManifest(rootDir);
  const bundled = importedPackages([
    ...sourceFiles(path.join(rootDir, 'renderer', 'src')),
    ...sourceFiles(path.join(rootDir, 'src', 'shared')),
  ]);
  return [...new Set([...Object.keys(manifest.dependencies ?? {}), ...bundled])]
    .filter((name) => name !== 'electron')
    .sort();
}

/** The text of THIRD_PARTY_NOTICES.txt. */
export function renderNotices(
  product: { name: string; version: string },
  packages: readonly NoticePackage[],
): string {
  const rule = '-'.repeat(78);
  const lines = [
    'THIRD-PARTY SOFTWARE NOTICES',
    '',
    `${product.name} ${product.version} includes the third-party software listed below, under`,
    'the licences reproduced here. Electron and Chromium carry their own notices, in',
    'LICENSE and LICENSES.chromium.html next to the application executable.',
    '',
    `${packages.length} packages:`,
    ...packages.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    '',
  ];
  for (const p of packages) {
    lines.push(rule, `${p.name} ${p.version}`, `License: ${p.license}`);
    if (p.repository) lines.push(`Source: ${p.repository}`);
    lines.push('');
    if (p.texts.length === 0) {
      lines.push(`The package ships no licence file; its package.json declares: ${p.license}.`, '');
    }
    for (const t of p.texts) lines.push(`${t.file}:`, '', t.text, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Reads the project's manifest and renders the notices for everything that ships. */
export function generateNotices(rootDir: string): { text: string; packages: NoticePackage[] } {
  const manifest = readManifest(rootDir);
  const packages = collectNoticePackages(rootDir, shippedRoots(rootDir));
  const text = renderNotices({ name: 'Control Room', version: manifest.version ?? '0.0.0' }, packages);
  return { text, packages };
}

/** A folder's package.json. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

function licenseOf(manifest: Manifest): string {
  if (typeof manifest.license === 'string') return manifest.license;
  const legacy = manifest.license ?? manifest.licenses;
  const types = (Array.isArray(legacy) ? legacy : [legacy])
    .map((l) => (typeof l === 'object' && l !== null ? (l as { type?: unknown }).type : undefined))
    .filter((t): t is string => typeof t === 'string');
  return types.length > 0 ? types.join(' OR ') : 'UNKNOWN';
}

function repositoryOf(manifest: Manifest): string | undefined {
  const repo = manifest.repository;
  const url = typeof repo === 'string' ? repo : (repo as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url.replace(/^git\+/, '').replace(/\.git$/, '') : undefined;
}

function licenceTexts(dir: string): { file: string; text: string }[] {
  return readdirSync(dir)
    .filter((file) => LICENCE_FILE.test(file) && statSync(path.join(dir, file)).isFile())
    .sort()
    .map((file) => ({
      file,
      text: readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim(),
    }));
}

function realDir(dir: string): string {
  // Workspaces and `npm link` install packages as symlinks: one package, one entry.
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}
