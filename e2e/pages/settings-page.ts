import type { Locator, Page } from '@playwright/test';

/** The Settings area: role- and label-based locators only. */
export class SettingsPage {
  readonly heading: Locator;
  readonly preset: Locator;
  readonly errorRate: Locator;
  readonly idleTimeout: Locator;
  readonly apiKeyInput: Locator;
  readonly apiKeyStatus: Locator;
  /** The top bar's word on the key ("API key sk-ant-…abcd" / "No API key"). */
  readonly topBarApiKey: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Settings', level: 2 });
    this.preset = page.getByLabel('Preset');
    this.errorRate = page.getByLabel('Error rate (%)');
    this.idleTimeout = page.getByLabel('Idle timeout (seconds)');
    this.apiKeyInput = page.getByLabel(/Anthropic API key|Replace the key/);
    this.apiKeyStatus = page.getByTestId('api-key-status');
    this.topBarApiKey = page.getByRole('banner').getByTestId('top-bar-api-key');
  }

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await this.heading.waitFor();
    await this.preset.waitFor();
  }

  section(title: string): Locator {
    return this.page.getByRole('region', { name: title });
  }
}
