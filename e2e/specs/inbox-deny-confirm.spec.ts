import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { InboxPage } from '../pages/inbox-page.js';

const agent = (id: string, name: string, role: 'leader' | 'coder') =>
  designAgent(id, name, role, { permissions: { allowedCommands: ['*'], writeScope: [] } });

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.25' } });

const missionState = async (page: Page, id: string) =>
  (await invoke<{ mission: { state: string } }>(page, 'missions:get', { id })).mission.state;

test('d on a plan only opens the comment to send it back; cancelling the mission is its own action and asks first', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(90_000);
  const inbox = new InboxPage(page);
  await page.goto(appUrl);
  await inbox.open();
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Careful squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'core',
          name: 'Core',
          budgetNanoUsd: null,
          position: { x: 0, y: 0 },
          agents: [agent('core-lead', 'Core lead', 'leader'), agent('core-c1', 'Cora', 'coder')],
        },
      ],
    },
  });
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Careful mission',
    goal: 'Add a CHANGELOG.md.',
    repoPath: makeRepo(join(dataDir, 'work')),
    budgetUsd: 40,
    skipPlanApproval: false,
  });
  await invoke(page, 'missions:start', { id: mission.id });

  const plan = inbox.row(/Approve the plan/);
  await expect(plan).toHaveCount(1, { timeout: 45_000 });
  await page.keyboard.press('j');
  await expect(plan.getByRole('button')).toBeFocused();

  // d decides nothing: the cursor goes to the comment that sends the plan back.
  await page.keyboard.press('d');
  await expect(inbox.reply).toBeFocused();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(plan).toHaveCount(1);
  expect(await missionState(page, mission.id)).toBe('awaiting_plan_approval');
  await saveScreen('inbox-plan-d-sends-back');

  // Cancelling the mission is an explicit action, confirmed; backing out of the dialog changes nothing.
  await inbox.detail.getByRole('button', { name: 'Cancel the mission…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel the mission?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('send it back with a comment instead');
  await saveScreen('inbox-plan-cancel-confirm');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  expect(await missionState(page, mission.id)).toBe('awaiting_plan_approval');

  // Confirmed, it cancels the mission.
  await inbox.detail.getByRole('button', { name: 'Cancel the mission…' }).click();
  await dialog.getByRole('button', { name: 'Cancel the mission' }).click();
  await expect(plan).toHaveCount(0);
  await expect.poll(() => missionState(page, mission.id), { timeout: 15_000 }).toBe('cancelled');
});
