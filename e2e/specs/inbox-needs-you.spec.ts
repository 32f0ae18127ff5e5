import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { InboxPage } from '../pages/inbox-page.js';

const agent = designAgent;

async function startMission(page: Page, dataDir: string): Promise<string> {
  const repo = makeRepo(join(dataDir, 'work'));
  const design = await invoke<{ id: string }>(page, 'teams:save', {
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
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Shop changelog',
    goal: 'Add a CHANGELOG.md and a short usage section to the README.',
    repoPath: repo,
    budgetUsd: 40,
    skipPlanApproval: false,
  });
  await invoke(page, 'missions:start', { id: mission.id });
  return mission.id;
}

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.1' } });

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
]) {
  test(`the navigation counts what needs the person until it is decided, not what is unread (${viewport.width} × ${viewport.height})`, async ({
    page,
    appUrl,
    dataDir,
    saveScreen,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(viewport);
    const inbox = new InboxPage(page);
    const badge = page.getByRole('navigation', { name: 'Main' }).getByRole('status');
    await page.goto(appUrl);
    await inbox.open();
    await expect(badge).toHaveCount(0);

    const missionId = await startMission(page, dataDir);
    const plan = inbox.row(/Approve the plan/);
    await expect(plan).toHaveCount(1, { timeout: 60_000 });
    await expect(badge).toHaveAccessibleName('1 needs you, 1 new');
    await expect(badge).toHaveText('1');
    await expect(badge).toBeInViewport();

    // Looking at it does not decide it: the count stays, only "new" goes.
    await plan.getByRole('button').click();
    await expect(inbox.detail.getByRole('region', { name: 'Plan' })).toBeVisible();
    await expect(badge).toHaveAccessibleName('1 needs you');
    await expect(badge).toHaveText('1');
    // Elsewhere in the app, and after a reload, it still needs the person.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Costs/ }).click();
    await expect(badge).toHaveAccessibleName('1 needs you');
    await page.reload();
    await expect(badge).toHaveAccessibleName('1 needs you');
    await saveScreen(`nav-needs-you-${viewport.width}`);

    // Decided: nothing needs the person any more.
    await invoke(page, 'missions:cancel', { id: missionId });
    await expect(badge).toHaveCount(0, { timeout: 15_000 });
  });
}
