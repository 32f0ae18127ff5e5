import { join } from 'node:path';
import { test, expect } from '../fixtures.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import type { TeamDesignDraft } from '../../src/shared/team.js';
import { CostsPage } from '../pages/costs-page.js';
import { MissionsPage } from '../pages/missions-page.js';

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.02' } });

const agent = (id: string, name: string, role: 'leader' | 'coder', budgetNanoUsd: number | null = null) =>
  designAgent(id, name, role, { budgetNanoUsd });

// Checkout's second coder has a budget of one nano-dollar: its first call asks the person
// for more, so Checkout has an open blocker while Ledger works through its plan.
const DESIGN: TeamDesignDraft = {
  name: 'Status squad',
  description: '',
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
  teams: [
    {
      id: 'checkout',
      name: 'Checkout',
      budgetNanoUsd: null,
      position: { x: 0, y: 0 },
      agents: [agent('checkout-lead', 'Checkout lead', 'leader'), agent('c11', 'Coder 1-1', 'coder'), agent('c12', 'Coder 1-2', 'coder', 1)],
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

test('each team shows its progress, blockers, finish and velocity on the mission page and the Agents screen; Costs breaks spend down by task (1024 × 700)', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  const ui = new MissionsPage(page);
  const repo = makeRepo(join(dataDir, 'work'));
  await page.goto(appUrl);
  const design = await invoke<{ id: string }>(page, 'teams:save', { design: DESIGN });
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    goal: 'Add a cart with totals and a ledger export.',
    repoPath: repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  await invoke(page, 'missions:start', { id: mission.id });
  await page.goto(`${appUrl.split('?')[0]}#/missions/${mission.id}`);

  const card = (team: string) => page.locator('.team-status-card').filter({ has: page.getByRole('heading', { name: team, exact: true }) });
  const checkout = card('Checkout');
  const ledger = card('Ledger');
  await expect(page.getByRole('heading', { name: 'Teams', exact: true })).toBeVisible();

  // Checkout: the coder over budget holds a task, shown as blocked, with the blocker listed.
  await expect(checkout).toContainText('1 open blocker', { timeout: 60_000 });
  await expect(checkout).toContainText('1 blocked');
  const blocker = checkout.getByRole('button', { name: 'Coder 1-2 would exceed a budget' });
  await expect(blocker).toBeVisible();

  // Ledger: works through its plan; once something merged it has a pace and figures "n of m".
  // The simulated coders' incidental questions and permissions are approved as `run --auto-approve`
  // would; the budget stays open.
  await expect
    .poll(
      async () => {
        const open = await invoke<{ id: string; type: string; level: string }[]>(page, 'escalations:list', { missionId: mission.id, openOnly: true });
        for (const e of open.filter((x) => x.level === 'human' && x.type !== 'budget'))
          await invoke(page, 'escalations:decide', { id: e.id, decision: 'approve', comment: '', alwaysAllow: false }).catch(() => undefined);
        return (await ledger.textContent()) ?? '';
      },
      { timeout: 90_000, intervals: [500] },
    )
    .toMatch(/Merged per hour\s*[\d.]+ \/ h/);
  await expect(ledger).toContainText(/First-review approval\s*\d+ of \d+ \(\d+%\)/);
  await expect(ledger).toContainText(/Merges without conflict\s*\d+ of \d+/);
  await expect(ledger).toContainText(/Cost per merged task\s*\$[\d.]+/);
  await expect(ledger).toContainText(/Finish: (≈ .*, in |every task is merged)/);
  await saveScreen('team-status-mission-1024');

  // The blocker opens its item in the Inbox.
  await blocker.click();
  await expect(page).toHaveURL(/#\/inbox$/);
  await expect(page.getByRole('heading', { name: 'Coder 1-2 would exceed a budget' })).toBeVisible();

  // The Agents screen shows the mission's teams, and only the filtered team when one is chosen.
  await ui.nav('Agents').click();
  await expect(ui.agentsTable).toBeVisible();
  await page.getByLabel('Mission', { exact: true }).selectOption({ label: (await invoke<{ mission: { name: string } }>(page, 'missions:get', { id: mission.id })).mission.name });
  await expect(card('Checkout')).toContainText('1 open blocker');
  await expect(card('Ledger')).toBeVisible();
  await page.getByLabel('Team').selectOption({ label: 'Ledger' });
  await expect(card('Checkout')).toHaveCount(0);
  await expect(card('Ledger')).toContainText('Merged per hour');
  await saveScreen('team-status-agents-1024');

  // Costs: spend per task of the chosen mission.
  const costs = new CostsPage(page);
  await costs.open();
  await expect(page.getByText('Choose a mission above to break its spend down by task.')).toBeVisible();
  await costs.missionFilter.selectOption(mission.id);
  const byTask = page.getByRole('table', { name: 'Cost by task' });
  await expect(byTask).toBeVisible();
  await expect(byTask.getByRole('row').filter({ hasText: 'Ledger' }).first()).toContainText(/\$\d/);
  await expect(byTask.locator('tfoot')).toContainText('No task');
  await saveScreen('team-status-costs-by-task-1024');
});
