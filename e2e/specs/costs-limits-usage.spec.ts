import { join } from 'node:path';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { CostsPage } from '../pages/costs-page.js';

const agent = designAgent;

/** "8" from "0.2% · 8 / 4k", "9.1k" → 9100: what a gauge says was used. */
function usedOf(text: string): number {
  const match = /·\s*([\d.]+)(k|M)?\s*\//.exec(text);
  if (!match) throw new Error(`no "used / limit" in ${JSON.stringify(text)}`);
  return Number(match[1]) * (match[2] === 'k' ? 1_000 : match[2] === 'M' ? 1_000_000 : 1);
}

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.1' } });

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
]) {
  test(`the rate-limit gauges show the last minute's calls while a mission runs (${viewport.width} × ${viewport.height})`, async ({
    page,
    appUrl,
    dataDir,
    saveScreen,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(viewport);
    const costs = new CostsPage(page);
    await page.goto(appUrl);
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
            agents: [agent('lead', 'Checkout lead', 'leader'), agent('c1', 'Cora', 'coder'), agent('c2', 'Cato', 'coder')],
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
    await costs.open();
    await invoke(page, 'missions:start', { id: mission.id });

    // Calls run (the ledger counts them); the gauges count the same calls over the minute,
    // not the bucket's level, which is full again milliseconds after each call.
    const requests = (pool: 'Opus' | 'Sonnet') =>
      costs.pool(pool).getByRole('listitem').filter({ hasText: 'Requests / min' });
    const used = async () => usedOf(await requests('Opus').innerText()) + usedOf(await requests('Sonnet').innerText());
    await expect.poll(used, { timeout: 60_000, message: 'requests in the last minute, Opus + Sonnet' }).toBeGreaterThanOrEqual(3);
    const input = costs.pool('Sonnet').getByRole('listitem').filter({ hasText: 'Input tokens / min' });
    await expect.poll(async () => usedOf(await input.innerText()), { timeout: 30_000 }).toBeGreaterThan(1_000);
    // Every pool card fits its column at this width.
    for (const pool of ['Opus', 'Sonnet', 'Haiku'] as const) {
      const fits = await costs.pool(pool).evaluate((card) => card.scrollWidth <= card.clientWidth + 1);
      expect(fits, `${pool} pool card fits`).toBe(true);
    }
    await costs.pool('Sonnet').scrollIntoViewIfNeeded();
    await saveScreen(`costs-limits-usage-${viewport.width}`);

    // Calls stop; read afresh a moment later, the buckets are full again, but the minute
    // still holds what ran in it.
    await invoke(page, 'missions:cancel', { id: mission.id });
    const before = await used();
    await page.waitForTimeout(1_500);
    await page.reload();
    await expect(costs.pool('Sonnet')).toBeVisible();
    await expect.poll(used, { timeout: 10_000 }).toBeGreaterThanOrEqual(Math.min(before, 3));
    expect(await used()).toBeGreaterThanOrEqual(3);
  });
}
