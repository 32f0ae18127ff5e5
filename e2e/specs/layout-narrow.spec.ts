import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { designAgent, invoke, makeRepo } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { TeamsPage } from '../pages/teams-page.js';

type Box = { top: number; bottom: number; left: number; right: number };

async function box(locator: Locator): Promise<Box> {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not laid out');
  return { top: b.y, bottom: b.y + b.height, left: b.x, right: b.x + b.width };
}

const overlaps = (a: Box, b: Box) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;

/** Whether the element's own text fits inside it (nothing runs past its edges). */
const textFits = (locator: Locator) => locator.evaluate((e) => e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1);

async function openTemplate(page: Page): Promise<TeamsPage> {
  const teams = new TeamsPage(page);
  await page.getByRole('button', { name: 'Use template 4 × 4 × 4' }).click();
  await expect(page.getByText('4 teams · 20 agents')).toBeVisible();
  return teams;
}

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

for (const size of SIZES) {
  test(`the designer's palette and inspector keep their places (${size.width} × ${size.height})`, async ({ page, appUrl, saveScreen }) => {
    await page.setViewportSize(size);
    await page.goto(appUrl);
    const teams = await openTemplate(page);

    // The duplicate zone's words stay inside it, off the Researcher chip and inside the palette.
    const palette = page.getByRole('group', { name: 'Palette' });
    const zone = palette.getByLabel('Duplicate zone');
    await expect(zone).toContainText('Drop a team here to duplicate it');
    expect(await textFits(zone), 'the zone holds its words').toBe(true);
    const zoneBox = await box(zone);
    for (const role of ['Leader', 'Coder', 'Reviewer', 'Researcher']) {
      const chip = await box(palette.getByRole('button', { name: `${role}: drag onto a team` }));
      expect(overlaps(zoneBox, chip), `the zone overlaps the ${role} chip`).toBe(false);
    }
    const paletteBox = await box(palette);
    expect(zoneBox.right).toBeLessThanOrEqual(paletteBox.right);
    expect(zoneBox.left).toBeGreaterThanOrEqual(paletteBox.left);
    await saveScreen(`layout-palette-${size.width}`);

    // Scrolled to the end of a long board, the inspector is still beside it, below the editor bar.
    await teams.selectAgent(teams.team('Interfaces'), 'Coder 4-4');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const bar = await box(page.locator('.editor-bar'));
    const heading = await box(teams.inspector.getByRole('heading').first());
    expect(heading.top, 'the inspector heading is under the editor bar').toBeGreaterThanOrEqual(bar.bottom - 1);
    // Beside the board, it stays in view while the board scrolls.
    expect(heading.bottom).toBeLessThanOrEqual(size.height);
    expect((await box(teams.inspector)).left).toBeGreaterThan((await box(teams.team('Interfaces'))).right);
    // Nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
    await saveScreen(`layout-inspector-scrolled-${size.width}`);
  });
}

test('at 1024 × 700 the sidebar folds to its icons, still named, and at 1440 × 900 it shows its labels', async ({ page, appUrl, saveScreen }) => {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(appUrl);
  const sidebar = page.locator('aside.sidebar');
  expect((await box(sidebar)).right).toBeLessThanOrEqual(72);
  for (const area of ['Teams', 'Missions', 'Agents', 'Costs', 'Inbox', 'Settings']) {
    const link = nav.getByRole('link', { name: area });
    await expect(link).toBeVisible();
    await expect(link).toHaveAttribute('title', area);
  }
  await nav.getByRole('link', { name: 'Costs' }).click();
  await expect(page.getByRole('heading', { name: 'Costs', level: 2 })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
  await saveScreen('layout-sidebar-1024');

  await page.setViewportSize({ width: 1440, height: 900 });
  expect((await box(sidebar)).right).toBeGreaterThan(200);
  await expect(nav.getByText('Missions', { exact: true })).toBeVisible();
});

test("the Opus warning on a coder says the price table's ratio, not 'several times'", async ({ page, appUrl }) => {
  await page.goto(appUrl);
  const teams = await openTemplate(page);
  const panel = await teams.selectAgent(teams.team('Workers'), 'Coder 2-1');
  await panel.getByLabel('Model').selectOption('claude-opus-4-8');
  const checks = page.getByRole('region', { name: 'Design checks' });
  const warning = checks.getByText(/Coders do well-scoped edits/);
  // The bundled price table: Opus 4.8 $5 / $25 per MTok, Sonnet 4.6 $3 / $15.
  await expect(warning).toContainText('Claude Opus 4.8 costs 1.7× Claude Sonnet 4.6 per token');
  await expect(warning).not.toContainText('several times');
});

test("at 1024 × 700 a mission's figures and plan columns fit the page", async ({ page, appUrl, dataDir, saveScreen }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(appUrl);
  const repo = makeRepo(join(dataDir, 'work'));
  const agent = designAgent;
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
          agents: [agent('lead', 'Checkout lead', 'leader'), agent('c1', 'Cora', 'coder')],
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
    skipPlanApproval: true,
  });
  await invoke(page, 'missions:start', { id: mission.id });
  await page.goto(`${appUrl.split('?')[0]}#/missions/${mission.id}`);
  const plan = page.getByRole('table', { name: 'Tasks of Checkout' });
  await expect(plan.getByRole('row')).not.toHaveCount(0, { timeout: 60_000 });
  await expect(plan.getByRole('row').nth(1)).toBeVisible();

  // Every column of the plan is inside its card, "Depends on" and "Tries" included.
  const card = await box(plan.locator('xpath=ancestor::section[1]'));
  for (const header of ['Key', 'Task', 'State', 'Assignee', 'Depends on', 'Tries']) {
    const cell = await box(plan.getByRole('columnheader', { name: header }));
    expect(cell.right, `${header} inside the card`).toBeLessThanOrEqual(card.right + 1);
  }
  // The figures: each card holds its value, and the budget bar stays a bar.
  const facts = page.locator('.facts .fact');
  for (let i = 0; i < (await facts.count()); i++) {
    const fact = facts.nth(i);
    expect(await fact.evaluate((e) => e.scrollWidth <= e.clientWidth + 1), `figure ${i + 1} fits`).toBe(true);
  }
  const bar = await box(page.locator('.facts .fact > .progress').first());
  expect(bar.bottom - bar.top).toBeLessThanOrEqual(8);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
  await saveScreen('layout-mission-1024');
  await invoke(page, 'missions:cancel', { id: mission.id });
});
