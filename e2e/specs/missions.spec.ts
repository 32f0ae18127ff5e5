import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '../fixtures.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import type { TeamDesignDraft } from '../../src/shared/team.js';
import { MissionsPage } from '../pages/missions-page.js';

// Fast enough for a test, slow enough to watch states change.
test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.05' } });

const agent = designAgent;

const DESIGN: TeamDesignDraft = {
  name: 'Shop squad',
  description: 'Checkout and ledger work.',
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
  teams: [
    {
      id: 'checkout',
      name: 'Checkout',
      budgetNanoUsd: null,
      position: { x: 0, y: 0 },
      agents: [agent('checkout-lead', 'Checkout lead', 'leader'), agent('c11', 'Coder 1-1', 'coder'), agent('c12', 'Coder 1-2', 'coder')],
    },
    {
      id: 'ledger',
      name: 'Ledger',
      budgetNanoUsd: null,
      position: { x: 300, y: 0 },
      agents: [agent('ledger-lead', 'Ledger lead', 'leader'), agent('c21', 'Coder 2-1', 'coder')],
    },
  ],
};

test('a new user launches a mission, approves the plan, stops an idle agent and reads a transcript', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(120_000);
  const ui = new MissionsPage(page);
  const repo = makeRepo(join(dataDir, 'work'));
  const plainFolder = join(dataDir, 'not-a-repo');
  mkdirSync(plainFolder);

  await page.goto(appUrl);
  await invoke(page, 'teams:save', { design: DESIGN });

  // An empty list says what a mission is and how to start one.
  await ui.nav('Missions').click();
  await expect(page.getByRole('heading', { name: 'No missions yet' })).toBeVisible();
  await saveScreen('missions-empty');
  await page.getByRole('button', { name: 'Launch a mission' }).click();
  await expect(page).toHaveURL(/#\/missions\/new$/);
  await expect(ui.launchForm.getByLabel('Team design')).toHaveValue(/.+/);
  await saveScreen('mission-launch');

  // Mistakes are explained beside the field they are about, and nothing is created.
  await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();
  await expect(ui.fieldError('Goal')).toContainText('Say what the teams should achieve');
  await expect(ui.fieldError('Repository folder')).toBeVisible();
  await ui.fillLaunch({ goal: 'Add a cart with totals and a ledger export.', repo: plainFolder });
  await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();
  await expect(ui.fieldError('Repository folder')).toContainText('is not a git repository');
  await saveScreen('mission-launch-error-repo');
  await ui.fillLaunch({ repo, branch: 'develop' });
  await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();
  await expect(ui.fieldError('Base branch')).toContainText('The base branch "develop" does not exist');
  await expect(ui.fieldError('Base branch')).toContainText('its branches are: main');
  await expect(ui.fieldError('Repository folder')).toHaveCount(0);
  await saveScreen('mission-launch-error-branch');

  await ui.fillLaunch({ branch: 'main', budget: '5', commands: 'node --test' });
  await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();

  // The mission page: leaders plan, then the plan waits for approval.
  await expect(page).toHaveURL(/#\/missions\/m-[0-9a-f]+$/);
  await expect(page.getByRole('status').filter({ hasText: 'Mission launched' })).toBeVisible();
  const approval = page.getByRole('region', { name: 'Plan approval' });
  await expect(approval).toBeVisible({ timeout: 30_000 });
  await expect(ui.stateBadge).toHaveText('Plan awaits approval');
  await expect(ui.teamPlan('Checkout').getByRole('row')).not.toHaveCount(0);
  await expect(ui.teamPlan('Ledger').getByRole('row')).not.toHaveCount(0);
  await expect(ui.teamPlan('Checkout')).toContainText('Planned');
  await saveScreen('mission-plan-approval');

  // The agents view lists every agent; coders wait idle while the plan is reviewed.
  await ui.nav('Agents').click();
  await expect(ui.agentsTable).toBeVisible();
  await expect.poll(() => ui.agentNames()).toHaveLength(5);
  await expect(ui.agentRow('Coder 1-2')).toContainText('Idle');
  await expect(ui.agentRow('Coder 1-2')).toContainText('Checkout');
  await expect(ui.agentRow('Checkout lead')).toContainText('Leader');
  await saveScreen('agents');

  // Sorting and filtering.
  await page.getByRole('columnheader', { name: 'Agent' }).getByRole('button').click();
  await expect.poll(() => ui.agentNames()).toEqual(['Checkout lead', 'Coder 1-1', 'Coder 1-2', 'Coder 2-1', 'Ledger lead']);
  await page.getByRole('columnheader', { name: 'Agent' }).getByRole('button').click();
  await expect(page.getByRole('columnheader', { name: 'Agent' })).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(() => ui.agentNames()).toEqual(['Ledger lead', 'Coder 2-1', 'Coder 1-2', 'Coder 1-1', 'Checkout lead']);
  await page.getByLabel('Team').selectOption({ label: 'Ledger' });
  await expect.poll(() => ui.agentNames()).toEqual(['Ledger lead', 'Coder 2-1']);
  await page.getByLabel('Team').selectOption({ label: 'All teams' });
  await page.getByLabel('Role').selectOption({ label: 'Coder' });
  await page.getByLabel('Search agents').fill('1-');
  await expect.poll(() => ui.agentNames()).toEqual(['Coder 1-2', 'Coder 1-1']);
  await saveScreen('agents-filtered');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect.poll(() => ui.agentNames()).toHaveLength(5);

  // Killing an idle coder says what is lost and kept, then shows it killed.
  await ui.agentRow('Coder 1-2').getByRole('button', { name: 'Kill Coder 1-2' }).click();
  await expect(ui.confirmDialog).toContainText('Kill Coder 1-2?');
  await expect(ui.confirmDialog).toContainText('no call is cut short');
  await expect(ui.confirmDialog).toContainText('The worktree and branch are kept');
  await saveScreen('agents-kill-confirm');
  await ui.confirm('Kill agent');
  await expect(ui.agentRow('Coder 1-2')).toContainText('Killed');
  await expect(ui.agentRow('Coder 1-2').getByRole('button', { name: 'Kill Coder 1-2' })).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Coder 1-2 was killed.' })).toBeVisible();

  // The leader's transcript: its planning, readable, with its tool calls.
  await ui.agentRow('Checkout lead').getByRole('button', { name: 'Checkout lead', exact: true }).click();
  await expect(ui.drawer).toBeVisible();
  const transcript = ui.drawer.getByRole('log', { name: 'Transcript' });
  await expect(transcript).toContainText('Planning, round 1');
  await expect(transcript.getByRole('article').first()).toBeVisible();
  await expect(transcript).toContainText('Called');
  await page.evaluate(() => window.scrollTo(0, 0));
  await saveScreen('agent-transcript');
  await ui.drawer.getByRole('tab', { name: 'Diff' }).click();
  await expect(ui.drawer).toContainText('Only coders have a branch');
  await page.keyboard.press('Escape');
  await expect(ui.drawer).toHaveCount(0);

  // Back on the mission: approve the plan, and the work moves.
  await page.goBack();
  await expect(approval).toBeVisible();
  await approval.getByRole('button', { name: 'Approve plan' }).click();
  await expect(approval).toHaveCount(0);
  await expect(ui.stateBadge).toHaveText(/Running|Integrating/);
  await expect(ui.missionAgentRow('Checkout', 'Coder 1-2')).toContainText('Killed');

  // The Log shows the ledger's rows for both moves, made by the person.
  await ui.openLog();
  const killRow = ui.logRow('Coder 1-2 was killed by the person');
  await expect(killRow).toHaveCount(1);
  await expect(killRow).toContainText('You');
  await expect(ui.logRow(/The person approved “.*plan/i).first()).toContainText('You');
  await killRow.scrollIntoViewIfNeeded();
  await saveScreen('mission-log');
  await expect(page.locator('.task-table tbody tr[data-state="merged"]').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('progressbar', { name: 'Tasks merged' }).first()).not.toHaveAttribute('aria-valuenow', '0');
  await saveScreen('mission-running');

  // A coder's diff and task, from the mission page.
  await ui.missionAgentRow('Checkout', 'Coder 1-1').getByRole('button', { name: 'Coder 1-1', exact: true }).click();
  await ui.drawer.getByRole('tab', { name: 'Diff' }).click();
  await expect(ui.drawer.getByRole('tabpanel')).toContainText(/files ·|Nothing on this branch/);
  // The drawer is fixed to the window: a full-page shot reads right from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await saveScreen('agent-diff');
  await ui.drawer.getByRole('button', { name: 'Close agent details' }).click();

  // Pause, resume, then cancel with a confirmation that says what stays.
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(ui.stateBadge).toHaveText('Paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(ui.stateBadge).not.toHaveText('Paused');
  await page.getByRole('button', { name: 'Cancel mission' }).click();
  await expect(ui.confirmDialog).toContainText('nothing is merged into main');
  await saveScreen('mission-cancel-confirm');
  await ui.confirm('Cancel mission');
  await expect(ui.stateBadge).toHaveText('Cancelled');
  await expect(page.getByRole('button', { name: 'Cancel mission' })).toHaveCount(0);

  // The list shows it, and the dark theme reads as well as the light one.
  await ui.nav('Missions').click();
  await expect(page.getByRole('table', { name: 'Missions' }).getByRole('row')).toHaveCount(2);
  await expect(page.getByRole('table', { name: 'Missions' })).toContainText('Cancelled');
  await saveScreen('missions-list');
  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreen('missions-list-dark');
  await page.getByRole('table', { name: 'Missions' }).getByRole('button').first().click();
  await expect(ui.stateBadge).toHaveText('Cancelled');
  await saveScreen('mission-dark');
  await ui.openLog();
  await expect(ui.logRow(/Mission .+ → cancelled \(cancelled by the person\)/)).toContainText('You');
  await ui.missionLog.scrollIntoViewIfNeeded();
  await saveScreen('mission-log-dark');
  await ui.nav('Agents').click();
  await expect(ui.agentRow('Coder 1-2')).toContainText('Killed');
  await saveScreen('agents-dark');
});

test('the agents area says plainly when nothing runs', async ({ page, appUrl, saveScreen }) => {
  await page.goto(appUrl);
  await new MissionsPage(page).nav('Agents').click();
  await expect(page.getByRole('heading', { name: 'No agents are running' })).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);
  await saveScreen('agents-empty');
});

test('a thousand agents stay a short DOM: the table is virtualized', async ({ page, appUrl, dataDir, saveScreen }) => {
  const repo = makeRepo(join(dataDir, 'work'));
  await page.goto(appUrl);
  // 50 teams of 20 (the design limits): a leader and 19 coders each.
  const teams = Array.from({ length: 50 }, (_, t) => ({
    id: `team-${t}`,
    name: `Team ${String(t + 1).padStart(2, '0')}`,
    budgetNanoUsd: null,
    position: { x: t * 10, y: 0 },
    agents: Array.from({ length: 20 }, (_, a) =>
      agent(`t${t}-a${a}`, a === 0 ? `Lead ${t + 1}` : `Coder ${t + 1}-${String(a).padStart(2, '0')}`, a === 0 ? 'leader' : 'coder'),
    ),
  }));
  const design = await invoke<{ id: string }>(page, 'teams:save', { design: { ...DESIGN, name: 'Big floor', teams } });
  // A draft is enough: its agents exist (starting) without a single model call.
  await invoke(page, 'missions:create', { designId: design.id, goal: 'Scale check', repoPath: repo });

  const ui = new MissionsPage(page);
  await ui.nav('Agents').click();
  await expect(ui.agentsTable).toHaveAttribute('aria-rowcount', '1001');
  await expect(page.getByText(/^1000 agents · 0 working/)).toBeVisible();
  const rendered = await ui.agentsTable.getByRole('row').count();
  expect(rendered).toBeLessThan(60);

  await page.getByRole('columnheader', { name: 'Agent' }).getByRole('button').click();
  await expect(ui.agentsTable.getByRole('row').nth(1)).toContainText('Coder 1-01');
  // Scrolling to the end brings the last rows in, still without rendering the rest.
  await page.locator('.vtable-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect(ui.agentRow('Lead 50')).toBeVisible();
  expect(await ui.agentsTable.getByRole('row').count()).toBeLessThan(60);
  await page.getByLabel('Search agents').fill('coder 50-1');
  await expect.poll(() => ui.agentNames()).toEqual(['Coder 50-10', 'Coder 50-11', 'Coder 50-12', 'Coder 50-13', 'Coder 50-14', 'Coder 50-15', 'Coder 50-16', 'Coder 50-17', 'Coder 50-18', 'Coder 50-19']);
  await page.getByLabel('Search agents').fill('');
  await saveScreen('agents-1000');
});
