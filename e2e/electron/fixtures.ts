import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, test as base, expect, type ElectronApplication, type Page } from '@playwright/test';
import type { CommandName, CommandRequest, CommandResponse } from '../../src/shared/contract.js';
import type { Result } from '../../src/shared/result.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'electron', 'main.js');

/** A running desktop app and its one window. */
export interface LaunchedApp {
  app: ElectronApplication;
  window: Page;
  /** Console errors and page errors seen in the window so far. */
  errors: string[];
}

interface Fixtures {
  dataDir: string;
  /** Launches the app on `dataDir`; every app launched is closed after the test. */
  launch: () => Promise<LaunchedApp>;
}

/**
 * The environment the runner (electron/scripts/e2e-electron.mjs) prepares: the binary's
 * path, and better-sqlite3 built for Electron's ABI (the node_modules copy is Node's).
 */
function launchEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.ELECTRON_RUN_AS_NODE;
  return {
    ...env,
    CR_DATA_DIR: dataDir,
    // The simulated provider, whatever the machine running the suite has configured.
    ANTHROPIC_API_KEY: '',
  };
}

export async function launchApp(dataDir: string): Promise<LaunchedApp> {
  const executablePath = process.env.CR_E2E_ELECTRON_PATH;
  const app = await _electron.launch({
    args: [MAIN],
    env: launchEnv(dataDir),
    ...(executablePath ? { executablePath } : {}),
  });
  const window = await app.firstWindow();
  const errors: string[] = [];
  window.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  window.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await window.waitForLoadState('domcontentloaded');
  return { app, window, errors };
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  dataDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'control-room-electron-e2e-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },

  launch: async ({ dataDir }, use) => {
    const launched: LaunchedApp[] = [];
    await use(async () => {
      const app = await launchApp(dataDir);
      launched.push(app);
      return app;
    });
    for (const { app, errors } of launched) {
      await app.close().catch(() => undefined);
      expect(errors, 'the window logged errors').toEqual([]);
    }
  },
});

export { expect };

/**
 * Calls the contract from the renderer, through the preload's `window.controlRoom`
 * (the same path the UI takes), for set-ups the screens do not offer yet.
 */
export async function invoke<K extends CommandName>(
  page: Page,
  channel: K,
  request: CommandRequest<K>,
): Promise<CommandResponse<K>> {
  const result = (await page.evaluate(
    ([name, body]) =>
      (
        window as unknown as { controlRoom: { invoke(c: string, r: unknown): Promise<unknown> } }
      ).controlRoom.invoke(name, body),
    [channel, request] as const,
  )) as Result<CommandResponse<K>>;
  if (!result.ok) throw new Error(`${channel} failed: ${result.error.code}: ${result.error.message}`);
  return result.data;
}

/** A git repository with one commit on `main`, for a mission to work on. */
export async function makeRepo(dir: string): Promise<string> {
  const repo = join(dir, 'repo');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  await rm(repo, { recursive: true, force: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { stdio: 'ignore' });
  git('config', 'user.name', 'E2E Person');
  git('config', 'user.email', 'e2e@example.com');
  await writeFile(join(repo, 'README.md'), '# demo\n');
  await writeFile(
    join(repo, 'package.json'),
    `${JSON.stringify({ name: 'demo', type: 'module', private: true }, null, 2)}\n`,
  );
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}
