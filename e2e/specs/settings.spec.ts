import { test, expect } from '../fixtures.js';
import { SettingsPage } from '../pages/settings-page.js';
import { fakeApiKey } from '../../src/main/settings/testing/fake-api-key.js';

const KEY = fakeApiKey('e2etestkey', '0123456789abcdefghij', 'WXYZ');

// The key file, whatever keychain the machine running the suite has.
test.use({ engineEnv: { CR_SECRET_STORE: 'key-file' } });

test('settings: pool limits, thresholds and idle timeout persist; the API key shows only as a mask', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const settings = new SettingsPage(page);
  await page.goto(appUrl);
  await settings.open();
  // Nothing saved: the simulation's own roomy limits (the same as tier 4) apply.
  await expect(settings.preset).toHaveValue('tier-4');
  await expect(settings.apiKeyStatus).toHaveText('No key set.');
  await saveScreen('settings');

  // Rate limits: a preset fills every pool.
  await settings.preset.selectOption({ label: 'Tier 3' });
  await expect(page.getByLabel('Opus Requests / min')).toHaveValue('2000');
  const limits = settings.section('Rate limits');
  await limits.getByRole('button', { name: 'Save rate limits' }).click();
  await expect(limits.getByRole('status')).toHaveText('Saved');

  // A threshold, and the idle timeout (the engine names a field it refuses).
  await settings.errorRate.fill('5');
  const alerts = settings.section('Alerts');
  await alerts.getByRole('button', { name: 'Save alert thresholds' }).click();
  await expect(alerts.getByRole('status')).toHaveText('Saved');
  const idle = settings.section('Idle agents');
  await settings.idleTimeout.fill('5');
  await idle.getByRole('button', { name: 'Save idle timeout' }).click();
  await expect(idle.getByRole('alert')).toContainText('idleTimeoutSec: must be at least 10 seconds');
  await settings.idleTimeout.fill('600');
  await idle.getByRole('button', { name: 'Save idle timeout' }).click();
  await expect(idle.getByRole('status')).toHaveText('Saved');

  // A form error is caught before it is sent.
  await page.getByLabel('Haiku Output tokens / min').fill('0');
  await limits.getByRole('button', { name: 'Save rate limits' }).click();
  await expect(limits.getByRole('alert')).toContainText('Haiku output tokens / min: enter a whole number of at least 1');
  await saveScreen('settings-errors');

  // Everything saved is there after a reload (the engine kept it in the ledger).
  await page.reload();
  await settings.preset.waitFor();
  await expect(settings.preset).toHaveValue('tier-3');
  await expect(settings.errorRate).toHaveValue('5');
  await expect(settings.idleTimeout).toHaveValue('600');

  // A price row is added (rows are never edited).
  const prices = settings.section('Prices');
  const rowsBefore = await prices.getByRole('row').count();
  await prices.getByRole('button', { name: 'Add a price row' }).click();
  await prices.getByLabel('Effective from').fill('2099-01-01');
  await prices.getByLabel('Input ($)').fill('4');
  await saveScreen('settings-price-row');
  await prices.getByRole('button', { name: 'Add the row' }).click();
  await expect(prices.getByRole('row')).toHaveCount(rowsBefore + 1);

  // The API key: once sent, only its mask comes back, and no page holds the key.
  await settings.apiKeyInput.fill(KEY);
  await page.getByRole('button', { name: 'Save key' }).click();
  await expect(settings.apiKeyStatus).toContainText('sk-ant-…WXYZ');
  await expect(settings.apiKeyStatus).toContainText('in a key file readable only by you');
  await expect(settings.apiKeyInput).toHaveValue('');
  expect(await page.content()).not.toContain(KEY.slice(12, 40));

  // With a key, the API can be chosen; the top bar follows. Back to the simulation.
  await page.getByRole('radio', { name: /Anthropic API/ }).check();
  await expect(page.getByRole('banner').getByText('Anthropic API')).toBeVisible();
  await saveScreen('settings-key-set');
  await page.getByRole('radio', { name: /Simulated provider/ }).check();
  await expect(page.getByRole('banner').getByText('Simulated provider')).toBeVisible();

  await page.reload();
  await settings.apiKeyStatus.waitFor();
  await expect(settings.apiKeyStatus).toContainText('sk-ant-…WXYZ');
  expect(await page.content()).not.toContain(KEY.slice(12, 40));

  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreen('settings-dark');
});
