// Bundles the Node side: the CLI (browser mode, headless runs), Electron's main and its
// preload, and the backend worker beside each host that starts it (serve and the desktop
// app run the engine in a worker thread; src/main/host/worker-backend.ts finds it there).
// Dependencies stay external and load from node_modules (better-sqlite3 is native);
// migrations are inlined as text so the bundle is self-contained.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  loader: { '.sql': 'text' },
  logLevel: 'warning',
  legalComments: 'none',
};

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: 'src/main/cli/index.ts' },
    outdir: 'dist/main',
    format: 'esm',
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({
    ...common,
    entryPoints: { main: 'electron/main.ts' },
    outdir: 'dist/electron',
    format: 'esm',
  }),
  // CommonJS: Electron's asar support inside worker threads is that of `require`.
  ...['dist/main', 'dist/electron'].map((outdir) =>
    build({
      ...common,
      entryPoints: { 'backend-worker': 'src/main/host/backend-worker.ts' },
      outdir,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      // Modules that locate files from import.meta.url (the ledger's checkpointer) get
      // the bundle's own URL, as in the ESM bundles.
      define: { 'import.meta.url': 'importMetaUrl' },
      inject: ['electron/scripts/import-meta-url.mjs'],
    }),
  ),
  // A sandboxed preload cannot load modules: it must be one CommonJS file with only
  // `electron` left external.
  build({
    ...common,
    packages: undefined,
    external: ['electron'],
    entryPoints: { preload: 'electron/preload.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    sourcemap: false,
  }),
]);
