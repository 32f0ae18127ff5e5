import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, expect, type Page } from '@playwright/test';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'main', 'cli.js');
/** Every screen the suite visits is saved here for people to look at. */
export const SCREENS_DIR = join(import.meta.dirname, '.artifacts', 'screens');
const BANNER = /^Control Room \(browser mode\): (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)\s*$/;
const START_TIMEOUT_MS = 20_000;

export interface EngineServer {
  url: string;
  dataDir: string;
  /** What the engine wrote on stderr so far (attached to failing tests). */
  stderr(): string;
}

interface Fixtures {
  /** Extra environment for the engine, e.g. `CONTROL_ROOM_SIM_LATENCY`; set with `test.use({ engineEnv })`. */
  engineEnv: Record<string, string>;
  dataDir: string;
  server: EngineServer;
  /** The tokened URL printed by `serve`: opening it signs the browser in. */
  appUrl: string;
  /** Saves a full-page screenshot as e2e/.artifacts/screens/<name>.png. */
  saveScreen: (name: string, target?: Page) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  engineEnv: [{}, { option: true }],

  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  dataDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'control-room-e2e-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },

  server: async ({ dataDir, engineEnv }, use, testInfo) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      // The simulated provider, whatever the machine running the suite has configured.
      env: { ...process.env, ...engineEnv, ANTHROPIC_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      const url = await readServeUrl(child, () => stderr);
      await use({ url, dataDir, stderr: () => stderr });
    } finally {
      await stop(child);
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('engine-stderr', { body: stderr, contentType: 'text/plain' });
      }
    }
  },

  appUrl: async ({ server }, use) => {
    await use(server.url);
  },

  // Depends on `server` so the page is checked and closed before the engine stops: a
  // dropped WebSocket would otherwise log reconnect failures into the next check.
  page: async ({ page, server }, use) => {
    void server;
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    await use(page);
    expect(errors, 'the page logged errors').toEqual([]);
  },

  saveScreen: async ({ page }, use) => {
    await mkdir(SCREENS_DIR, { recursive: true });
    await use(async (name, target) => {
      await (target ?? page).screenshot({
        path: join(SCREENS_DIR, `${name}.png`),
        fullPage: true,
        animations: 'disabled',
      });
    });
  },
});

export { expect };

function readServeUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      fail(new Error(`serve printed no URL within ${START_TIMEOUT_MS} ms.\nstderr:\n${stderr()}`));
    }, START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      lines.close();
      reject(error);
    };
    lines.on('line', (line) => {
      const match = BANNER.exec(line);
      if (!match) return;
      clearTimeout(timer);
      // Keep draining stdout so the engine never blocks on a full pipe.
      resolve(match[1]!);
    });
    child.once('exit', (code, signal) => {
      fail(
        new Error(
          `serve exited (${signal ?? code}) before printing its URL.\nstderr:\n${stderr()}\nWas \`npm run build\` run?`,
        ),
      );
    });
    child.once('error', fail);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
