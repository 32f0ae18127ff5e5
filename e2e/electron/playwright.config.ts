import { defineConfig } from '@playwright/test';

/**
 * The desktop app end to end, through Playwright's `_electron`: each test launches
 * dist/electron/main.js in the real Electron binary with its own data directory. Run
 * through `npm run test:e2e:electron` (electron/scripts/e2e-electron.mjs), which skips
 * in one line where the binary is not installed and otherwise provides the binary's
 * path and the Electron-ABI better-sqlite3. `npm run build` first.
 */
export default defineConfig({
  testDir: './specs',
  outputDir: '../.artifacts/electron-results',
  // One Electron at a time: each launch is a whole browser, and the app takes a
  // single-instance lock per data folder.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: 'list',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
