import { DEFAULT_MODEL_BY_ROLE } from '../../src/shared/models.js';
import { test, expect } from '../fixtures.js';
import { TeamsPage } from '../pages/teams-page.js';

/** A valid team file by hand, as someone might write or edit one. */
function teamFile(model: string): string {
  return JSON.stringify({
    format: 'control-room/team-design',
    version: 1,
    design: {
      name: 'Hand written',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'team-a',
          name: 'A',
          budgetUsd: null,
          position: { x: 0, y: 0 },
          agents: [
            {
              id: 'agent-a',
              name: 'Solo',
              role: 'leader',
              model,
              budgetUsd: 5,
              systemPrompt: '',
              permissions: { allowedCommands: [], writeScope: [] },
              idleTimeoutSec: null,
            },
          ],
        },
      ],
    },
  });
}

const json = (name: string, text: string) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(text),
});

test.describe('bad input is refused with a specific message and changes nothing', () => {
  test('importing broken, unknown-model and oversized files', async ({ page, appUrl, saveScreen }) => {
    const teams = new TeamsPage(page);
    await page.goto(appUrl);
    await teams.openNewDesign();
    await page.getByLabel('Design name').fill('Existing');
    await teams.save();
    await teams.backToList();
    await expect(teams.row('Existing')).toBeVisible();
    const before = await teams.listedNames();

    await teams.importFile(json('broken.json', '{ "format": "control-room/team-design", '));
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('Could not import broken.json: team file is not valid JSON');
    await saveScreen('import-error-broken');
    expect(await teams.listedNames()).toEqual(before);

    await teams.importFile(json('unknown-model.json', teamFile('claude-imaginary-9')));
    await expect(alert).toContainText('Could not import unknown-model.json');
    await expect(alert).toContainText('unknown model "claude-imaginary-9"');
    await saveScreen('import-error-unknown-model');
    expect(await teams.listedNames()).toEqual(before);

    await teams.importFile(json('huge.json', ' '.repeat(1024 * 1024 + 1)));
    await expect(alert).toContainText('Could not import huge.json: the file is 1,048,577 bytes');
    expect(await teams.listedNames()).toEqual(before);

    // And the same file with a known model goes in.
    await teams.importFile(json('fixed.json', teamFile(DEFAULT_MODEL_BY_ROLE.leader)));
    await expect(teams.notice).toHaveText(/Imported “Hand written” \(1 team, 1 agent\)\./);
    await expect(teams.row('Hand written')).toBeVisible();
    await page.reload();
    await expect(teams.row('Existing')).toBeVisible();
    await expect(teams.row('Hand written')).toBeVisible();
  });

  test('saving a duplicate agent name or a negative budget shows the error and keeps the form', async ({
    page,
    appUrl,
    saveScreen,
  }) => {
    const teams = new TeamsPage(page);
    await page.goto(appUrl);
    await teams.openNewDesign();
    await page.getByLabel('Design name').fill('Dupes');
    const team = teams.team('Team 1');
    await teams.fillAgent(team, 'Coder 1-1', { name: 'Lead 1' });

    await teams.saveButton.click();
    await expect(teams.saveError).toContainText('duplicate agent name "Lead 1"');
    await expect(teams.saveError).toContainText('Team “Team 1”');
    await saveScreen('editor-save-error');
    // Nothing was saved, and every edit is still there.
    await expect(teams.unsavedBadge).toBeVisible();
    await expect(page.getByLabel('Design name')).toHaveValue('Dupes');
    expect(await teams.agentNames(team)).toEqual(['Lead 1', 'Lead 1']);
    await expect(teams.inspector.getByLabel('Name', { exact: true })).toHaveValue('Lead 1');

    await teams.inspector.getByLabel('Name', { exact: true }).fill('Coder 1-1');
    await team.getByLabel('Team budget (USD)').fill('-5');
    await teams.saveButton.click();
    await expect(teams.saveError).toContainText('must not be negative');
    await expect(team.getByLabel('Team budget (USD)')).toHaveValue('-5');

    await team.getByLabel('Team budget (USD)').fill('five dollars');
    await teams.saveButton.click();
    await expect(teams.saveError).toContainText('budget "five dollars" is not an amount in dollars');

    await team.getByLabel('Team budget (USD)').fill('5');
    await teams.save();
    await expect(teams.saveError).toHaveCount(0);
    await teams.backToList();
    expect(await teams.listedNames()).toEqual(['Dupes']);
  });

  test('a stale edit gets a clear conflict message instead of overwriting', async ({
    page,
    appUrl,
    context,
    saveScreen,
  }) => {
    const teams = new TeamsPage(page);
    await page.goto(appUrl);
    await teams.openNewDesign();
    await page.getByLabel('Design name').fill('Shared');
    await teams.save();
    const designUrl = page.url();

    // A second window on the same design (same browser: the session cookie is shared).
    const other = await context.newPage();
    const otherErrors: string[] = [];
    other.on('console', (m) => m.type() === 'error' && otherErrors.push(m.text()));
    await other.goto(designUrl);
    const otherTeams = new TeamsPage(other);
    await expect(other.getByLabel('Design name')).toHaveValue('Shared');
    await other.getByLabel('Description').fill('edited in the second window');

    await page.getByLabel('Description').fill('edited in the first window');
    await teams.save();

    // The second window hears about it, keeps its edits, and cannot overwrite.
    await expect(other.getByRole('alert').filter({ hasText: 'changed in another window' })).toBeVisible();
    await otherTeams.saveButton.click();
    await expect(otherTeams.saveError).toContainText('saved elsewhere after you opened it');
    await expect(other.getByLabel('Description')).toHaveValue('edited in the second window');
    await saveScreen('editor-conflict', other);

    await other.getByRole('button', { name: 'Reload design (discard my edits)' }).click();
    await expect(other.getByLabel('Description')).toHaveValue('edited in the first window');
    await expect(otherTeams.saveError).toHaveCount(0);
    await other.close();
    expect(otherErrors).toEqual([]);
  });
});
