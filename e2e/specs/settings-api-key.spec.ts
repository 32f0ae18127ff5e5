import { test, expect } from '../fixtures.js';
import { SettingsPage } from '../pages/settings-page.js';
import { fakeApiKey } from '../../src/main/settings/testing/fake-api-key.js';

const KEY = fakeApiKey('e2eshapekey', '0123456789abcdefghij', 'Pq7R');

// The key file, whatever keychain the machine running the suite has.
test.use({ engineEnv: { CR_SECRET_STORE: 'key-file' } });

test('settings: a text that is not a key is refused; a key is saved, said where, and the top bar follows at once', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const settings = new SettingsPage(page);
  await page.goto(appUrl);
  // Before Settings is opened, the top bar already says there is no key.
  await expect(settings.topBarApiKey).toHaveText('No API key');
  await settings.open();
  const section = settings.section('Model provider');

  await settings.apiKeyInput.fill('hello');
  await page.getByRole('button', { name: 'Save key' }).click();
  await expect(section.getByRole('alert')).toHaveText(
    'API key: must be an Anthropic API key, which starts with "sk-ant-" (copy the whole key from the Anthropic Console)',
  );
  await expect(section.getByRole('status')).toHaveCount(0);
  await expect(settings.apiKeyStatus).toHaveText('No key set.');
  await expect(settings.topBarApiKey).toHaveText('No API key');
  await saveScreen('settings-key-refused');

  await settings.apiKeyInput.fill(KEY);
  await page.getByRole('button', { name: 'Save key' }).click();
  await expect(section.getByRole('status')).toHaveText('Saved sk-ant-…Pq7R in a key file readable only by you.');
  await expect(settings.topBarApiKey).toHaveText('API key sk-ant-…Pq7R');
  await expect(settings.apiKeyStatus).toContainText('sk-ant-…Pq7R in a key file readable only by you');
  expect(await page.content()).not.toContain(KEY.slice(12, 40));
  await saveScreen('settings-key-saved');

  // Another view of the app (a reload) reads the same state; removing the key is said too.
  await page.reload();
  await expect(settings.topBarApiKey).toHaveText('API key sk-ant-…Pq7R');
  await settings.apiKeyStatus.waitFor();
  await page.getByRole('button', { name: 'Remove key' }).click();
  await expect(section.getByRole('status')).toHaveText('Key removed.');
  await expect(settings.topBarApiKey).toHaveText('No API key');
});
