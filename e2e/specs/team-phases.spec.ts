import { test, expect } from '../fixtures.js';
import { TeamsPage } from '../pages/teams-page.js';

test('a person writes team briefs and sets phases by mouse, keyboard and menu; a circle is refused; the design saves', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const teams = new TeamsPage(page);
  const board = page.getByRole('list', { name: 'Teams' });
  await page.goto(appUrl);
  await teams.openNewDesign();
  await page.getByLabel('Design name').fill('Platform in phases');
  await page.getByRole('button', { name: 'Add team' }).click();
  await page.getByRole('button', { name: 'Add team' }).click();
  for (const [from, to] of [
    ['Team 1', 'Infra'],
    ['Team 2', 'Workers'],
    ['Team 3', 'UI'],
  ] as const) {
    await teams.team(from).getByLabel('Team name').fill(to);
  }
  const infra = teams.team('Infra');
  const workers = teams.team('Workers');
  const ui = teams.team('UI');
  // Several teams, no briefs: the checks say each needs one.
  const checks = page.getByRole('region', { name: 'Design checks' });
  await expect(checks.getByRole('listitem').filter({ hasText: '“Infra” has no brief' })).toBeVisible();

  // A brief with the mouse: click the card's brief, type, click away.
  await teams.briefButton(infra).click();
  await teams.briefBox(infra).fill('Infrastructure: database schema, config service, auth middleware');
  await page.getByLabel('Design name').click();
  await expect(teams.briefButton(infra)).toContainText('Infrastructure: database schema, config service');
  await expect(checks.getByRole('listitem').filter({ hasText: '“Infra” has no brief' })).toHaveCount(0);

  // A brief with the keyboard: Enter opens the box, Escape closes it and focus comes back.
  await teams.briefButton(workers).focus();
  await page.keyboard.press('Enter');
  await expect(teams.briefBox(workers)).toBeFocused();
  await page.keyboard.type('Workers: background jobs and queues');
  await page.keyboard.press('Escape');
  await expect(teams.briefButton(workers)).toBeFocused();
  await expect(teams.briefButton(workers)).toContainText('Workers: background jobs and queues');

  // Phases with the mouse: Workers starts after Infra.
  await expect(teams.phase(workers)).toHaveText('Phase 1 · starts at once');
  await workers.getByRole('button', { name: 'Starts after…' }).click();
  await teams.afterBox(workers, 'Infra').check();
  await expect(teams.phase(workers)).toHaveText('Phase 2 · after Infra');

  // With the keyboard, through the card menu: UI starts after Workers.
  await ui.getByRole('button', { name: 'Actions for Team UI' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem').first()).toBeFocused();
  await page.getByRole('menuitem', { name: 'Start after…' }).focus();
  await page.keyboard.press('Enter');
  await expect(teams.afterBox(ui, 'Infra')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(teams.afterBox(ui, 'Workers')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(teams.phase(ui)).toHaveText('Phase 3 · after Workers');
  // The board reads in phase order.
  await expect
    .poll(() =>
      board.getByLabel('Team name').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
    )
    .toEqual(['Infra', 'Workers', 'UI']);

  // A circle is refused, said inline, and nothing changes.
  await infra.getByRole('button', { name: 'Starts after…' }).click();
  await teams.afterBox(infra, 'UI').click();
  await expect(infra.getByRole('alert')).toHaveText(
    'Not changed: teams wait on each other in a circle ("Infra" → "UI" → "Workers" → "Infra"), so none of them could start; remove one of these "starts after" links.',
  );
  await expect(teams.afterBox(infra, 'UI')).not.toBeChecked();
  await expect(teams.phase(infra)).toHaveText('Phase 1 · starts at once');
  await saveScreen('designer-phases-refused');

  // The menu's "Start at once", undone.
  await ui.getByRole('button', { name: 'Actions for Team UI' }).click();
  await page.getByRole('menuitem', { name: 'Start at once' }).click();
  await expect(teams.phase(ui)).toHaveText('Phase 1 · starts at once');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(teams.phase(ui)).toHaveText('Phase 3 · after Workers');

  // The team inspector: focus, owned paths, and "starts after" in one place.
  const panel = await teams.openTeamDetails(ui, 'UI');
  await panel.getByLabel('Focus').fill('Interfaces: the API and the web UI');
  await panel.getByLabel('Owned paths').fill('api/\nweb/');
  await expect(teams.afterBox(panel, 'Workers')).toBeChecked();
  await teams.afterBox(panel, 'Infra').check();
  await expect(teams.phase(ui)).toHaveText('Phase 3 · after Infra, Workers');
  await expect(teams.briefButton(ui)).toContainText('Interfaces: the API and the web UI');

  // The director's model is the design's.
  await page.getByLabel('Director model').selectOption('claude-sonnet-4-6');
  await saveScreen('designer-phases');
  await teams.save();
  await expect(teams.unsavedBadge).toHaveCount(0);
  // The engine's answer to the save carries them back: the board still shows the phases.
  await expect(teams.phase(ui)).toHaveText('Phase 3 · after Infra, Workers');
  await expect(teams.briefButton(infra)).toContainText('Infrastructure: database schema');
});

test('the 4 × 4 × 4 template arrives in three phases with a brief for every team', async ({
  page,
  appUrl,
}) => {
  const teams = new TeamsPage(page);
  await page.goto(appUrl);
  await page.getByRole('button', { name: 'Use template 4 × 4 × 4' }).click();
  await expect(teams.phase(teams.team('Infrastructure'))).toHaveText('Phase 1 · starts at once');
  await expect(teams.phase(teams.team('Workers'))).toHaveText('Phase 2 · after Infrastructure');
  await expect(teams.phase(teams.team('Operations'))).toHaveText('Phase 2 · after Infrastructure');
  await expect(teams.phase(teams.team('Interfaces'))).toHaveText('Phase 3 · after Workers, Operations');
  await expect(teams.briefButton(teams.team('Infrastructure'))).toContainText(
    'Infrastructure: database schema, config service, auth middleware.',
  );
  await expect(page.getByRole('region', { name: 'Design checks' })).toContainText('All checks pass');
});

test('briefs, phases, owned paths and the director model are read back after a reload', async ({
  page,
  appUrl,
}) => {
  const teams = new TeamsPage(page);
  await page.goto(appUrl);
  await page.getByRole('button', { name: 'Use template 4 × 4 × 4' }).click();
  await page.getByLabel('Design name').fill('Kept phases');
  const ui = teams.team('Interfaces');
  const panel = await teams.openTeamDetails(ui, 'Interfaces');
  await panel.getByLabel('Owned paths').fill('api/\nweb/');
  await teams.afterBox(panel, 'Infrastructure').check();
  await page.getByLabel('Director model').selectOption('claude-sonnet-4-6');
  await teams.save();

  await page.reload();
  await expect(page.getByLabel('Design name')).toHaveValue('Kept phases');
  await expect(teams.phase(teams.team('Workers'))).toHaveText('Phase 2 · after Infrastructure');
  await expect(teams.phase(teams.team('Interfaces'))).toHaveText(
    'Phase 3 · after Infrastructure, Workers, Operations',
  );
  await expect(teams.briefButton(teams.team('Workers'))).toContainText('Workers: the background jobs');
  await expect(page.getByLabel('Director model')).toHaveValue('claude-sonnet-4-6');
  const reopened = await teams.openTeamDetails(teams.team('Interfaces'), 'Interfaces');
  await expect(reopened.getByLabel('Owned paths')).toHaveValue('api/\nweb/');
  await expect(teams.unsavedBadge).toHaveCount(0);
});
