import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import { DEFAULT_MODEL_BY_ROLE } from '../../src/shared/models.js';
import { test, expect } from '../fixtures.js';
import { TeamsPage } from '../pages/teams-page.js';

/** Drags with real pointer moves: dnd-kit starts a drag only after the pointer travels. */
async function drag(page: Page, from: Locator, to: Locator): Promise<void> {
  await to.scrollIntoViewIfNeeded();
  await from.scrollIntoViewIfNeeded();
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 8, a.y + a.height / 2 + 8, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 16 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2 + 2, { steps: 2 });
  await page.mouse.up();
}

const coders = (team: number, n: number) => Array.from({ length: n }, (_, i) => `Coder ${team}-${i + 1}`);

test('a new user designs teams on the board: template, drags, checks, split, undo, save', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const teams = new TeamsPage(page);
  const checks = page.getByRole('region', { name: 'Design checks' });
  await page.goto(appUrl);

  // A template gives a whole design in one click.
  await page.getByRole('button', { name: 'Use template 4 × 4 × 4' }).click();
  await expect(page.getByLabel('Design name')).toHaveValue('4 × 4 × 4');
  await expect(page.getByText('4 teams · 20 agents')).toBeVisible();
  for (const [n, name] of ['Infrastructure', 'Workers', 'Operations', 'Interfaces'].entries()) {
    expect(await teams.agentNames(teams.team(name))).toEqual([`Lead ${n + 1}`, ...coders(n + 1, 4)]);
  }
  await expect(checks).toContainText('All checks pass');
  // The estimate reads the engine's price table and limits.
  const estimate = page.getByRole('region', { name: 'Estimate before launch' });
  await expect(estimate.getByTestId('estimate-total')).toHaveText(/^\$\d+\.\d\d$/);
  await expect(estimate.getByRole('table', { name: 'Cost per team' }).getByRole('row')).toHaveCount(5);
  await expect(estimate).toContainText(/Sonnet pool: your design needs ~\d+% of/);
  await saveScreen('designer-template');

  // Drag a coder from Infrastructure to Workers with the mouse.
  const team1 = teams.team('Infrastructure');
  const team2 = teams.team('Workers');
  await drag(page, teams.agent(team1, 'Coder 1-4'), teams.agent(team2, 'Coder 2-4'));
  await expect.poll(() => teams.agentNames(team1)).toEqual(['Lead 1', ...coders(1, 3)]);
  expect(await teams.agentNames(team2)).toEqual([
    'Lead 2',
    'Coder 2-1',
    'Coder 2-2',
    'Coder 2-3',
    'Coder 1-4',
    'Coder 2-4',
  ]);
  await expect(teams.unsavedBadge).toBeVisible();

  // Six agents: the split warning explains the arithmetic.
  const warning = checks.getByRole('listitem').filter({ hasText: '“Workers” has 6 agents (more than 5)' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('all 6 succeed only 0.95^6 ≈ 74%');
  await expect(warning).toContainText('5 agents: 0.95^5 ≈ 77%');
  await expect(warning).toContainText('15 agents: 0.95^15 ≈ 46%');
  await expect(team2.getByText('Over 5 agents')).toBeVisible();
  await saveScreen('designer-split-warning');

  // A role from the palette onto a team: the new agent opens in the inspector.
  await drag(
    page,
    page.getByRole('button', { name: 'Reviewer: drag onto a team' }),
    teams.agent(team1, 'Coder 1-1'),
  );
  await expect
    .poll(() => teams.agentNames(team1))
    .toEqual(['Lead 1', 'Reviewer 1-1', 'Coder 1-1', 'Coder 1-2', 'Coder 1-3']);
  await expect(teams.inspector.getByLabel('Name', { exact: true })).toHaveValue('Reviewer 1-1');
  await teams.inspector.getByLabel('Budget (USD)').fill('4');
  await teams.inspector.getByLabel('File write scope').fill('docs/\nsrc/review/');

  // A leader cannot join a team that has one: the drop is refused and said why.
  await drag(
    page,
    page.getByRole('button', { name: 'Leader: drag onto a team' }),
    teams.agent(team1, 'Coder 1-1'),
  );
  await expect(page.getByRole('status').filter({ hasText: 'already has a leader' })).toBeAttached();
  expect(await teams.agentNames(team1)).toHaveLength(5);

  // The keyboard: pick a coder up with Space, move it left into Operations, drop it.
  const team3 = teams.team('Operations');
  const team4 = teams.team('Interfaces');
  const handle = team4.getByRole('button', { name: 'Drag Coder 4-1' });
  // Each step waits for what a screen reader would hear: dnd-kit measures the board a
  // frame after pick-up, and a key pressed before that is lost on a busy machine.
  const liveRegion = page.locator('[id^="DndLiveRegion"]');
  await handle.focus();
  await page.keyboard.press('Space');
  // dnd-kit announces the pick-up, then at once where the item is: either means it is held.
  await expect(liveRegion).toContainText(/Picked up Coder 4-1|Coder 4-1 is over/);
  await page.keyboard.press('ArrowLeft');
  await expect(liveRegion).toContainText(/Coder 4-1 is over .*Operations/);
  await page.keyboard.press('Space');
  await expect(liveRegion).toContainText('was dropped');
  await expect.poll(() => teams.agentNames(team3)).toContain('Coder 4-1');
  expect(await teams.agentNames(team4)).toEqual(['Lead 4', 'Coder 4-2', 'Coder 4-3', 'Coder 4-4']);

  // And the menu, for people who do not drag: move it back.
  await teams.agent(team3, 'Coder 4-1').getByRole('button', { name: 'Actions for Coder 4-1' }).click();
  await page.getByRole('menuitem', { name: 'Move to Interfaces' }).click();
  await expect.poll(() => teams.agentNames(team4)).toEqual(['Lead 4', ...coders(4, 4).slice(1), 'Coder 4-1']);

  // Split the big team with the warning's button.
  await warning.getByRole('button', { name: 'Split into two teams' }).click();
  await expect(warning).toHaveCount(0);
  expect(await teams.agentNames(team2)).toEqual(['Lead 2', 'Coder 2-1', 'Coder 2-2', 'Coder 2-3']);
  const team5 = teams.team('Workers 2');
  expect(await teams.agentNames(team5)).toEqual(['Lead 5', 'Coder 1-4', 'Coder 2-4']);
  await expect(page.getByText('5 teams · 22 agents')).toBeVisible();

  // Undo brings the big team back, redo splits it again (keyboard and buttons).
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('ControlOrMeta+z');
  await expect(warning).toBeVisible();
  await expect(team5).toHaveCount(0);
  await page.keyboard.press('Shift+ControlOrMeta+z');
  await expect(warning).toHaveCount(0);
  await expect(team5).toBeVisible();
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(team5).toHaveCount(0);
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(team5).toBeVisible();

  // A cost/quality mismatch gets a one-click fix.
  await teams.selectAgent(team5, 'Coder 2-4');
  await teams.inspector.getByLabel('Model').selectOption(DEFAULT_MODEL_BY_ROLE.leader);
  const mismatch = checks.getByRole('listitem').filter({ hasText: 'Coder “Coder 2-4” runs on Claude Opus' });
  await expect(mismatch).toBeVisible();
  await expect(team5.getByRole('button', { name: 'Coder 2-4', exact: true })).toHaveAccessibleDescription(
    /Coder · Opus/,
  );
  await mismatch.getByRole('button', { name: /^Use Claude Sonnet/ }).click();
  await expect(mismatch).toHaveCount(0);
  await expect(teams.inspector.getByLabel('Model')).toHaveValue(DEFAULT_MODEL_BY_ROLE.coder);

  // Drop a whole team on the duplicate zone to copy it.
  await drag(
    page,
    team5.getByRole('button', { name: 'Drag team Workers 2' }),
    page.getByLabel('Duplicate zone'),
  );
  await expect(teams.team('Workers 2 2')).toBeVisible();
  expect(await teams.agentNames(teams.team('Workers 2 2'))).toHaveLength(3);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(teams.team('Workers 2 2')).toHaveCount(0);

  await page.getByLabel('Design name').fill('Platform rebuild');
  await expect(checks).toContainText('All checks pass');
  await saveScreen('designer-ready');
  await teams.save();

  // Persisted: a reload reads the same board back from the engine.
  await page.reload();
  await expect(page.getByLabel('Design name')).toHaveValue('Platform rebuild');
  const expected: Record<string, string[]> = {
    Infrastructure: ['Lead 1', 'Reviewer 1-1', 'Coder 1-1', 'Coder 1-2', 'Coder 1-3'],
    Workers: ['Lead 2', 'Coder 2-1', 'Coder 2-2', 'Coder 2-3'],
    'Workers 2': ['Lead 5', 'Coder 1-4', 'Coder 2-4'],
    Operations: ['Lead 3', ...coders(3, 4)],
    Interfaces: ['Lead 4', 'Coder 4-2', 'Coder 4-3', 'Coder 4-4', 'Coder 4-1'],
  };
  await expect
    .poll(() =>
      page
        .getByRole('list', { name: 'Teams' })
        .getByLabel('Team name')
        .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
    )
    .toEqual(Object.keys(expected));
  for (const [name, agents] of Object.entries(expected))
    expect(await teams.agentNames(teams.team(name))).toEqual(agents);
  const reviewer = await teams.selectAgent(team1, 'Reviewer 1-1');
  await expect(reviewer.getByLabel('Budget (USD)')).toHaveValue('4');
  await expect(reviewer.getByLabel('File write scope')).toHaveValue('docs/\nsrc/review/');
  await expect(teams.unsavedBadge).toHaveCount(0);
  await saveScreen('designer-saved');

  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreen('designer-dark');
});

test('the designer explains a design with no leader and no teams, and fixes it', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const teams = new TeamsPage(page);
  const checks = page.getByRole('region', { name: 'Design checks' });
  await page.goto(appUrl);
  await teams.openNewDesign();
  const team1 = teams.team('Team 1');
  await teams.agent(team1, 'Lead 1').getByRole('button', { name: 'Actions for Lead 1' }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  const problem = checks.getByRole('listitem').filter({ hasText: '“Team 1” has no leader' });
  await expect(problem).toContainText('1 coder would have nobody');
  await expect(team1.getByText('No leader')).toBeVisible();
  await saveScreen('designer-no-leader');
  await problem.getByRole('button', { name: 'Add a leader' }).click();
  expect(await teams.agentNames(team1)).toEqual(['Lead 1', 'Coder 1-1']);

  await team1.getByRole('button', { name: 'Actions for Team 1' }).click();
  await page.getByRole('menuitem', { name: 'Remove team' }).click();
  await expect(checks).toContainText('This design has no teams');
  await expect(page.getByText('This design has no teams yet.')).toBeVisible();
  await saveScreen('designer-empty');
  await page.keyboard.press('ControlOrMeta+z');
  await expect(team1).toBeVisible();
});

test('a person runs an agent on Claude Code: tools, MCP servers, checks, save, export and import', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  const teams = new TeamsPage(page);
  const checks = page.getByRole('region', { name: 'Design checks' });
  const DESIGN = 'Claude squad';
  await page.goto(appUrl);
  await teams.openNewDesign();
  await page.getByLabel('Design name').fill(DESIGN);
  const team1 = teams.team('Team 1');

  // Built-in is the default; Claude Code brings its tools, on the coder's defaults.
  await teams.selectAgent(team1, 'Coder 1-1');
  await expect(teams.runtimeSelect).toHaveValue('built-in');
  await expect(teams.inspector.getByRole('group', { name: 'Claude Code tools' })).toHaveCount(0);
  await teams.runtimeSelect.selectOption('claude-code');
  await expect(teams.claudeCodeTool('Bash')).toBeChecked();
  await expect(teams.claudeCodeTool('WebFetch')).not.toBeChecked();
  await expect(teams.agentButton(team1, 'Coder 1-1')).toHaveAccessibleDescription(/· Claude Code$/);
  await expect(team1.getByText('Claude Code', { exact: true })).toBeVisible();
  await expect(teams.agentButton(team1, 'Lead 1')).not.toHaveAccessibleDescription(/Claude Code/);

  // The checks explain what this choice means here, each with a fix.
  await expect(checks).toContainText('“Coder 1-1” runs on Claude Code, but the provider is simulated');
  const bash = checks
    .getByRole('listitem')
    .filter({ hasText: '“Coder 1-1” may use Bash but has no allowed commands' });
  await expect(bash).toContainText('every command it runs will wait in the Inbox');
  await saveScreen('designer-claude-code');

  // Picking tools: Bash off (the check goes away), WebFetch on.
  await teams.claudeCodeTool('Bash').uncheck();
  await expect(bash).toHaveCount(0);
  await teams.claudeCodeTool('WebFetch').check();

  // MCP servers: a local command, and a URL that is fixed after its error shows.
  await teams.inspector.getByRole('button', { name: 'Add MCP server' }).click();
  const files = teams.mcpServer(1);
  await files.getByLabel('Server name').fill('files');
  await files.getByLabel('Command').fill('npx');
  await files.getByLabel('Arguments').fill('-y\nmcp-files');
  await teams.inspector.getByRole('button', { name: 'Add MCP server' }).click();
  const docs = teams.mcpServer(2);
  await docs.getByLabel('Server name').fill('docs');
  await docs.getByLabel('Transport').selectOption('http');
  await docs.getByLabel('URL').fill('docs.example.com');
  await expect(docs.getByLabel('URL')).toHaveAccessibleDescription('must be an http(s) URL');
  await docs.getByLabel('URL').fill('https://docs.example.com/mcp');
  await expect(docs.getByLabel('URL')).not.toHaveAttribute('aria-invalid', 'true');
  await saveScreen('designer-claude-code-mcp');

  // Undo and redo walk through the runtime edits; the unsaved marker follows.
  await expect(teams.unsavedBadge).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).focus();
  // Typing into one field is one step: undo empties the URL, redo puts it back.
  await page.keyboard.press('ControlOrMeta+z');
  await expect(teams.mcpServer(2).getByLabel('URL')).toHaveValue('');
  await page.keyboard.press('ControlOrMeta+Shift+z');
  await expect(teams.mcpServer(2).getByLabel('URL')).toHaveValue('https://docs.example.com/mcp');

  await teams.save();
  await expect(teams.unsavedBadge).toHaveCount(0);

  const expectKept = async () => {
    const team = teams.team('Team 1');
    await expect(teams.agentButton(team, 'Coder 1-1')).toHaveAccessibleDescription(/· Claude Code$/);
    await teams.selectAgent(team, 'Coder 1-1');
    await expect(teams.runtimeSelect).toHaveValue('claude-code');
    await expect(teams.claudeCodeTool('Bash')).not.toBeChecked();
    await expect(teams.claudeCodeTool('WebFetch')).toBeChecked();
    await expect(teams.claudeCodeTool('Edit')).toBeChecked();
    await expect(teams.mcpServer(1).getByLabel('Command')).toHaveValue('npx');
    await expect(teams.mcpServer(1).getByLabel('Arguments')).toHaveValue('-y\nmcp-files');
    await expect(teams.mcpServer(2).getByLabel('URL')).toHaveValue('https://docs.example.com/mcp');
    await expect(teams.unsavedBadge).toHaveCount(0);
  };
  // Persisted: a reload reads it back from the engine.
  await page.reload();
  await expect(page.getByLabel('Design name')).toHaveValue(DESIGN);
  await expectKept();

  // Exported: the file carries the runtime and the Claude Code settings.
  await teams.backToList();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    teams
      .row(DESIGN)
      .getByRole('button', { name: `Export ${DESIGN}` })
      .click(),
  ]);
  const exportedPath = test.info().outputPath('claude-code.team.json');
  await download.saveAs(exportedPath);
  const file = JSON.parse(await readFile(exportedPath, 'utf8')) as {
    design: { teams: { agents: { name: string; runtime?: string; claudeCode?: unknown }[] }[] };
  };
  const [lead, coder] = file.design.teams[0]!.agents;
  expect(lead).not.toHaveProperty('runtime');
  expect(coder).toMatchObject({
    name: 'Coder 1-1',
    runtime: 'claude-code',
    claudeCode: {
      allowedTools: ['Read', 'Glob', 'Grep', 'LS', 'Edit', 'MultiEdit', 'Write', 'TodoWrite', 'WebFetch'],
      mcpServers: [
        { name: 'files', type: 'stdio', command: 'npx', args: ['-y', 'mcp-files'] },
        { name: 'docs', type: 'http', url: 'https://docs.example.com/mcp' },
      ],
    },
  });

  // Deleted and imported back: the runtime is kept.
  await teams
    .row(DESIGN)
    .getByRole('button', { name: `Delete ${DESIGN}` })
    .click();
  await page
    .getByRole('dialog', { name: 'Delete this team design?' })
    .getByRole('button', { name: 'Delete design' })
    .click();
  await expect(page.getByRole('heading', { name: 'No team designs yet' })).toBeVisible();
  await teams.importFile(exportedPath);
  await expect(teams.notice).toHaveText(/Imported “Claude squad” \(1 team, 2 agents\)\./);
  await teams.open(DESIGN);
  await expectKept();
  await saveScreen('designer-claude-code-imported');
});

