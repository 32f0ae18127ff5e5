import { expect, type Locator, type Page } from '@playwright/test';

/** The Costs area: spend, budgets, rate limits and the breakdowns. */
export class CostsPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^Costs/ })
      .click();
    await expect(this.page.getByRole('heading', { name: 'Costs', level: 2 })).toBeVisible();
  }

  /** "Spent: $1.23" — the label carries the figure so it reads the same to everyone. */
  get spent(): Locator {
    return this.page.getByTestId('kpi-spent').locator('.kpi-value');
  }

  /** The displayed spend in dollars. */
  async spentUsd(): Promise<number> {
    const text = (await this.spent.textContent()) ?? '';
    return Number(text.replace(/[$,]/g, ''));
  }

  get missionFilter(): Locator {
    return this.page.getByLabel('Mission', { exact: true });
  }

  get modelTable(): Locator {
    return this.page.getByRole('table', { name: 'Cost by model' });
  }

  get agentTable(): Locator {
    return this.page.getByRole('table', { name: 'Cost by agent' });
  }

  pool(name: 'Opus' | 'Sonnet' | 'Haiku'): Locator {
    return this.page.getByRole('article', { name: `${name} pool` });
  }

  get exportButton(): Locator {
    return this.page.getByRole('button', { name: 'Export CSV' });
  }

  /** The Fleet panel: worker machines for built-in agents' turns, when Redis is configured. */
  get fleet(): Locator {
    return this.page.getByRole('region', { name: 'Fleet' });
  }
}
