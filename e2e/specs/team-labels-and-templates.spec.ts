import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { TeamDesignDraft } from '../../src/shared/team.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { CostsPage } from '../pages/costs-page.js';
import { MissionsPage } from '../pages/missions-page.js';

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.05' } });

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

const agent = designAgent;

// Two teams named as designs name them by default: "Team 1" and "Team 2".
const DESIGN: TeamDesignDraft = {
  name: 'Numbered teams',
  description: '',
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
  teams: [1, 2].map((n) => ({
    id: `t${n}`,
    name: `Team ${n}`,
    budgetNanoUsd: null,
    position: { x: 300 * n, y: 0 },
    agents: [agent(`t${n}-lead`, `Lead ${n}`, 'leader'), agent(`t${n}-c1`, `Coder ${n}-1`, 'coder')],
  })),
};

async function noHorizontalScroll(page: Page, width: number): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

for (const size of SIZES) {
  test(`two missions of one design keep their teams apart in Costs and the Inbox (${size.width} × ${size.height})`, async ({
    page,
    appUrl,
    dataDir,
    saveScreen,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(size);
    const repo = makeRepo(join(dataDir, 'work'));
    await page.goto(appUrl);
    const design = await invoke<{ id: string }>(page, 'teams:save', { design: DESIGN });
    // Both wait for plan approval, so both stay open with their plans in the Inbox.
    for (const name of ['Login page', 'Search box']) {
      const mission = await invoke<{ id: string }>(page, 'missions:create', {
        designId: design.id,
        name,
        goal: `Build the ${name.toLowerCase()}.`,
        repoPath: repo,
        skipPlanApproval: false,
      });
      await invoke(page, 'missions:start', { id: mission.id });
    }

    // Costs: one band per mission's team, each named with its mission, no two alike in name or colour.
    const costs = new CostsPage(page);
    await costs.open();
    const legend = page.getByRole('list', { name: 'Teams' });
    await expect(legend.getByRole('listitem')).toHaveCount(4, { timeout: 45_000 });
    const labels = await legend.getByRole('listitem').allTextContents();
    expect([...labels].sort()).toEqual([
      'Team 1 · Login page',
      'Team 1 · Search box',
      'Team 2 · Login page',
      'Team 2 · Search box',
    ]);
    const colours = await legend
      .locator('.legend-swatch')
      .evaluateAll((swatches) => swatches.map((s) => getComputedStyle(s).backgroundColor));
    expect(new Set(colours).size, `legend colours ${colours.join(', ')}`).toBe(4);
    await expect(page.locator('main')).not.toContainText('Team Team');
    await noHorizontalScroll(page, size.width);
    await saveScreen(`costs-two-missions-one-design-${size.width}`);

    // The Inbox's team filter lists each mission's team once, named with its mission.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Inbox/ }).click();
    const teamFilter = page.getByRole('combobox', { name: 'Team' });
    await expect(teamFilter.locator('option')).toHaveCount(5, { timeout: 30_000 });
    const options = await teamFilter.locator('option').allTextContents();
    expect(options.slice(1).sort()).toEqual(['Team 1 · Login page', 'Team 1 · Search box', 'Team 2 · Login page', 'Team 2 · Search box']);
    await teamFilter.selectOption({ label: 'Team 1 · Search box' });
    await expect(teamFilter.locator('option:checked')).toHaveText('Team 1 · Search box');
    await expect(page.locator('main')).not.toContainText('Team Team');
    await noHorizontalScroll(page, size.width);
    await saveScreen(`inbox-team-filter-${size.width}`);
  });

  test(`a template launches from the launch form, and the launch notices give way once the plan is approved (${size.width} × ${size.height})`, async ({
    page,
    appUrl,
    dataDir,
    saveScreen,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(size);
    const ui = new MissionsPage(page);
    const repo = makeRepo(join(dataDir, 'work'));
    await page.goto(`${appUrl}#/missions/new`);

    // No design saved: the templates are there to choose, and choosing one shows its teams' shares.
    const designSelect = ui.launchForm.getByLabel('Team design');
    await expect(designSelect.locator('optgroup[label="Templates"] option')).not.toHaveCount(0);
    await designSelect.selectOption({ label: 'Solo leader + 2 coders' });
    await expect(ui.shareField('Team 1')).toBeVisible();
    await ui.fillLaunch({ goal: 'Add a CHANGELOG.md.', repo });
    await saveScreen(`launch-from-template-${size.width}`);
    await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();

    await expect(page).toHaveURL(/#\/missions\/m-[0-9a-f]+$/);
    const launched = page.getByRole('status').filter({ hasText: 'Mission launched' });
    await expect(launched).toBeVisible();
    const approval = page.getByRole('region', { name: 'Plan approval' });
    await expect(approval).toBeVisible({ timeout: 30_000 });
    const badge = page.getByLabel('Plan of Team 1:', { exact: false });
    await expect(badge).toHaveText('Plan submitted');
    await noHorizontalScroll(page, size.width);
    await saveScreen(`plan-submitted-${size.width}`);

    await approval.getByRole('button', { name: 'Approve plan' }).click();
    await expect(approval).toHaveCount(0);
    await expect(badge).toHaveText('Plan approved');
    await expect(launched).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText('Team Team');
    await saveScreen(`plan-approved-${size.width}`);

    // The template was saved as a design the person can reopen.
    const designs = await invoke<{ name: string }[]>(page, 'teams:list', {});
    expect(designs.map((d) => d.name)).toEqual(['Solo team']);
  });
}