test.describe('when Claude Code cannot start on this machine', () => {
  test.use({ engineEnv: { CONTROL_ROOM_CLAUDE_CODE_PATH: '/nonexistent/claude' } });

  test('its agents are marked on the board with the reason, and one click switches them back', async ({
    page,
    appUrl,
    saveScreen,
  }) => {
    const teams = new TeamsPage(page);
    const checks = page.getByRole('region', { name: 'Design checks' });
    await page.goto(appUrl);
    await teams.openNewDesign();
    const team1 = teams.team('Team 1');
    await teams.selectAgent(team1, 'Coder 1-1');
    await expect(teams.runtimeSelect.locator('option[value="claude-code"]')).toHaveText(
      'Claude Code (not available here)',
    );
    await teams.runtimeSelect.selectOption('claude-code');

    const reason = 'CONTROL_ROOM_CLAUDE_CODE_PATH points to /nonexistent/claude, which does not exist';
    const coder = teams.agentButton(team1, 'Coder 1-1');
    await expect(coder).toHaveAccessibleDescription(
      new RegExp(`· Claude Code Cannot start here: ${reason}$`),
    );
    await expect(team1.locator('.runtime-warning')).toHaveAttribute('title', `Cannot start here: ${reason}`);
    const problem = checks
      .getByRole('listitem')
      .filter({ hasText: '“Coder 1-1” runs on Claude Code, which cannot start on this machine' });
    await expect(problem).toContainText(reason);
    await saveScreen('designer-claude-code-unavailable');

    await problem.getByRole('button', { name: 'Switch to built-in' }).click();
    await expect(teams.runtimeSelect).toHaveValue('built-in');
    await expect(coder).not.toHaveAccessibleDescription(/Claude Code/);
    await expect(team1.locator('.runtime-warning')).toHaveCount(0);
  });
});
