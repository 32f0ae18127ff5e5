import { test, expect } from '../fixtures.js';
import { SettingsPage } from '../pages/settings-page.js';

// The engine starts with a proxy in its environment, as a person behind an API gateway would.
test.use({ engineEnv: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/proxy' } });

test('settings: the API base URL in use says where it comes from; a URL with a password is refused, a saved one wins and stays', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const settings = new SettingsPage(page);
  await page.goto(appUrl);
  await settings.open();
  const field = page.getByRole('group', { name: 'API base URL' });
  const inUse = field.getByTestId('api-base-url-in-use');
  const input = field.getByLabel('Base URL (an API gateway or proxy)');
  const save = field.getByRole('button', { name: 'Save URL' });

  await expect(inUse).toHaveText(
    'In use: http://127.0.0.1:9/proxy (from the ANTHROPIC_BASE_URL environment variable; a URL saved here wins). Used once the Anthropic API is the provider.',
  );

  await input.fill('https://me:hunter22@gw.corp.example');
  await save.click();
  await expect(field.getByRole('alert')).toHaveText(
    'API base URL: must not carry a user or password (the ledger keeps no secrets): give the address only, and the key as the API key',
  );
  await expect(inUse).toContainText('from the ANTHROPIC_BASE_URL environment variable');

  await input.fill('https://gw.corp.example/anthropic');
  await save.click();
  await expect(field.getByRole('status')).toHaveText('Saved');
  await expect(inUse).toHaveText(
    'In use: https://gw.corp.example/anthropic (saved here; it wins over the ANTHROPIC_BASE_URL environment variable). Used once the Anthropic API is the provider.',
  );
  await saveScreen('settings-api-base-url-saved');

  // Another view of the app reads the same; emptying the field goes back to the environment's.
  await page.reload();
  await expect(inUse).toContainText('In use: https://gw.corp.example/anthropic (saved here');
  await expect(input).toHaveValue('https://gw.corp.example/anthropic');
  await input.fill('');
  await save.click();
  await expect(inUse).toContainText('In use: http://127.0.0.1:9/proxy (from the ANTHROPIC_BASE_URL environment variable');
});
