import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { formatUsd } from '../../src/shared/money.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { InboxPage } from '../pages/inbox-page.js';
import { MissionsPage } from '../pages/missions-page.js';

// Review before approval (issue 19): the final-merge item shows what it would change (files,
// the diff of a multi-file change, the tests that ran, the leaders' verdicts, the cost) and
// approving it merges; a coder's Diff tab shows its work while it is still working.

const agent = designAgent;

interface Escalation {
  id: string;
  type: string;
  level: string;
  payload: Record<string, unknown>;
}

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'core.quotePath=false', ...args], { cwd: repo, encoding: 'utf8' }).trim();

/** Saves a one-team design and starts a mission on a fresh repository that may run `node --test`. */
async function launch(
  page: Page,
  dataDir: string,
  coders: [string, string][],
): Promise<{ missionId: string; repo: string }> {
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Review squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'core',
          name: 'Core',
          budgetNanoUsd: null,
          position: { x: 0, y: 0 },
          agents: [
            agent('core-lead', 'Core lead', 'leader'),
            ...coders.map(([id, name]) => agent(id, name, 'coder')),
          ],
        },
      ],
    },
  });
  const repo = makeRepo(join(dataDir, 'work'));
  const m = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Todo module',
    goal: 'A todo module: add and list todos, with tests.',
    repoPath: repo,
    budgetUsd: 40,
    skipPlanApproval: true,
    allowedCommands: ['node --test'],
  });
  await invoke(page, 'missions:start', { id: m.id });
  return { missionId: m.id, repo };
}

/** Answers what comes up (approve) until the final merge is asked for; answers it with that escalation. */
async function untilFinalMerge(page: Page, missionId: string): Promise<Escalation> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const open = (await invoke<Escalation[]>(page, 'escalations:list', { missionId, openOnly: true })).filter(
      (e) => e.level === 'human',
    );
    const finalMerge = open.find((e) => e.type === 'final_merge');
    if (finalMerge) return finalMerge;
    for (const e of open)
      await invoke(page, 'escalations:decide', { id: e.id, decision: 'approve', comment: '' }).catch(
        () => undefined,
      );
    if (Date.now() > deadline) throw new Error('no final merge within 120 s');
    await page.waitForTimeout(200);
  }
}

