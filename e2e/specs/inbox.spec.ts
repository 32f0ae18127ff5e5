import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { InboxPage } from '../pages/inbox-page.js';
import { MissionsPage } from '../pages/missions-page.js';

// No allowed commands: every command a coder wants to run comes to the person.
const agent = designAgent;

async function saveDesign(page: Page): Promise<{ id: string }> {
  return invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Shop squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'checkout',
          name: 'Checkout',
          budgetNanoUsd: null,
          position: { x: 0, y: 0 },
          agents: [agent('checkout-lead', 'Checkout lead', 'leader'), agent('checkout-c1', 'Cora', 'coder')],
        },
      ],
    },
  });
}

// A faster simulation keeps the suite short; the fixture's engine inherits this.
let latency: string | undefined;
test.beforeEach(() => {
  latency = process.env.CONTROL_ROOM_SIM_LATENCY;
  process.env.CONTROL_ROOM_SIM_LATENCY = '0.25';
});
test.afterEach(() => {
  if (latency === undefined) delete process.env.CONTROL_ROOM_SIM_LATENCY;
  else process.env.CONTROL_ROOM_SIM_LATENCY = latency;
});

test('the person answers escalations from the inbox with the keyboard, and the mission moves on', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(150_000);
  const inbox = new InboxPage(page);
  await page.goto(appUrl);
  await inbox.open();
  await expect(page.getByRole('heading', { name: 'Nothing needs you right now' })).toBeVisible();
  await expect(inbox.needsYou).toHaveCount(0);
  await saveScreen('inbox-empty');

  // Setup through the API the UI speaks (the Missions area is built separately).
  const repo = makeRepo(join(dataDir, 'work'));
  const design = await saveDesign(page);
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Shop changelog',
    goal: 'Add a CHANGELOG.md and a short usage section to the README.',
    repoPath: repo,
    budgetUsd: 40,
    skipPlanApproval: false,
  });
  await invoke(page, 'missions:start', { id: mission.id });

  // The plan arrives: one new item in the navigation, newest first in the list.
  const plan = inbox.row(/Approve the plan/);
  await expect(plan).toHaveCount(1, { timeout: 45_000 });
  await expect(inbox.needsYou).toHaveAccessibleName('1 needs you, 1 new');
  await expect(page.getByText('Keys:')).toBeVisible();
  await saveScreen('inbox-unread');

  // j selects it (visible focus, read, still counted until decided) and shows the plan with its tasks.
  await page.keyboard.press('j');
  await expect(plan.getByRole('button')).toBeFocused();
  await expect(inbox.needsYou).toHaveAccessibleName('1 needs you');
  await expect(inbox.detail.getByRole('region', { name: 'Plan' })).toContainText('Team Checkout');
  await expect(inbox.detail.getByRole('region', { name: 'Budget' })).toContainText('$40.00');
  await saveScreen('inbox-plan-approval');

  // r focuses the reply box; typing there triggers no shortcut; Ctrl+Enter sends it.
  await page.keyboard.press('r');
  await expect(inbox.reply).toBeFocused();
  await page.keyboard.type('Keep it to one task, and add a test.');
  await expect(inbox.reply).toHaveValue('Keep it to one task, and add a test.');
  await saveScreen('inbox-reply');
  await page.keyboard.press('Control+Enter');
  await expect(plan).toHaveCount(0);

  // The leaders plan again and ask again: a new item.
  await expect(plan).toHaveCount(1, { timeout: 45_000 });
  await expect(inbox.needsYou).toHaveAccessibleName('1 needs you, 1 new');

  // j then a approves it; it leaves the open items and the mission starts running.
  await page.keyboard.press('j');
  await expect(inbox.needsYou).toHaveAccessibleName('1 needs you');
  await page.keyboard.press('a');
  await expect(plan).toHaveCount(0);
  await expect
    .poll(async () => (await invoke<{ mission: { state: string } }>(page, 'missions:get', { id: mission.id })).mission.state, {
      timeout: 15_000,
    })
    .not.toMatch(/planning|awaiting_plan_approval/);

  // The decisions are on record, with the reply's words.
  await inbox.show('Decided');
  await expect(inbox.row(/Approve the plan/)).toHaveCount(2);
  await inbox.row(/Approve the plan/).last().getByRole('button').click();
  await expect(inbox.detail.getByRole('region', { name: 'Decision' })).toContainText('Keep it to one task, and add a test.');
  await saveScreen('inbox-decided');

  // Work goes on until the mission asks for its final merge; a command a coder asks to run
  // on the way shows with its risk and is allowed with the keyboard.
  await inbox.show('Needs you');
  const finalMerge = inbox.row(/Merge mission/);
  const command = inbox.row(/asks to run/);
  let shownCommand = false;
  for (let round = 0; round < 12 && (await finalMerge.count()) === 0; round++) {
    await expect(finalMerge.or(command).first()).toBeVisible({ timeout: 90_000 });
    if ((await command.count()) === 0) continue;
    await command.first().getByRole('button').click();
    await expect(inbox.detail.getByRole('region', { name: 'Command' })).toContainText(/(Low|Medium|High) risk: /);
    if (!shownCommand) {
      await expect(inbox.detail.getByLabel(/Always allow this command for Team Checkout/)).toBeVisible();
      await saveScreen('inbox-command');
      shownCommand = true;
    }
    await page.keyboard.press('a');
  }

  // The final merge: ticked and approved in bulk; the mission is done.
  await finalMerge.getByRole('button').click();
  await expect(inbox.detail).toContainText('Approve merges the mission into its base branch');
  await saveScreen('inbox-final-merge');
  await finalMerge.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Approve selected (1)' }).click();
  await expect(page.getByText('Approved 1 item.')).toBeVisible();
  await expect(finalMerge).toHaveCount(0);
  await expect
    .poll(async () => (await invoke<{ mission: { state: string } }>(page, 'missions:get', { id: mission.id })).mission.state, {
      timeout: 15_000,
    })
    .toBe('done');

  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreen('inbox-dark');

  // The mission's Log has a ledger row for each keyboard decision, made by the person.
  await page.emulateMedia({ colorScheme: 'light' });
  const missions = new MissionsPage(page);
  await missions.nav('Missions').click();
  await page.getByRole('table', { name: 'Missions' }).getByRole('button', { name: /Shop changelog/ }).click();
  await missions.openLog();
  const reply = missions.logRow('The person replied to “Approve the plan for "Shop changelog"?” — “Keep it to one task, and add a test.”');
  await expect(reply).toHaveCount(1);
  await expect(reply).toContainText('You');
  await expect(missions.logRow(/The person approved “Approve the plan for "Shop changelog"\?”/)).toHaveCount(1);
  await expect(missions.logRow(/The person approved “Merge mission/)).toHaveCount(1);
  await missions.missionLog.scrollIntoViewIfNeeded();
  await saveScreen('inbox-mission-log');
});

