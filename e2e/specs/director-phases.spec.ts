import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures.js';
import { invoke, makeRepo } from '../engine-api.js';
import { InboxPage } from '../pages/inbox-page.js';
import { MissionsPage } from '../pages/missions-page.js';
import { TeamsPage } from '../pages/teams-page.js';

// Fast enough for a two-phase mission in a test, slow enough to see each phase's states.
test.use({ engineEnv: { CONTROL_ROOM_SIM_LATENCY: '0.02' } });

const CORE_BRIEF = 'Core: the todo model and its storage in src/core';
const WEB_BRIEF = 'Web: the list page over the core';

test('briefs and phases set in the designer reach the launch form; the director drafts, is sent back once, approved by key; Web starts only after Core is merged', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(240_000);
  const teams = new TeamsPage(page);
  const ui = new MissionsPage(page);
  const inbox = new InboxPage(page);
  const repo = makeRepo(join(dataDir, 'work'));

  // The designer: two teams, a brief by mouse, a brief by keyboard, a phase by keyboard.
  await page.goto(appUrl);
  await teams.openNewDesign();
  await page.getByLabel('Design name').fill('Todo in two phases');
  await page.getByRole('button', { name: 'Add team' }).click();
  await teams.team('Team 1').getByLabel('Team name').fill('Core');
  await teams.team('Team 2').getByLabel('Team name').fill('Web');
  const core = teams.team('Core');
  const web = teams.team('Web');
  await teams.briefButton(core).click();
  await teams.briefBox(core).fill(CORE_BRIEF);
  await page.getByLabel('Design name').click();
  await expect(teams.briefButton(core)).toContainText(CORE_BRIEF);
  await teams.briefButton(web).focus();
  await page.keyboard.press('Enter');
  await expect(teams.briefBox(web)).toBeFocused();
  await page.keyboard.type(WEB_BRIEF);
  await page.keyboard.press('Escape');
  await expect(teams.briefButton(web)).toContainText(WEB_BRIEF);
  // Web starts after Core, through the card menu and the keyboard only.
  await web.getByRole('button', { name: 'Actions for Team Web' }).focus();
  await page.keyboard.press('ArrowDown');
  await page.getByRole('menuitem', { name: 'Start after…' }).focus();
  await page.keyboard.press('Enter');
  await expect(teams.afterBox(web, 'Core')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(teams.phase(web)).toHaveText('Phase 2 · after Core');
  await teams.save();

  // The launch form: one share per team, pre-filled from its brief, labelled with its phase.
  await ui.nav('Missions').click();
  await page.getByRole('button', { name: 'Launch a mission' }).click();
  await ui.fillLaunch({ design: 'Todo in two phases', goal: 'A todo app: add and list todos, with tests.', repo, commands: 'node --test' });
  await expect(ui.shareField('Core')).toHaveValue(CORE_BRIEF);
  await expect(ui.shareField('Web')).toHaveValue(WEB_BRIEF);
  await expect(ui.sharePhase('Core')).toHaveText('Phase 1 · starts at once');
  await expect(ui.sharePhase('Web')).toHaveText('Phase 2 · after Core');
  // The phase is the field's description too, so a screen reader says it with the field.
  await expect(ui.shareField('Web')).toHaveAccessibleDescription('Phase 2 · after Core');
  // Editable by keyboard; an edit can be taken back to the brief.
  await ui.shareField('Web').focus();
  await page.keyboard.press('End');
  await page.keyboard.type(', with a done button');
  await expect(ui.shareField('Web')).toHaveValue(`${WEB_BRIEF}, with a done button`);
  await ui.launchForm.getByRole('button', { name: 'Reset the share of Web to its brief' }).click();
  await expect(ui.shareField('Web')).toHaveValue(WEB_BRIEF);
  await ui.shareField('Web').fill('Web: only the list page');
  await saveScreen('launch-shares');

  // With the director asked, the fields give way to why; the teams' phases stay in view.
  await ui.directorBox.focus();
  await page.keyboard.press('Space');
  await expect(ui.directorBox).toBeChecked();
  await expect(ui.shareField('Web')).toHaveCount(0);
  await expect(ui.launchForm).toContainText("The director writes each team's share, so there is nothing to fill in here");
  const phases = ui.launchForm.getByRole('group', { name: 'Teams and phases' });
  await expect(phases.getByRole('listitem')).toHaveText(['Core · Phase 1 · starts at once', 'Web · Phase 2 · after Core']);
  await saveScreen('launch-director');
  // Unticked, what the person typed is still there; ticked again for this launch.
  await ui.directorBox.uncheck();
  await expect(ui.shareField('Web')).toHaveValue('Web: only the list page');
  await ui.directorBox.check();
  await ui.launchForm.getByRole('button', { name: 'Launch mission' }).click();
  await expect(page).toHaveURL(/#\/missions\/m-[0-9a-f]+$/);
  const missionUrl = page.url();
  const missionId = /#\/missions\/(m-[0-9a-f]+)$/.exec(missionUrl)?.[1] ?? '';

  // The director's draft, on the mission page and in the Inbox, before any leader plans.
  await expect(ui.directorDraft.getByLabel(/^Share of Team Web/)).toHaveValue(/^Web: the list page over the core, for: A todo app/, {
    timeout: 30_000,
  });
  await expect(ui.teamPhaseState('Web')).toHaveText('Waiting for Core');
  await inbox.open();
  await inbox.row("The director's draft of each team's share").getByRole('button').click();
  await expect(inbox.draftShare('Core')).toHaveValue(/^Core: the todo model/);
  await saveScreen('inbox-director-draft');

  // d puts the cursor in the comment and decides nothing; Ctrl+Enter sends it back with the comment.
  await inbox.row("The director's draft of each team's share").getByRole('button').focus();
  await page.keyboard.press('d');
  await expect(inbox.directorComment).toBeFocused();
  await expect(inbox.directorDraft.getByRole('button', { name: 'Approve the brief' })).toBeEnabled();
  await page.keyboard.type('Name the module the list page imports.');
  await page.keyboard.press('Control+Enter');
  const second = inbox.row("The director's draft of each team's share (round 2)");
  await expect(second).toBeVisible({ timeout: 30_000 });
  await second.getByRole('button').click();
  await expect(inbox.directorDraft.getByLabel('Interfaces between teams')).toHaveValue(
    /Revised for the person's comment: Name the module the list page imports\./,
    { timeout: 30_000 },
  );

  // An edit in the draft, then a: the edited brief is what is approved.
  await inbox.draftShare('Web').fill('Web: the list page, importing src/core/todos.js');
  await second.getByRole('button').focus();
  await page.keyboard.press('a');
  await expect(second).toHaveCount(0, { timeout: 15_000 });
  await saveScreen('inbox-director-approved');

  // Back on the mission: Core plans first, Web waits for it.
  await page.goto(missionUrl);
  await expect(ui.teamPhaseState('Core')).toHaveText('Active', { timeout: 30_000 });
  await expect(ui.teamPhaseState('Web')).toHaveText('Waiting for Core');
  await expect(page.getByText('Share: Web: the list page, importing src/core/todos.js')).toBeVisible();

  // Approve each plan as it comes; watch that Web is never out of waiting before Core is merged.
  const seen: string[] = [];
  const approval = page.getByRole('region', { name: 'Plan approval' });
  const waiting = page.getByRole('region', { name: 'Waiting for you' });
  const finalMerge = waiting.getByRole('listitem').filter({ hasText: 'Final merge' });
  const deadline = Date.now() + 180_000;
  for (;;) {
    // Both read in one go: two separate reads could straddle a refresh and pair old with new.
    const [coreState, webState] = await phaseStates(ui.page, ['Core', 'Web']);
    const pair = `Core: ${coreState} / Web: ${webState}`;
    if (seen.at(-1) !== pair) seen.push(pair);
    if (await finalMerge.isVisible()) break;
    if (await approval.isVisible()) {
      await approval.getByRole('button', { name: 'Approve plan' }).click().catch(() => undefined);
    }
    // The simulated coders sometimes ask a question or an unlisted command (as real ones do);
    // they are not what this test is about, so they are answered as `run --auto-approve` would.
    await answerIncidental(page, missionId);
    if (Date.now() > deadline) throw new Error(`no final merge in time; states seen: ${seen.join(' → ')}`);
    await page.waitForTimeout(150);
  }
  await saveScreen('mission-phase-2');
  expect(seen.filter((s) => !s.endsWith('Web: Waiting for Core') && !s.startsWith('Core: Merged'))).toEqual([]);
  expect(seen).toContain('Core: Active / Web: Waiting for Core');
  expect(seen).toContain('Core: Merged into the mission branch / Web: Active');

  // The final merge, by key in the Inbox; then both teams read as merged and main has both.
  await inbox.open();
  const mergeRow = inbox.row(/^Final merge/);
  await mergeRow.getByRole('button').click();
  await page.keyboard.press('a');
  await expect(mergeRow).toHaveCount(0, { timeout: 15_000 });
  await page.goto(missionUrl);
  // A finished mission's badge says how it ended: merged, not merely done.
  await expect(ui.stateBadge).toHaveText('Merged', { timeout: 30_000 });
  await expect(ui.teamPhaseState('Core')).toHaveText('Merged into the mission branch');
  await expect(ui.teamPhaseState('Web')).toHaveText('Merged into the mission branch');
  await saveScreen('mission-phases-done');
  const log = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: repo, encoding: 'utf8' });
  expect(log).toMatch(/Merge Team Core into mission/);
  expect(log).toMatch(/Merge Team Web into mission/);
});

/** The "Phase state of <team>" badges' texts, read together in one frame. */
function phaseStates(page: Page, teams: string[]): Promise<string[]> {
  return page.evaluate(
    (names) => names.map((n) => document.querySelector(`[aria-label="Phase state of ${n}"]`)?.textContent?.trim() ?? ''),
    teams,
  );
}

/** Answers the open questions and permissions of the mission (not its plan approvals or final merge), as `run --auto-approve` does. */
async function answerIncidental(page: Page, missionId: string): Promise<void> {
  const open = await invoke<{ id: string; type: string; level: string }[]>(page, 'escalations:list', { missionId, openOnly: true });
  for (const e of open) {
    if (e.level !== 'human' || e.type === 'plan_approval' || e.type === 'final_merge' || e.type === 'mission_brief') continue;
    const answer = e.type === 'question' ? { decision: 'reply', comment: 'Use your judgement and keep it small.' } : { decision: 'approve' };
    await invoke(page, 'escalations:decide', { id: e.id, ...answer }).catch(() => undefined);
  }
}
