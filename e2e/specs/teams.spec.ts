import { readFile } from 'node:fs/promises';
import { test, expect } from '../fixtures.js';
import { DEFAULT_MODEL_BY_ROLE, MODELS } from '../../src/shared/models.js';
import { TeamsPage, type TeamInput } from '../pages/teams-page.js';

const LEAD = DEFAULT_MODEL_BY_ROLE.leader;
const CODER = DEFAULT_MODEL_BY_ROLE.coder;
const REVIEWER = DEFAULT_MODEL_BY_ROLE.reviewer;
const HAIKU = MODELS.find((m) => m.pool === 'haiku')!.id;

const DESIGN = 'Payments squad';

const TEAMS: TeamInput[] = [
  {
    name: 'Checkout',
    budget: '50',
    agents: [
      { name: 'Checkout lead', role: 'Leader', model: LEAD, budget: '12.5' },
      { name: 'Coder 1-1', role: 'Coder', model: CODER, budget: '', commands: 'npm test, git status' },
      { name: 'Coder 1-2', role: 'Coder', model: HAIKU, budget: '2' },
      { name: 'Coder 1-3', role: 'Coder', model: CODER, budget: '' },
    ],
  },
  {
    name: 'Ledger',
    budget: '',
    agents: [
      { name: 'Lead 2', role: 'Leader', model: LEAD, budget: '' },
      { name: 'Coder 2-1', role: 'Coder', model: CODER, budget: '' },
      { name: 'Coder 2-2', role: 'Coder', model: CODER, budget: '' },
      { name: 'Ledger reviewer', role: 'Reviewer', model: REVIEWER, budget: '3.25' },
    ],
  },
];

