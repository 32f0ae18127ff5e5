import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect } from '../fixtures.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import type { TeamDesignDraft } from '../../src/shared/team.js';
import { CostsPage } from '../pages/costs-page.js';
import { MissionsPage } from '../pages/missions-page.js';

test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.02' } });

const agent = designAgent;

const DESIGN: TeamDesignDraft = {
  name: 'Memory squad',
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
};

/** A repository whose CLAUDE.md has `lines` lines, committed. */
function repoWithMemory(dir: string, lines: number): string {
  const repo = makeRepo(dir);
  writeFileSync(join(repo, 'CLAUDE.md'), Array.from({ length: lines }, (_, i) => `- Convention ${i + 1}: keep it tidy.\n`).join(''));
  execFileSync('git', ['add', 'CLAUDE.md'], { cwd: repo, stdio: 'ignore' });
  execFileSync('git', ['commit', '-q', '-m', 'memory'], { cwd: repo, stdio: 'ignore' });
  return repo;
}

test('the launch form warns about a CLAUDE.md over 300 lines with what it costs; Costs shows spend by role', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(120_000);
  const ui = new MissionsPage(page);
  const long = repoWithMemory(join(dataDir, 'long'), 301);
  const fine = repoWithMemory(join(dataDir, 'fine'), 300);
  await page.goto(appUrl);
  const design = await invoke<{ id: string }>(page, 'teams:save', { design: DESIGN });

  await page.goto(`${appUrl.split('?')[0]}#/missions/new`);
  await ui.fillLaunch({ design: 'Memory squad', repo: long });
  const warning = page.getByTestId('project-memory-warning');
  await expect(warning).toContainText('CLAUDE.md is long (301 lines, about');
  await expect(warning).toContainText("with this design's 2 agents at about 80 calls an hour");
  await expect(warning).toContainText(/about \$[\d.]+ an hour read from the prompt cache, \$[\d.]+ an hour when it is not cached/);
  await saveScreen('launch-claude-md-warning');
  await ui.fillLaunch({ repo: fine });
  await expect(warning).toHaveCount(0);

  // A mission's calls reach "/cost per role".
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    goal: 'Add a CHANGELOG.md.',
    repoPath: fine,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  await invoke(page, 'missions:start', { id: mission.id });
  const costs = new CostsPage(page);
  await costs.open();
  const byRole = page.getByRole('table', { name: 'Cost by role and model' });
  await expect(byRole.getByRole('rowheader', { name: 'Leader · Opus 4.8' })).toBeVisible({ timeout: 60_000 });
  await expect
    .poll(async () => Number((await byRole.getByRole('row').filter({ hasText: 'Leader' }).getByRole('cell').nth(1).textContent())?.replace(/,/g, '')), {
      timeout: 45_000,
    })
    .toBeGreaterThan(0);
  await saveScreen('costs-by-role');
});