test('a budget escalation shows the numbers, and approving with a higher cap lets the mission go on', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(90_000);
  const inbox = new InboxPage(page);
  await page.goto(appUrl);
  await inbox.open();
  const design = await saveDesign(page);
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Tight budget',
    goal: 'Add a CHANGELOG.md.',
    repoPath: makeRepo(join(dataDir, 'work')),
    // Less than one call's worst case: the leader's first call is refused before it is sent.
    budgetUsd: 0.01,
  });
  await invoke(page, 'missions:start', { id: mission.id });

  const budget = inbox.row(/would exceed a budget/);
  await expect(budget).toHaveCount(1, { timeout: 30_000 });
  await page.keyboard.press('j');
  const numbers = inbox.detail.getByRole('region', { name: 'Budget' });
  await expect(numbers).toContainText('Mission cap');
  await expect(numbers).toContainText('This call’s worst case');
  await expect(numbers).toContainText('$0.01');

  // A bad amount is caught; a good one is applied with the approval.
  const cap = inbox.detail.getByLabel(/New mission budget/);
  await cap.fill('lots');
  await cap.press('Escape');
  await cap.blur();
  await page.keyboard.press('a');
  await expect(inbox.detail.getByRole('alert')).toContainText('enter an amount in dollars');
  await cap.fill('25');
  await saveScreen('inbox-budget');
  await inbox.detail.getByRole('button', { name: /Approve/ }).click();
  await expect(budget).toHaveCount(0);

  // With the new cap the leaders plan, and the plan comes to the person.
  await expect(inbox.row(/Approve the plan/)).toHaveCount(1, { timeout: 45_000 });
  const view = await invoke<{ mission: { budgetNanoUsd: number } }>(page, 'missions:get', { id: mission.id });
  expect(view.mission.budgetNanoUsd).toBe(25_000_000_000);
  await invoke(page, 'missions:cancel', { id: mission.id });
});
