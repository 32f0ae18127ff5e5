import { expect, invoke, makeRepo, test } from '../fixtures.js';
import { TeamsPage } from '../../pages/teams-page.js';

const DESIGN = 'Desktop squad';

test('open, design a team, run a simulated mission, answer its escalation, quit and find it all again', async ({
  launch,
  dataDir,
}) => {
  test.setTimeout(120_000);
  const first = await launch();
  const teams = new TeamsPage(first.window);

  // Open: the desktop shell over IPC, not browser mode.
  await expect(first.window.getByText('Desktop app')).toBeVisible();
  await expect(first.window.getByRole('status', { name: 'Engine: Connected' })).toBeVisible();
  await expect(teams.listHeading).toBeVisible();
  const info = await invoke(first.window, 'app:get-info', {});
  expect(info.runtime).toBe('electron');
  expect(info.provider.id).toBe('simulated');
  expect(info.dataDir).toBe(dataDir);

  // Create a team through the screen: a new design is Team 1 = Lead 1 + Coder 1-1.
  await teams.openNewDesign();
  await first.window.getByLabel('Design name').fill(DESIGN);
  await teams.save();
  await teams.backToList();
  expect(await teams.listedNames()).toEqual([DESIGN]);

  // Start a simulated mission (the Missions screen is not built yet: through the contract).
  const [design] = await invoke(first.window, 'teams:list', {});
  const repoPath = await makeRepo(dataDir);
  const created = await invoke(first.window, 'missions:create', {
    designId: design!.id,
    goal: 'Add a greet(name) function with a test.',
    repoPath,
    budgetUsd: 5,
  });
  await invoke(first.window, 'missions:start', { id: created.id });

  // The leader's plan waits for a person.
  await expect
    .poll(
      async () =>
        (await invoke(first.window, 'escalations:list', { missionId: created.id, openOnly: true })).map(
          (e) => e.type,
        ),
      {
        timeout: 60_000,
      },
    )
    .toContain('plan_approval');
  const [plan] = (
    await invoke(first.window, 'escalations:list', { missionId: created.id, openOnly: true })
  ).filter((e) => e.type === 'plan_approval');
  const decided = await invoke(first.window, 'escalations:decide', {
    id: plan!.id,
    decision: 'approve',
    comment: 'Go ahead.',
  });
  expect(decided).toMatchObject({ state: 'resolved', decision: 'approve', decidedBy: 'human' });

  // Quit, as a person would, then relaunch on the same data folder.
  await invoke(first.window, 'missions:pause', { id: created.id }).catch(() => undefined);
  await first.app.close();

  const second = await launch();
  const again = new TeamsPage(second.window);
  await expect(again.listHeading).toBeVisible();
  expect(await again.listedNames()).toEqual([DESIGN]);
  const missions = await invoke(second.window, 'missions:list', {});
  expect(missions.map((m) => m.id)).toEqual([created.id]);
  const history = await invoke(second.window, 'escalations:list', { missionId: created.id });
  expect(history.find((e) => e.id === plan!.id)).toMatchObject({
    state: 'resolved',
    decision: 'approve',
    comment: 'Go ahead.',
    decidedBy: 'human',
  });
});
