// Runs one TypeScript benchmark: `node electron/scripts/run-bench.mjs <entry.ts> [args...]`.
// The entry is bundled the way build-main.mjs bundles the app (dependencies external and
// loaded from node_modules, `.sql` migrations inlined as text) into node_modules/.cache/bench/,
// then imported here; the entry runs itself with a top-level `await main()`. Benchmarks are
// not tests: they print figures and fail only when they cannot run.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node electron/scripts/run-bench.mjs <entry.ts> [args...]');
  process.exit(2);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Inside node_modules so that bare imports of the external packages resolve from the bundle.
const outDir = join(root, 'node_modules/.cache/bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, `${basename(entry, extname(entry))}.mjs`);

await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  packages: 'external',
  loader: { '.sql': 'text' },
  logLevel: 'warning',
  legalComments: 'none',
});

// The entry sees only its own arguments, as if it had been started directly. Source maps
// stay off unless asked for (`node --enable-source-maps electron/scripts/run-bench.mjs ...`):
// with them on, every Error.stack re-parses the bundle's map, which a benchmark would measure.
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
