import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startFakeGithubApi, type FakeGithubApi } from '../../src/main/publish/testing/fake-github-api.js';
import { invoke, makeRepo, designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { InboxPage } from '../pages/inbox-page.js';
import { MissionsPage } from '../pages/missions-page.js';
import { SettingsPage } from '../pages/settings-page.js';

// Pull requests (issue 19): the token is set in Settings > GitHub (only its mask comes back),
// and the final merge is answered with a pull request from the Inbox: the mission branch is
// pushed to the repository's origin (a bare repository here) and the pull request opened on
// a loopback fake of GitHub's REST API, never the real one.

// Shaped like a classic personal access token; never a real one.
const TOKEN = 'ghp_' + 'E2eT0kenForPullRequests0000000000wxyz';

let github: FakeGithubApi | undefined;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

const agent = designAgent;

/** A one-team mission on a repository whose origin is "GitHub" (pushes land in a bare repository). */
async function launch(page: Page, dataDir: string): Promise<{ missionId: string; repo: string; bare: string }> {
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'PR squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [{ id: 'core', name: 'Core', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [agent('core-lead', 'Core lead', 'leader'), agent('core-c1', 'Cora', 'coder')] }],
    },
  });
  const repo = makeRepo(join(dataDir, 'work'));
  const bare = join(dataDir, 'origin.git');
  mkdirSync(bare);
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  git(repo, 'remote', 'add', 'origin', 'https://github.com/acme/shop.git');
  git(repo, 'config', 'remote.origin.pushurl', bare);
  git(repo, 'push', '-q', 'origin', 'main');
  const m = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Greeting module',
    goal: 'A greeting module with tests.',
    repoPath: repo,
    budgetUsd: 40,
    skipPlanApproval: true,
  });
  await invoke(page, 'missions:start', { id: m.id });
  return { missionId: m.id, repo, bare };
}

async function untilFinalMerge(page: Page, missionId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const open = (await invoke<{ id: string; type: string; level: string }[]>(page, 'escalations:list', { missionId, openOnly: true })).filter((e) => e.level === 'human');
    if (open.some((e) => e.type === 'final_merge')) return;
    for (const e of open) await invoke(page, 'escalations:decide', { id: e.id, decision: 'approve', comment: '' }).catch(() => undefined);
    if (Date.now() > deadline) throw new Error('no final merge within 120 s');
    await page.waitForTimeout(200);
  }
}

test.describe('pull requests', () => {
  test.use({
    // The engine is pointed at a loopback fake of GitHub's API, started for the test.
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    engineEnv: async ({}, use) => {
      github = await startFakeGithubApi({ token: TOKEN, repos: ['acme/shop'] });
      await use({ CONTROL_ROOM_SIM_LATENCY: '0', CONTROL_ROOM_GITHUB_API_URL: github.url });
      await github.close();
    },
  });

  test('a token set in Settings, then the final merge answered with a pull request from the Inbox', async ({ page, appUrl, dataDir, saveScreen }) => {
    test.setTimeout(180_000);
    await page.goto(appUrl);

    // Settings > GitHub: a wrong paste is refused in the window; the token comes back only as its mask.
    const settings = new SettingsPage(page);
    await settings.open();
    const section = settings.section('GitHub');
    await section.getByLabel('GitHub token').fill('sk-ant-not-a-github-token');
    await section.getByRole('button', { name: 'Save token' }).click();
    await expect(section.getByRole('alert')).toContainText('GitHub token: must be a GitHub token');
    await section.getByLabel('GitHub token').fill(TOKEN);
    await section.getByRole('button', { name: 'Save token' }).click();
    await expect(section.getByTestId('github-token-status')).toContainText('ghp_…wxyz');
    await expect(page.locator('body')).not.toContainText(TOKEN);
    await saveScreen('settings-github');

    const { missionId, repo, bare } = await launch(page, dataDir);
    await untilFinalMerge(page, missionId);
    const mainBefore = git(repo, 'rev-parse', 'main');

    // The Inbox item offers the pull request: origin chosen, a draft.
    const inbox = new InboxPage(page);
    await inbox.open();
    await inbox.row(/Merge mission/).getByRole('button').click();
    const panel = inbox.detail.getByRole('region', { name: 'Pull request' });
    await expect(panel.getByLabel('Remote')).toHaveValue('origin');
    await expect(panel).toContainText("Through GitHub's API.");
    await panel.getByLabel('Draft').check();
    await saveScreen('inbox-pull-request');
    await panel.getByRole('button', { name: 'Push and open pull request' }).click();

    // The mission now reads as a pull request, with its link on its page; nothing merged into main.
    await expect
      .poll(async () => (await invoke<{ mission: { resultKind: string | null } }>(page, 'missions:get', { id: missionId })).mission.resultKind, { timeout: 20_000 })
      .toBe('pull_request');
    const missions = new MissionsPage(page);
    await missions.nav('Missions').click();
    await page.getByRole('table', { name: 'Missions' }).getByRole('button', { name: 'Greeting module' }).click();
    const link = page.getByRole('link', { name: 'Pull request #1' });
    await expect(link).toHaveAttribute('href', 'https://github.com/acme/shop/pull/1');
    await expect(link).toHaveAttribute('target', '_blank');
    await saveScreen('mission-pull-request');
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);

    // GitHub (the fake) got the pull request with the token, the branch is in the remote.
    const pull = github!.pulls.get('acme/shop')![0]!;
    expect(pull).toMatchObject({ base: 'main', draft: true, title: 'Greeting module' });
    expect(pull.body).toContain('> A greeting module with tests.');
    expect(github!.requests[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(git(bare, 'rev-parse', `refs/heads/${pull.head}`)).toBe(git(repo, 'rev-parse', pull.head));
  });
});
