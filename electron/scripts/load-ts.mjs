// Lets the plain-Node scripts use TypeScript modules (electron/builder, src/main/cli):
// bundles one entry with esbuild, dependencies left to node_modules, into a cache file
// and imports it. Node 20 cannot load .ts itself.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Imports `entry` (a path relative to the repository root). */
export async function loadTs(entry) {
  const outDir = join(ROOT, 'node_modules', '.cache', 'control-room-scripts');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${entry.replace(/[^A-Za-z0-9]+/g, '-')}.mjs`);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    loader: { '.sql': 'text' },
    logLevel: 'warning',
  });
  return import(`${pathToFileURL(outfile).href}?v=${Date.now()}`);
}
