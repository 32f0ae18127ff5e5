import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { CostsPage } from '../pages/costs-page.js';
import { join } from 'node:path';

// Project rules long enough for the prompt cache (Opus caches prefixes of 4,096 tokens and more).
const RULES = Array.from({ length: 180 }, (_, i) => `Rule ${i + 1}: keep modules small, name things for what they do, and test the behaviour a user relies on.`).join('\n');

const agent = (id: string, name: string, role: 'leader' | 'coder') => designAgent(id, name, role, { systemPrompt: RULES });

test('the Costs screen shows how much of each agent\'s input the prompt cache served', async ({ page, appUrl, dataDir, saveScreen }) => {
  test.setTimeout(120_000);
  const costs = new CostsPage(page);
  await page.goto(appUrl);

  const repo = makeRepo(join(dataDir, 'work'));
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Cache squad',
      description: 'One team',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [{ id: 'core', name: 'Core', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [agent('core-lead', 'Lead', 'leader'), agent('core-c1', 'Cora', 'coder')] }],
    },
  });
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Cached changelog',
    goal: 'Add a CHANGELOG.md and a short usage section to the README.',
    repoPath: repo,
    skipPlanApproval: true,
  });
  await invoke(page, 'missions:start', { id: mission.id });

  await costs.open();
  await costs.missionFilter.selectOption(mission.id);
  const panel = page.getByRole('region', { name: 'Prompt cache' });
  // The breakdowns appear once the mission's first calls are billed.
  await expect(panel).toBeVisible({ timeout: 60_000 });
  // Cora's turns read the conversation so far from the cache: a share above zero, live.
  const cora = panel.getByRole('table', { name: 'Cache-read share by agent' }).getByRole('row', { name: /Cora/ }).first();
  await expect(cora).toContainText(/[1-9]\d*(\.\d)?%/, { timeout: 60_000 });
  await expect(panel.getByRole('table', { name: 'Cache-read share by model' })).toContainText('Claude Sonnet 4.6');
  await expect(panel).toContainText(/of input read from the cache/);
  await saveScreen('costs-cache-share');
});
