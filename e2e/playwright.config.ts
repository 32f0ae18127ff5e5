import { defineConfig } from '@playwright/test';
import { findChromium } from './browser.js';

/**
 * Browser mode end to end: each test starts its own engine (see fixtures.ts) on the
 * built renderer (`npm run build` first) and drives Chromium: Playwright's own where it is
 * installed, else the system's (Debian's on CI, which cannot download browsers). Without
 * any, the suite skips with one printed line (`test:e2e` passes with no tests).
 */
const browser = findChromium();
if ('missing' in browser) console.log(`e2e: skipped, ${browser.missing}`);

export default defineConfig({
  testDir: './specs',
  ...('missing' in browser ? { testIgnore: '**/*' } : {}),
  outputDir: './.artifacts/results',
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 7_500 },
  use: {
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    acceptDownloads: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      ...('path' in browser ? { executablePath: browser.path } : {}),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
