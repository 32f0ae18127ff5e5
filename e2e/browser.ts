import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/**
 * The Chromium the browser-mode suite drives: `CONTROL_ROOM_CHROMIUM` when set, else
 * Playwright's own browser where `npx playwright install chromium` put one, else a system
 * Chromium or Chrome (Debian's `/usr/bin/chromium` on CI, which cannot download browsers).
 * `missing` says in one line what to install when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const given = env.CONTROL_ROOM_CHROMIUM;
  if (given) return existsSync(given) ? { path: given } : { missing: `CONTROL_ROOM_CHROMIUM names ${given}, which does not exist` };
  const candidates = [
    chromium.executablePath(),
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  ];
  const found = candidates.find((path) => path && existsSync(path));
  return found
    ? { path: found }
    : { missing: 'no Chromium found: run `npx playwright install chromium` (or apt-get install chromium)' };
}
