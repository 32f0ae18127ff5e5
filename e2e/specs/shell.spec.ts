import { test, expect } from '../fixtures.js';

// Every area is built now; each opens on its own page heading and its own address.
const AREAS = [
  { link: 'Missions', heading: 'Missions' },
  { link: 'Agents', heading: 'Agents' },
  { link: 'Costs', heading: 'Costs' },
  { link: 'Inbox', heading: 'Inbox' },
];

test('every area is reachable from the navigation, and the address bar follows', async ({ page, appUrl, saveScreen }) => {
  await page.goto(appUrl);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Teams' })).toHaveAttribute('aria-current', 'page');

  for (const area of AREAS) {
    await nav.getByRole('link', { name: new RegExp(`^${area.link}`) }).click();
    await expect(page.getByRole('heading', { name: area.heading, level: 2, exact: true })).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`#/${area.link.toLowerCase()}$`));
    await expect(nav.getByRole('link', { name: new RegExp(`^${area.link}`) })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByText('coming in a later version')).toHaveCount(0);
    await saveScreen(`area-${area.link.toLowerCase()}`);
  }

  await nav.getByRole('link', { name: 'Settings' }).click();
  const about = page.getByRole('region', { name: 'About' });
  await expect(about).toContainText('Browser mode');
  await expect(about).toContainText('Simulated provider');
  await expect(about).toContainText('control-room-e2e-');
  await expect(about).toContainText('0.1.0');
  await saveScreen('settings');

  // Back and forward follow the address bar.
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Inbox', level: 2, exact: true })).toBeVisible();
  await page.goForward();
  await expect(page.getByRole('region', { name: 'About' })).toBeVisible();
});

test('the theme follows the system and can be switched, and the choice is kept', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(appUrl);
  const html = page.locator('html');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const dark = await background();
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeVisible();
  await page.getByRole('button', { name: 'New design' }).click();
  await saveScreen('dark-editor');
  await page.getByRole('button', { name: 'Team designs' }).click();

  await page.getByRole('button', { name: 'Switch to light theme' }).click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(await background()).not.toBe(dark);
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(page.getByRole('button', { name: 'Switch to dark theme' })).toBeVisible();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('radio', { name: 'Dark' }).check();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await saveScreen('dark-settings');
  await page.getByRole('radio', { name: 'Match the system' }).check();
  await expect(html).not.toHaveAttribute('data-theme', /.*/);
  expect(await background()).toBe(dark);
});

test('a dropped connection is shown, retried, and the list catches up on what it missed', async ({
  page,
  appUrl,
  context,
  saveScreen,
}) => {
  let allow = true;
  let refused = 0;
  let live: { close(options?: { code?: number; reason?: string }): Promise<void> } | undefined;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (!allow) {
      // Closed inside the handler: the page sees a failed handshake, never an open socket.
      refused += 1;
      void ws.close({ code: 1011, reason: 'engine unreachable (test)' });
      return;
    }
    ws.connectToServer();
    live = ws;
  });
  await page.goto(appUrl);
  await expect(page.getByRole('status', { name: 'Engine: Connected' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No team designs yet' })).toBeVisible();

  allow = false;
  await live!.close({ code: 1011, reason: 'engine restarted (test)' });
  const banner = page
    .getByRole('alert')
    .filter({ hasText: 'connection to the Control Room engine was lost' });
  await expect(banner).toBeVisible();
  await saveScreen('connection-lost');

  // Another window changes things while this one cannot hear about it.
  const other = await context.newPage();
  await other.goto(appUrl);
  await other.getByRole('button', { name: 'New design' }).click();
  await other.getByLabel('Design name').fill('Made while offline');
  await other.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(other.getByText('Saved', { exact: true })).toBeVisible();
  await other.close();

  // "Retry now" tries at once instead of waiting out the backoff.
  await expect.poll(() => refused).toBeGreaterThan(0);
  const before = refused;
  await banner.getByRole('button', { name: 'Retry now' }).click();
  await expect.poll(() => refused).toBeGreaterThan(before);

  allow = true;
  await expect(page.getByRole('status', { name: 'Engine: Connected' })).toBeVisible({ timeout: 15_000 });
  await expect(banner).toBeHidden();
  await expect(page.getByRole('button', { name: 'Made while offline', exact: true })).toBeVisible();
});
