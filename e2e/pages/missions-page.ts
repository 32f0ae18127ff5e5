import { expect, type Locator, type Page } from '@playwright/test';

/** The Missions and Agents areas: the launch form, a mission's page, the agents table and drawer. */
export class MissionsPage {
  constructor(readonly page: Page) {}

  nav(area: 'Missions' | 'Agents'): Locator {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${area}`) });
  }

  // Launch form

  get launchForm(): Locator {
    return this.page.getByRole('form', { name: 'Launch a mission' });
  }

  async fillLaunch(input: { design?: string; goal?: string; repo?: string; branch?: string; budget?: string; commands?: string }) {
    const form = this.launchForm;
    if (input.design) await form.getByLabel('Team design').selectOption({ label: input.design });
    if (input.goal !== undefined) await form.getByLabel('Goal', { exact: true }).fill(input.goal);
    if (input.repo !== undefined) await form.getByLabel('Repository folder').fill(input.repo);
    if (input.branch !== undefined) await form.getByLabel('Base branch').fill(input.branch);
    if (input.budget !== undefined) await form.getByLabel('Budget (USD)').fill(input.budget);
    if (input.commands !== undefined) await form.getByLabel('Allowed commands').fill(input.commands);
  }

  /** A team's share of the goal on the launch form ("Share of Core"), pre-filled from its brief. */
  shareField(team: string): Locator {
    return this.launchForm.getByLabel(`Share of ${team}`, { exact: true });
  }

  /** The phase shown beside a team's share field: "Phase 2 · after Core". */
  sharePhase(team: string): Locator {
    return this.launchForm
      .locator('.launch-share')
      .filter({ has: this.page.getByLabel(`Share of ${team}`, { exact: true }) })
      .locator('.badge');
  }

  get directorBox(): Locator {
    return this.launchForm.getByLabel('Ask the director to draft the shares');
  }

  /** The director's draft on the mission page (each team's share, editable; approve or send back). */
  get directorDraft(): Locator {
    return this.page.getByRole('region', { name: "The director's draft", exact: true });
  }

  /** "Waiting for Core", "Active" or "Merged into the mission branch": where a team is in the phases. */
  teamPhaseState(team: string): Locator {
    return this.page.getByLabel(`Phase state of ${team}`, { exact: true });
  }

  /** The error shown under a field, found through the field's aria-describedby. */
  fieldError(label: string): Locator {
    return this.launchForm.locator('.field').filter({ has: this.page.getByLabel(label, { exact: true }) }).getByRole('alert');
  }

  // Mission page

  get stateBadge(): Locator {
    return this.page.locator('.page-title-row .state-badge');
  }

  teamPlan(team: string): Locator {
    return this.page.getByRole('table', { name: `Tasks of ${team}` });
  }

  /** A row of a mission page's per-team agents table. */
  missionAgentRow(team: string, agent: string): Locator {
    return this.page
      .getByRole('table', { name: `Agents of ${team}` })
      .getByRole('row')
      .filter({ has: this.page.getByRole('button', { name: agent, exact: true }) });
  }

  /** Opens the mission page's Log: the ledger's rows for the mission, newest first. */
  async openLog(): Promise<Locator> {
    await this.page.getByRole('button', { name: 'Show log' }).click();
    await expect(this.missionLog).toBeVisible();
    return this.missionLog;
  }

  get missionLog(): Locator {
    return this.page.getByRole('table', { name: 'Mission log' });
  }

  /** The Log's rows that mention `text` (who, subject or summary). */
  logRow(text: string | RegExp): Locator {
    return this.missionLog.getByRole('row').filter({ hasText: text });
  }

  // Agents area

  get agentsTable(): Locator {
    return this.page.getByRole('table', { name: 'Agents' });
  }

  agentRow(name: string): Locator {
    return this.agentsTable.getByRole('row').filter({ has: this.page.getByRole('button', { name, exact: true }) });
  }

  async agentNames(): Promise<string[]> {
    return this.agentsTable.getByRole('rowheader').getByRole('button').allTextContents();
  }

  get drawer(): Locator {
    return this.page.getByRole('dialog', { name: /^Agent / });
  }

  get confirmDialog(): Locator {
    return this.page.locator('dialog[open]');
  }

  async confirm(button: string): Promise<void> {
    await this.confirmDialog.getByRole('button', { name: button, exact: true }).click();
    await expect(this.confirmDialog).toHaveCount(0);
  }
}