test('a new user designs two teams, saves, exports, deletes and imports them back', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const teams = new TeamsPage(page);
  await page.goto(appUrl);

  // The shell says where the engine is and what it talks to.
  await expect(page.getByText('Simulated provider')).toBeVisible();
  await expect(page.getByText('Browser mode')).toBeVisible();
  await expect(page.getByRole('status', { name: 'Engine: Connected' })).toBeVisible();
  await expect(teams.listHeading).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No team designs yet' })).toBeVisible();
  await saveScreen('teams-empty');

  // Design: a new design starts with Team 1 = Lead 1 + Coder 1-1.
  await teams.openNewDesign();
  await saveScreen('editor-new');
  await page.getByLabel('Design name').fill(DESIGN);
  await page.getByLabel('Description').fill('Checkout and ledger work for the payments service.');
  await expect(teams.unsavedBadge).toBeVisible();

  const team1 = teams.team('Team 1');
  await team1.getByLabel('Team name').fill('Checkout');
  const checkout = teams.team('Checkout');
  await checkout.getByLabel('Team budget (USD)').fill('50');
  await teams.addCoder(checkout);
  await teams.addCoder(checkout);
  await teams.fillAgent(checkout, 'Lead 1', { name: 'Checkout lead', budget: '12.5' });
  await teams.fillAgent(checkout, 'Coder 1-1', { name: 'Coder 1-1', commands: 'npm test, git status' });
  await teams.fillAgent(checkout, 'Coder 1-2', { name: 'Coder 1-2', model: HAIKU, budget: '2' });

  await page.getByRole('button', { name: 'Add team' }).click();
  await teams.team('Team 2').getByLabel('Team name').fill('Ledger');
  const ledger = teams.team('Ledger');
  await teams.addCoder(ledger);
  await teams.addCoder(ledger);
  await teams.fillAgent(ledger, 'Coder 2-3', { name: 'Ledger reviewer', role: 'Reviewer', budget: '3.25' });

  for (const team of TEAMS) await teams.expectTeam(team);
  await expect(page.getByText('2 teams · 8 agents')).toBeVisible();
  await saveScreen('editor-filled');

  await teams.save();
  await expect(teams.unsavedBadge).toHaveCount(0);
  await expect(page).toHaveURL(/#\/teams\/[A-Za-z0-9_-]+$/);

  // Persisted: a reload reads it back from the engine.
  await page.reload();
  await expect(page.getByLabel('Design name')).toHaveValue(DESIGN);
  await expect(page.getByLabel('Description')).toHaveValue(
    'Checkout and ledger work for the payments service.',
  );
  for (const team of TEAMS) await teams.expectTeam(team);
  const coder = await teams.selectAgent(teams.team('Checkout'), 'Coder 1-1');
  await expect(coder.getByLabel('Allowed commands')).toHaveValue('npm test\ngit status');
  await saveScreen('editor-saved');

  await teams.backToList();
  const row = teams.row(DESIGN);
  await expect(row.getByRole('cell')).toContainText(['2', '8']);
  await saveScreen('teams-list');

  // Export: the download is the team file, budgets in dollars.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('button', { name: `Export ${DESIGN}` }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('Payments-squad.team.json');
  const exportedPath = test.info().outputPath('exported.team.json');
  await download.saveAs(exportedPath);
  const exported = await readFile(exportedPath, 'utf8');
  const file = JSON.parse(exported) as {
    format: string;
    version: number;
    design: {
      name: string;
      teams: {
        name: string;
        budgetUsd: number | null;
        agents: {
          name: string;
          model: string;
          role: string;
          budgetUsd: number | null;
          permissions: { allowedCommands: string[] };
        }[];
      }[];
    };
  };
  expect(file.format).toBe('control-room/team-design');
  expect(file.version).toBe(1);
  expect(file.design.name).toBe(DESIGN);
  expect(file.design.teams.map((t) => [t.name, t.budgetUsd])).toEqual([
    ['Checkout', 50],
    ['Ledger', null],
  ]);
  expect(
    file.design.teams.flatMap((t) => t.agents.map((a) => [a.name, a.role, a.model, a.budgetUsd])),
  ).toEqual([
    ['Checkout lead', 'leader', LEAD, 12.5],
    ['Coder 1-1', 'coder', CODER, null],
    ['Coder 1-2', 'coder', HAIKU, 2],
    ['Coder 1-3', 'coder', CODER, null],
    ['Lead 2', 'leader', LEAD, null],
    ['Coder 2-1', 'coder', CODER, null],
    ['Coder 2-2', 'coder', CODER, null],
    ['Ledger reviewer', 'reviewer', REVIEWER, 3.25],
  ]);
  expect(file.design.teams[0]!.agents[1]!.permissions.allowedCommands).toEqual(['npm test', 'git status']);

  // Delete, after a confirmation that can be cancelled.
  await row.getByRole('button', { name: `Delete ${DESIGN}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this team design?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(DESIGN);
  await saveScreen('teams-delete-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(teams.row(DESIGN)).toBeVisible();
  await row.getByRole('button', { name: `Delete ${DESIGN}` }).click();
  await dialog.getByRole('button', { name: 'Delete design' }).click();
  await expect(teams.notice).toHaveText(/Deleted “Payments squad”\./);
  await expect(page.getByRole('heading', { name: 'No team designs yet' })).toBeVisible();

  // Import the exported file: the same design comes back.
  await teams.importFile(exportedPath);
  await expect(teams.notice).toHaveText(/Imported “Payments squad” \(2 teams, 8 agents\)\./);
  await expect(teams.row(DESIGN)).toBeVisible();
  await saveScreen('teams-imported');
  await teams.open(DESIGN);
  for (const team of TEAMS) await teams.expectTeam(team);

  // Byte for byte: exporting the imported design gives the same file.
  await teams.backToList();
  const [again] = await Promise.all([
    page.waitForEvent('download'),
    teams
      .row(DESIGN)
      .getByRole('button', { name: `Export ${DESIGN}` })
      .click(),
  ]);
  const againPath = test.info().outputPath('re-exported.team.json');
  await again.saveAs(againPath);
  expect(await readFile(againPath, 'utf8')).toBe(exported);
});