test.describe('the final merge', () => {
  test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0' } });

  test('shows the files, a multi-file diff, the test output and the cost, on the mission page too, and approving it merges', async ({
    page,
    appUrl,
    dataDir,
    saveScreen,
  }) => {
    test.setTimeout(180_000);
    await page.goto(appUrl);
    const { missionId, repo } = await launch(page, dataDir, [
      ['core-c1', 'Cora'],
      ['core-c2', 'Cody'],
    ]);
    const finalMerge = await untilFinalMerge(page, missionId);
    const mainBefore = git(repo, 'rev-parse', 'main');
    const missionBranch = String(finalMerge.payload['missionBranch']);
    // What git says the merge would change: the review must list exactly these.
    const changed = git(repo, 'diff', '--numstat', '--no-renames', 'main', missionBranch)
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([additions, deletions, path]) => ({
        path: path!,
        additions: Number(additions),
        deletions: Number(deletions),
      }));
    expect(changed.length).toBeGreaterThanOrEqual(2);

    // The mission page: "Review changes" opens the same view.
    const missions = new MissionsPage(page);
    await missions.nav('Missions').click();
    await page.getByRole('table', { name: 'Missions' }).getByRole('button', { name: 'Todo module' }).click();
    const disclosure = page.locator('details.review-disclosure');
    await disclosure.getByText('Review changes before the final merge').click();
    await expect(disclosure.getByRole('list', { name: 'Changed files' }).getByRole('listitem')).toHaveCount(
      changed.length,
    );
    await saveScreen('review-mission-page');

    // The Inbox item.
    const inbox = new InboxPage(page);
    await inbox.open();
    await inbox
      .row(/Merge mission/)
      .getByRole('button')
      .click();
    const review = inbox.detail.getByRole('region', { name: /^Changes/ });
    const files = review.getByRole('list', { name: 'Changed files' });
    await expect(files.getByRole('listitem')).toHaveCount(changed.length);
    for (const f of changed) {
      await expect(files.getByRole('listitem').filter({ hasText: f.path })).toContainText(`+${f.additions}`);
    }
    await expect(review.locator('.review-summary')).toContainText(
      `+${changed.reduce((n, f) => n + f.additions, 0)}`,
    );

    // A diff per file, several open at once, each showing the lines that are on the branch.
    const opened = changed.slice(0, 2);
    for (const f of opened) {
      const section = review.getByRole('region', { name: `Diff of ${f.path}` });
      await expect(section.locator('table.diff')).toBeVisible();
      const firstLine = git(repo, 'show', `${missionBranch}:${f.path}`)
        .split('\n')
        .find((l) => l.trim() !== '')!;
      await expect(
        section.locator('.diff-code-insert').filter({ hasText: firstLine.trim() }).first(),
      ).toBeVisible();
    }
    // Syntax highlighting: Prism's tokens are in the code cells.
    await expect(review.locator('.diff-code .token').first()).toBeVisible();
    await review.getByRole('button', { name: 'Side by side' }).click();
    await expect(review.locator('table.diff-split').first()).toBeVisible();
    await review.getByRole('button', { name: 'Unified' }).click();
    await expect(review.locator('table.diff-unified').first()).toBeVisible();

    // The tests that ran: the mission branch's run first, with its output.
    const tests = review.getByRole('region', { name: 'Tests' });
    await expect(tests).toContainText('node --test');
    await expect(tests).toContainText('Mission branch, before the final merge');
    await expect(tests.getByLabel('Output of node --test').first()).toContainText(/# pass \d+/);
    // The leaders' verdicts on the tasks, and the cost (the mission's spend, from the calls ledger).
    const tasks = await invoke<{ title: string; state: string }[]>(page, 'tasks:list', { missionId });
    const verdicts = review.getByRole('region', { name: 'Leaders’ reviews' });
    for (const t of tasks.filter((x) => x.state === 'merged')) await expect(verdicts).toContainText(t.title);
    const { mission } = await invoke<{ mission: { spentNanoUsd: number } }>(page, 'missions:get', {
      id: missionId,
    });
    expect(mission.spentNanoUsd).toBeGreaterThan(0);
    await expect(review.locator('.review-summary')).toContainText(formatUsd(mission.spentNanoUsd));
    await saveScreen('review-final-merge');

    // By keyboard: v moves to the review, a approves.
    await page.keyboard.press('v');
    await expect(review.getByRole('heading', { name: /^Changes/ })).toBeFocused();
    await page.keyboard.press('a');
    await expect
      .poll(
        async () =>
          (await invoke<{ mission: { state: string } }>(page, 'missions:get', { id: missionId })).mission
            .state,
        {
          timeout: 20_000,
        },
      )
      .toBe('done');
    // The base branch moved to a merge of the mission branch, and holds the reviewed files.
    const mainAfter = git(repo, 'rev-parse', 'main');
    expect(mainAfter).not.toBe(mainBefore);
    expect(git(repo, 'rev-parse', `${mainAfter}^2`)).toBe(git(repo, 'rev-parse', missionBranch));
    const onMain = git(repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
    for (const f of changed) expect(onMain).toContain(f.path);
  });
});

test.describe('the Diff tab', () => {
  // Slow enough that a coder's edits sit uncommitted and unmerged for a while.
  test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '1' } });

  test("shows a coder's work in progress while it works", async ({ page, appUrl, dataDir, saveScreen }) => {
    test.setTimeout(150_000);
    await page.goto(appUrl);
    await launch(page, dataDir, [['core-c1', 'Cora']]);
    const missions = new MissionsPage(page);
    await missions.nav('Missions').click();
    await page.getByRole('table', { name: 'Missions' }).getByRole('button', { name: 'Todo module' }).click();
    await missions.missionAgentRow('Core', 'Cora').getByRole('button', { name: 'Cora', exact: true }).click();
    await missions.drawer.getByRole('tab', { name: 'Diff' }).click();
    const panel = missions.drawer.getByRole('tabpanel');
    const refresh = panel.getByRole('button', { name: 'Refresh' });

    // Refresh until the coder has written something (its edits are not merged yet).
    await expect
      .poll(
        async () => {
          if (await refresh.isEnabled()) await refresh.click();
          await page.waitForTimeout(300);
          return (await panel.textContent()) ?? '';
        },
        { timeout: 120_000, intervals: [500] },
      )
      .toMatch(/Work in progress · .* [1-9]\d* files ·/);
    const files = panel.getByRole('list', { name: 'Changed files' });
    await expect(files.getByRole('listitem').first()).toBeVisible();
    const path = ((await files.getByRole('listitem').first().locator('code').textContent()) ?? '').trim();
    expect(path).not.toBe('');
    await expect(
      panel
        .getByRole('region', { name: `Diff of ${path}` })
        .locator('.diff-code-insert')
        .first(),
    ).toBeVisible();
    await page.evaluate(() => window.scrollTo(0, 0));
    await saveScreen('review-drawer-work-in-progress');
  });
});
