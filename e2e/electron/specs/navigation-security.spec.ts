import { expect, test } from '../fixtures.js';

test('the renderer gets invoke and on only, no Node, and cannot open windows or leave the app', async ({
  launch,
}) => {
  const { app, window: page } = await launch();
  await expect(page.getByRole('status', { name: 'Engine: Connected' })).toBeVisible();
  const startUrl = page.url();
  expect(startUrl).toMatch(/^app:\/\/control-room\//);

  // The bridge: exactly invoke and on, frozen by contextBridge; Node never reaches the page.
  const surface = await page.evaluate(() => {
    const api = (window as unknown as { controlRoom?: Record<string, unknown> }).controlRoom;
    const g = globalThis as Record<string, unknown>;
    return {
      keys: api ? Object.keys(api).sort() : null,
      types: api ? Object.values(api).map((v) => typeof v) : null,
      require: typeof g.require,
      process: typeof g.process,
      module: typeof g.module,
      buffer: typeof g.Buffer,
    };
  });
  expect(surface).toEqual({
    keys: ['invoke', 'on'],
    types: ['function', 'function'],
    require: 'undefined',
    process: 'undefined',
    module: 'undefined',
    buffer: 'undefined',
  });

  // A channel outside the contract is refused in the preload, before IPC.
  const refused = await page.evaluate(async () => {
    const api = (window as unknown as { controlRoom: { invoke(c: string, r: unknown): Promise<unknown> } })
      .controlRoom;
    try {
      return await api.invoke('shell:open-everything', {});
    } catch (error) {
      return { threw: String(error) };
    }
  });
  expect(JSON.stringify(refused)).not.toContain('"ok":true');

  // window.open is denied: no second window appears, the opener gets null.
  const opened = await page.evaluate(() => window.open('https://example.com/', '_blank') === null);
  expect(opened).toBe(true);
  const openedAppPage = await page.evaluate(() => window.open('app://control-room/index.html') === null);
  expect(openedAppPage).toBe(true);
  await page.waitForTimeout(500);
  expect(app.windows()).toHaveLength(1);

  // Navigating the window to an external URL is blocked: it stays on the app.
  await page.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page.waitForTimeout(1_000);
  expect(page.url()).toBe(startUrl);
  await expect(page.getByRole('status', { name: 'Engine: Connected' })).toBeVisible();

  // So is a file:// page.
  await page.evaluate(() => {
    window.location.href = 'file:///etc/hosts';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toBe(startUrl);

  // The main process agrees: one window, on the app's page.
  const urls = await app.evaluate(({ BrowserWindow }) =>
    BrowserWindow.getAllWindows().map((w) => w.webContents.getURL()),
  );
  expect(urls).toEqual([startUrl]);
});
