import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The backend worker's entry, relative to the repository root. */
export const BACKEND_WORKER_ENTRY = 'src/main/host/backend-worker.ts';

/**
 * Bundles a worker entry as `electron/scripts/build-main.mjs` bundles the backend worker
 * (CommonJS with `import.meta.url` supplied, dependencies external, migrations inlined
 * as text) into `outDir`, for the tests and the host bench, which run from sources
 * rather than from `dist/`. `outDir` must sit inside the repository so the bundle's
 * external packages resolve from its node_modules. Answers the bundle's file URL.
 */
export async function bundleWorker(root: string, entry: string, outDir: string): Promise<URL> {
  const outfile = join(outDir, `${basename(entry, extname(entry))}.cjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    loader: { '.sql': 'text' },
    define: { 'import.meta.url': 'importMetaUrl' },
    inject: [join(root, 'electron/scripts/import-meta-url.mjs')],
    logLevel: 'warning',
  });
  return pathToFileURL(outfile);
}
