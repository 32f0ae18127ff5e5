import { expect, type Locator, type Page } from '@playwright/test';

/** The team design as the specs describe it: what a person types and reads back. */
export interface AgentInput {
  name: string;
  role?: 'Leader' | 'Coder' | 'Reviewer' | 'Researcher';
  /** A model id from src/shared/models.ts (labels carry retirement notes that change). */
  model?: string;
  /** Dollars as typed; '' for no budget. */
  budget?: string;
  commands?: string;
}

export interface TeamInput {
  name: string;
  budget?: string;
  agents: AgentInput[];
}

/** The Teams area: the list of designs and the design editor. */
export class TeamsPage {
  constructor(readonly page: Page) {}

  // List

  get listHeading(): Locator {
    return this.page.getByRole('heading', { name: 'Team designs', level: 2 });
  }

  get table(): Locator {
    return this.page.getByRole('table', { name: 'Team designs' });
  }

  row(name: string): Locator {
    return this.table
      .getByRole('row')
      .filter({ has: this.page.getByRole('rowheader').getByRole('button', { name, exact: true }) });
  }

  async listedNames(): Promise<string[]> {
    if ((await this.table.count()) === 0) return [];
    return this.table.getByRole('rowheader').getByRole('button').allTextContents();
  }

  get notice(): Locator {
    return this.page.locator('.notice');
  }

  async importFile(file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.page.getByLabel('Import team file').setInputFiles(file);
  }

  // Editor

  get saveButton(): Locator {
    return this.page.getByRole('button', { name: 'Save', exact: true });
  }

  get unsavedBadge(): Locator {
    return this.page.getByRole('status').filter({ hasText: 'Unsaved changes' });
  }

  get saveError(): Locator {
    return this.page.getByRole('alert').filter({ hasText: 'Could not save.' });
  }

  team(name: string): Locator {
    return this.page.getByRole('region', { name, exact: true });
  }

  /** The inspector's "Runtime" choice. */
  get runtimeSelect(): Locator {
    return this.inspector.getByLabel('Runtime', { exact: true });
  }

  /** A Claude Code tool's checkbox in the inspector, e.g. "Bash". */
  claudeCodeTool(tool: string): Locator {
    return this.inspector.getByRole('group', { name: 'Claude Code tools' }).getByLabel(tool, { exact: true });
  }

  /** The inspector's n-th MCP server (1-based), a group of its fields. */
  mcpServer(n: number): Locator {
    return this.inspector.getByRole('group', { name: `MCP server ${n}`, exact: true });
  }

  /** An agent's select button on the board: its description says role, model and runtime. */
  agentButton(team: Locator, name: string): Locator {
    return team.getByRole('button', { name, exact: true });
  }

  /** An agent's row on its team card. */
  agent(team: Locator, name: string): Locator {
    return team.getByRole('listitem').filter({ has: this.page.getByRole('button', { name, exact: true }) });
  }

  /** The side panel that edits the selected agent. */
  get inspector(): Locator {
    return this.page.getByRole('complementary', { name: 'Agent details' });
  }

  // Briefs and phases

  /** The side panel that edits the selected team's brief and phase. */
  get teamInspector(): Locator {
    return this.page.getByRole('complementary', { name: 'Team details' });
  }

  /** The brief on a team card, shown as a button that opens its text box. */
  briefButton(team: Locator): Locator {
    return team.getByRole('button', { name: /^Brief of / });
  }

  /** The card's brief text box, open after a click on the brief. */
  briefBox(team: Locator): Locator {
    return team.getByLabel(/^Brief of /);
  }

  /** "Phase 2 · after Infra, Workers" on a team card. */
  phase(team: Locator): Locator {
    return team.getByTestId('team-phase');
  }

  /** The "starts after" checkbox for `other` inside `scope` (a card or the team inspector). */
  afterBox(scope: Locator, other: string): Locator {
    return scope
      .getByRole('group', { name: / starts after$/ })
      .getByRole('checkbox', { name: other, exact: true });
  }

  /** Opens a team's brief and phase in the team inspector. */
  async openTeamDetails(team: Locator, name: string): Promise<Locator> {
    await team.getByRole('button', { name: `Brief and phase of ${name}` }).click();
    await expect(this.teamInspector.getByRole('heading', { name })).toBeVisible();
    return this.teamInspector;
  }

  /** Selects an agent on the board, opening it in the inspector. */
  async selectAgent(team: Locator, name: string): Promise<Locator> {
    await team.getByRole('button', { name, exact: true }).click();
    await expect(this.inspector.getByLabel('Name', { exact: true })).toHaveValue(name);
    return this.inspector;
  }

  /** Agent names of a team card, top to bottom. */
  async agentNames(team: Locator): Promise<string[]> {
    return team
      .getByRole('list', { name: /^Agents of / })
      .getByRole('listitem')
      .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.agent ?? ''));
  }

  async openNewDesign(): Promise<void> {
    await this.page.getByRole('button', { name: 'New design' }).click();
    await expect(this.page.getByLabel('Design name')).toBeVisible();
  }

  async open(name: string): Promise<void> {
    await this.row(name)
      .getByRole('button', { name: `Edit ${name}` })
      .click();
    await expect(this.page.getByLabel('Design name')).toHaveValue(name);
  }

  async backToList(): Promise<void> {
    await this.page.getByRole('button', { name: 'Team designs' }).click();
    await expect(this.listHeading).toBeVisible();
  }

  async save(): Promise<void> {
    await this.saveButton.click();
    await expect(this.page.getByText('Saved', { exact: true })).toBeVisible();
  }

  /** Adds coders to `team` until it holds `count` agents; returns their default names. */
  async addCoder(team: Locator): Promise<void> {
    await team.getByRole('button', { name: 'Add coder' }).click();
  }

  async fillAgent(team: Locator, currentName: string, input: AgentInput): Promise<void> {
    const panel = await this.selectAgent(team, currentName);
    await panel.getByLabel('Name', { exact: true }).fill(input.name);
    if (input.role) await panel.getByLabel('Role').selectOption({ label: input.role });
    if (input.model) await panel.getByLabel('Model').selectOption(input.model);
    if (input.budget !== undefined) await panel.getByLabel('Budget (USD)').fill(input.budget);
    if (input.commands !== undefined) await panel.getByLabel('Allowed commands').fill(input.commands);
  }

  /** Checks every visible field of a team against what the spec typed. */
  async expectTeam(input: TeamInput): Promise<void> {
    const team = this.team(input.name);
    await expect(team).toBeVisible();
    await expect(team.getByLabel('Team name')).toHaveValue(input.name);
    await expect(team.getByLabel('Team budget (USD)')).toHaveValue(input.budget ?? '');
    await expect.poll(() => this.agentNames(team)).toEqual(input.agents.map((a) => a.name));
    for (const agent of input.agents) {
      const panel = await this.selectAgent(team, agent.name);
      if (agent.role) await expect(panel.getByLabel('Role').locator('option:checked')).toHaveText(agent.role);
      if (agent.model) await expect(panel.getByLabel('Model')).toHaveValue(agent.model);
      await expect(panel.getByLabel('Budget (USD)')).toHaveValue(agent.budget ?? '');
    }
  }
}
