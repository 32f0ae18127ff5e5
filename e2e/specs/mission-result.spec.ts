import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { formatUsd } from '../../src/shared/money.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { MissionsPage } from '../pages/missions-page.js';

// A mission's result (issue 19): a declined final merge reads as declined in the Missions
// list, distinct from a merged one; a merged mission's page shows what was delivered.

const agent = (id: string, name: string, role: 'leader' | 'coder') =>
  designAgent(id, name, role, { permissions: { allowedCommands: ['*'], writeScope: [] } });

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0' } });

interface Escalation {
  id: string;
  type: string;
  level: string;
}

/** Runs a mission to its final merge (answering what comes up before it), then answers that with `finalMerge`. */
async function runTo(page: Page, missionId: string, finalMerge: 'approve' | 'deny'): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { mission } = await invoke<{ mission: { state: string } }>(page, 'missions:get', { id: missionId });
    if (['done', 'failed', 'cancelled'].includes(mission.state)) return;
    if (Date.now() > deadline) throw new Error(`mission still ${mission.state}`);
    const open = await invoke<Escalation[]>(page, 'escalations:list', { missionId, openOnly: true });
    for (const e of open.filter((x) => x.level === 'human')) {
      const decision = e.type === 'final_merge' ? finalMerge : 'approve';
      await invoke(page, 'escalations:decide', { id: e.id, decision, comment: '' }).catch(() => undefined);
    }
    await page.waitForTimeout(200);
  }
}

test('a declined final merge reads as declined in the Missions list, and a merged mission shows its result: summary, files, commits, cost', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(200_000);
  const ui = new MissionsPage(page);
  await page.goto(appUrl);
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Result squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'core',
          name: 'Core',
          budgetNanoUsd: null,
          position: { x: 0, y: 0 },
          agents: [agent('core-lead', 'Core lead', 'leader'), agent('core-c1', 'Cora', 'coder'), agent('core-c2', 'Cody', 'coder')],
        },
      ],
    },
  });
  const launch = async (name: string, dir: string) => {
    const m = await invoke<{ id: string }>(page, 'missions:create', {
      designId: design.id,
      name,
      goal: 'A todo module: add and list todos, with tests.',
      repoPath: makeRepo(join(dataDir, dir)),
      budgetUsd: 40,
      skipPlanApproval: true,
    });
    await invoke(page, 'missions:start', { id: m.id });
    return m.id;
  };
  const merged = await launch('Merged mission', 'a');
  const declined = await launch('Declined mission', 'b');
  await Promise.all([runTo(page, merged, 'approve'), runTo(page, declined, 'deny')]);

  // The list: one reads Merged, the other Declined, though both are done with every task merged.
  await ui.nav('Missions').click();
  const table = page.getByRole('table', { name: 'Missions' });
  const row = (name: string) => table.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  await expect(row('Merged mission').locator('[data-result]')).toHaveAttribute('data-result', 'merged');
  await expect(row('Merged mission')).toContainText('Merged');
  await expect(row('Declined mission').locator('[data-result]')).toHaveAttribute('data-result', 'declined');
  await expect(row('Declined mission')).toContainText('Declined');
  await expect(row('Declined mission')).not.toContainText('Merged');
  await saveScreen('missions-list-merged-and-declined');

  // The merged mission's page: its result, from the ledger.
  await row('Merged mission').getByRole('button', { name: 'Merged mission' }).click();
  const result = page.getByRole('region', { name: 'Result' });
  await expect(result).toBeVisible({ timeout: 15_000 });
  await expect(result).toContainText('Merged into main');
  const team = result.getByRole('article', { name: 'Team Core' });
  await expect(team).toContainText("Leader's summary");
  // The leader's summary names what its coders delivered (their task titles, from the ledger).
  const tasks = await invoke<{ title: string; state: string }[]>(page, 'tasks:list', { missionId: merged });
  for (const t of tasks.filter((x) => x.state === 'merged')) await expect(team.locator('.result-summary-text')).toContainText(t.title);
  const files = result.getByRole('list', { name: 'Files changed' });
  await expect(files.getByRole('listitem').first()).toBeVisible();
  const commits = result.getByRole('table', { name: 'Commits per coder' });
  await expect(commits.getByRole('row', { name: /Cora|Cody/ }).first()).toBeVisible();
  await expect(result.getByRole('list', { name: 'Commits' }).getByRole('listitem').first()).toBeVisible();
  // Cost: the result's total is the mission's spend.
  const { mission } = await invoke<{ mission: { spentNanoUsd: number } }>(page, 'missions:get', { id: merged });
  expect(mission.spentNanoUsd).toBeGreaterThan(0);
  await expect(result.locator('.result-figures')).toContainText(formatUsd(mission.spentNanoUsd));
  await saveScreen('mission-result-merged');

  // The declined one's page says so in its head and its result.
  await ui.nav('Missions').click();
  await row('Declined mission').getByRole('button', { name: 'Declined mission' }).click();
  await expect(page.getByRole('region', { name: 'Result' })).toContainText('Final merge declined');
  await expect(page.locator('.page-header [data-result="declined"]').first()).toBeVisible();
  await saveScreen('mission-result-declined');
});
