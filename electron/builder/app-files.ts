import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
// electron-builder's own pattern matcher, so the file set computed here is decided by the
// same code (minimatch options, directory handling, negation order) as the real packaging.
import { excludedExts, excludedNames, FileMatcher } from 'app-builder-lib/out/fileMatcher.js';
import type { Configuration, FileSet } from 'electron-builder';
import { readManifest, walkDependencies } from './third-party-notices.js';

/** What a packaged app would contain, as paths relative to the project (posix separators). */
export interface AppFileSet {
  /** First-party files that go into app.asar (package.json, dist/...). */
  app: string[];
  /** Files of the production dependencies, `node_modules/<name>/...`. */
  nodeModules: string[];
  /** Of `app` and `nodeModules`: the files `asarUnpack` takes out of the archive. */
  unpacked: string[];
  /** `extraResources` mappings with their macros expanded for one target. */
  extraResources: { from: string; to: string }[];
}

const identity = (pattern: string): string => pattern;

/**
 * The first-party patterns electron-builder applies for `config.files`, with the
 * defaults it adds itself (getMainFileMatchers): package.json, node_modules handled
 * separately, the build-resources and output folders and its always-excluded names and
 * extensions left out.
 */
export function appFilePatterns(config: Configuration): string[] {
  const own = stringPatterns(config.files);
  const patterns = [...own];
  if (!patterns.includes('package.json')) patterns.push('package.json');
  const first = ['!**/node_modules/**'];
  const buildResources = config.directories?.buildResources ?? 'build';
  first.push(`!${buildResources}{,/**/*}`);
  first.push(`!${config.directories?.output ?? 'dist'}{,/**/*}`);
  let insertAt = 0;
  for (let i = patterns.length - 1; i >= 0; i--) {
    if (patterns[i]!.startsWith('**/')) {
      insertAt = i + 1;
      break;
    }
  }
  patterns.splice(insertAt, 0, ...first);
  patterns.push(
    `!**/*.{${excludedExts},pdb}`,
    '!**/._*',
    '!**/electron-builder.{yaml,yml,json,json5,toml,ts}',
  );
  patterns.push(`!**/{${excludedNames}}`, '!.yarn{,/**/*}', '!.editorconfig', '!.yarnrc.yml');
  return patterns;
}

/**
 * Applies the configuration's `files`, `asarUnpack` and `extraResources` to the project
 * at `rootDir` as electron-builder would, without packaging anything. The dependency
 * files are those of the package.json `dependencies` tree, filtered by the `!` patterns
 * of `files` (electron-builder applies only those inside node_modules). electron-builder
 * drops a few more files from node_modules (its own junk-file list), so `nodeModules` is,
 * if anything, a superset of what ships.
 */
export function computeAppFiles(
  rootDir: string,
  config: Configuration,
  target: { os: 'mac' | 'linux' | 'win'; arch: string },
): AppFileSet {
  const root = path.resolve(rootDir);
  const appFilter = new FileMatcher(root, '/', identity, appFilePatterns(config)).createFilter();
  const app = walk(root, root, (file, stat) => {
    const rel = toPosix(path.relative(root, file));
    // Top-level folders that are never app content and are large to walk.
    if (stat.isDirectory() && (rel === 'node_modules' || rel === '.git')) return false;
    return appFilter(file, stat);
  });

  const excludes = stringPatterns(config.files).filter((p) => p.startsWith('!'));
  const moduleFilter = new FileMatcher(root, '/', identity, ['**/*', ...excludes]).createFilter();
  const production = Object.keys(readManifest(root).dependencies ?? {});
  const nodeModules: string[] = [];
  for (const pkg of walkDependencies(root, production)) {
    nodeModules.push(
      ...walk(pkg.dir, root, (file, stat) => {
        // A nested node_modules holds other packages, reached by the walk on their own.
        if (stat.isDirectory() && path.basename(file) === 'node_modules') return false;
        return moduleFilter(file, stat);
      }),
    );
  }

  const unpackPatterns = stringPatterns(config.asarUnpack);
  const unpackFilter =
    unpackPatterns.length === 0
      ? () => false
      : new FileMatcher(root, '/', identity, unpackPatterns).createFilter();
  const unpacked = [...app, ...nodeModules].filter((rel) => {
    const full = path.join(root, rel);
    return unpackFilter(full, statSync(full));
  });

  const expand = (value: string): string =>
    value.replaceAll('${os}', target.os).replaceAll('${arch}', target.arch);
  const extraResources = fileSets(config.extraResources).map((set) => ({
    from: expand(set.from ?? '.'),
    to: expand(set.to ?? set.from ?? '.'),
  }));

  return {
    app: app.sort(),
    nodeModules: [...new Set(nodeModules)].sort(),
    unpacked: unpacked.sort(),
    extraResources,
  };
}

function walk(dir: string, root: string, keep: (file: string, stat: Stats) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    const stat = statSync(full);
    if (!keep(full, stat)) continue;
    if (stat.isDirectory()) out.push(...walk(full, root, keep));
    else out.push(toPosix(path.relative(root, full)));
  }
  return out;
}

function stringPatterns(value: Configuration['files']): string[] {
  if (value == null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((p): p is string => typeof p === 'string');
}

function fileSets(value: Configuration['extraResources']): FileSet[] {
  if (value == null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === 'string' ? { from: item, to: item } : item));
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
