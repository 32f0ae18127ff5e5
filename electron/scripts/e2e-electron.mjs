// Runs the Electron end-to-end suite (e2e/electron) where the Electron binary is
// installed; elsewhere (ELECTRON_SKIP_BINARY_DOWNLOAD installs) says so in one line and
// succeeds, so `npm test` stays green and honest. The lookup is the CLI's own
// (src/main/cli/electron-binary.ts), so `control-room start` and this agree.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTs, ROOT } from './load-ts.mjs';

const SKIPPED =
  'Electron e2e skipped: the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); run them where it is.';

const { findElectron } = await loadTs('src/main/cli/electron-binary.ts');
const electron = findElectron({ env: process.env });
if (!electron) {
  console.log(SKIPPED);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'dist', 'electron', 'main.js'))) {
  console.error('Electron e2e: dist/electron/main.js is missing; run npm run build first.');
  process.exit(1);
}

// The app's database needs better-sqlite3 built for Electron's ABI (the tests' node_modules
// copy is Node's); built once into the cache, as `control-room start` does.
const native = await loadTs('src/main/cli/electron-native.ts');
let binding;
try {
  binding = await native.ensureElectronSqlite({
    electronVersion: electron.version,
    cacheDir: native.defaultCacheDir(),
    log: (line) => console.error(line),
  });
} catch (error) {
  console.error(`Electron e2e: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const playwright = join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js');
const child = spawn(
  process.execPath,
  [playwright, 'test', '--config', 'e2e/electron/playwright.config.ts', ...process.argv.slice(2)],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CR_E2E_ELECTRON_PATH: electron.path, [native.SQLITE_BINDING_ENV]: binding },
  },
);
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
