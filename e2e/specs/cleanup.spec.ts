import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { MissionsPage } from '../pages/missions-page.js';

// Readable branches and clean-up (issue 19): with "Keep branches" on in Settings, a finished
// mission keeps its team and coder branches; the Missions screen's Clean up lists them (and
// nothing of a paused mission of the same repository), removes what is ticked, and the
// paused mission's worktrees and branches survive: it resumes and finishes.

const agent = (id: string, name: string, role: 'leader' | 'coder') =>
  designAgent(id, name, role, { permissions: { allowedCommands: ['*'], writeScope: [] } });

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0' } });

const branches = (repo: string, prefix: string) =>
  execFileSync('git', ['for-each-ref', '--format=%(refname:short)', `refs/heads/${prefix}`], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((b) => b !== '')
    .sort();
const worktrees = (repo: string) =>
  execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));

/** Answers whatever a mission asks (approve) until it is finished. */
async function runToEnd(page: Page, missionId: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { mission } = await invoke<{ mission: { state: string } }>(page, 'missions:get', { id: missionId });
    if (['done', 'failed', 'cancelled'].includes(mission.state)) return mission.state;
    if (Date.now() > deadline) throw new Error(`mission still ${mission.state}`);
    const open = await invoke<{ id: string; level: string }[]>(page, 'escalations:list', { missionId, openOnly: true });
    for (const e of open.filter((x) => x.level === 'human')) {
      await invoke(page, 'escalations:decide', { id: e.id, decision: 'approve', comment: '' }).catch(() => undefined);
    }
    await page.waitForTimeout(200);
  }
}

test("Clean up removes only what finished missions left; a paused mission's worktrees and branches survive", async ({ page, appUrl, dataDir, saveScreen }) => {
  test.setTimeout(200_000);
  const ui = new MissionsPage(page);
  await page.goto(appUrl);

  // Settings: keep finished missions' branches, so the finished one leaves some behind.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const finishedCard = page.getByRole('region', { name: 'Finished missions' });
  await finishedCard.getByLabel('Keep branches').check();
  await expect(finishedCard.getByRole('status')).toContainText('Saved');
  expect((await invoke<{ keepBranches: boolean }>(page, 'settings:get', {})).keepBranches).toBe(true);

  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Cleanup squad',
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
  const repo = makeRepo(join(dataDir, 'shop'));
  const launch = async (name: string) => {
    const m = await invoke<{ id: string }>(page, 'missions:create', {
      designId: design.id,
      name,
      goal: 'A todo module: add and list todos, with tests.',
      repoPath: repo,
      budgetUsd: 40,
      skipPlanApproval: true,
    });
    await invoke(page, 'missions:start', { id: m.id });
    return m.id;
  };

  const finished = await launch('Checkout flow');
  expect(await runToEnd(page, finished)).toBe('done');
  // Readable names, kept by the setting; the worktrees went all the same.
  await expect.poll(() => branches(repo, 'cr/checkout-flow/')).toEqual([
    'cr/checkout-flow/@mission',
    'cr/checkout-flow/core/@team',
    'cr/checkout-flow/core/cody',
    'cr/checkout-flow/core/cora',
  ]);
  await expect.poll(() => worktrees(repo).filter((w) => w.includes(finished))).toEqual([]);

  const paused = await launch('Search page');
  await invoke(page, 'missions:pause', { id: paused });
  const pausedBranches = branches(repo, 'cr/search-page/');
  const pausedTrees = worktrees(repo).filter((w) => w.includes(paused));
  expect(pausedBranches).toHaveLength(4);
  expect(pausedTrees).toHaveLength(4);

  // Its own page: Keep branches follows Settings until the person says otherwise for this mission.
  await ui.nav('Missions').click();
  await page.getByRole('button', { name: 'Search page', exact: true }).click();
  const keep = page.getByLabel('Keep branches');
  await expect(keep).toBeChecked();
  await keep.uncheck();
  await expect(keep).not.toBeChecked();
  await expect.poll(async () => (await invoke<{ mission: { keepBranches: boolean } }>(page, 'missions:get', { id: paused })).mission.keepBranches).toBe(false);
  await saveScreen('cleanup-keep-branches');

  // The Missions screen: Clean up lists the finished mission only, unticked (its branches were kept on purpose).
  await ui.nav('Missions').click();
  await page.getByRole('button', { name: 'Clean up' }).click();
  const dialog = page.getByRole('dialog', { name: 'Clean up finished missions' });
  const list = dialog.getByRole('list', { name: 'Finished missions with leftovers' });
  await expect(list.getByRole('listitem').filter({ hasText: 'Checkout flow' })).toContainText('3 branches');
  await expect(list).not.toContainText('Search page');
  const box = list.getByRole('checkbox');
  await expect(box).toHaveCount(1);
  await expect(box).not.toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Remove leftovers of 0 missions' })).toBeDisabled();
  await saveScreen('cleanup-dialog');

  await box.check();
  await dialog.getByRole('button', { name: 'Remove leftovers of 1 mission' }).click();
  await expect(dialog.getByRole('status')).toContainText('Removed 0 worktrees and 3 branches. Mission branches were kept.');
  await expect(dialog).toContainText('Finished missions left nothing behind.');
  await dialog.getByRole('button', { name: 'Close' }).click();

  expect(branches(repo, 'cr/checkout-flow/')).toEqual(['cr/checkout-flow/@mission']);
  // The paused mission: every branch and worktree as it was.
  expect(branches(repo, 'cr/search-page/')).toEqual(pausedBranches);
  expect(worktrees(repo).filter((w) => w.includes(paused))).toEqual(pausedTrees);
  for (const path of pausedTrees) expect(existsSync(path)).toBe(true);

  // And it picks up where it was; ending with its own choice (not to keep), it leaves only its mission branch.
  await invoke(page, 'missions:resume', { id: paused });
  expect(await runToEnd(page, paused)).toBe('done');
  await expect.poll(() => branches(repo, 'cr/search-page/')).toEqual(['cr/search-page/@mission']);
  await expect.poll(() => worktrees(repo)).toEqual([repo]);
  await page.getByRole('button', { name: 'Search page', exact: true }).click();
  await expect(page.getByLabel('Branches')).toContainText('Its worktrees were removed, and its team and coder branches deleted. cr/search-page/@mission keeps the work.');
});
