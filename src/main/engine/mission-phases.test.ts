import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationView, MissionDetail } from '../../shared/mission.js';
import type { TeamSpec } from '../../shared/team.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { MissionStore } from '../ledger/mission-repository.js';
import type { Clock } from '../limiter/clock.js';
import { systemClock } from '../limiter/clock.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';
import { simulatedResponder } from './testing/simulated-responder.js';

/**
 * Phases end to end on real git repositories: team C starts after teams A and B. A and B
 * plan and code at the same time; they are merged into the mission branch when both are
 * done; only then does C plan, from a branch that starts at the mission branch, with A's
 * and B's deliveries in its leader's brief; the mission merges into main once approved.
 */

let h: Harness | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await h?.cleanup();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

const BRIEFS: Record<string, NonNullable<TeamSpec['brief']>> = {
  a: { focus: 'Storage: the in-memory store of bookmarks', owns: ['src/storage'] },
  b: { focus: 'Parsing: reading bookmark files', owns: ['src/parsing'] },
  c: { focus: 'Interface: the command line on top of storage and parsing', owns: ['src/cli'] },
};

const sim = () => new SimulatedProvider({ seed: 4, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

/** A clock the test can move forward, for the idle reaper. */
function shiftedClock(): Clock & { shift(ms: number): void } {
  let offset = 0;
  return { ...systemClock, now: () => systemClock.now() + offset, shift: (ms) => (offset += ms) };
}

function launch(harness: Harness, skipPlanApproval: boolean): string {
  const design = saveDesign(harness.ledger, [
    { id: 'a', coders: 2, brief: BRIEFS.a },
    { id: 'b', coders: 2, brief: BRIEFS.b },
    { id: 'c', coders: 2, brief: BRIEFS.c, after: ['a', 'b'] },
  ]);
  const { id } = harness.engine.create({
    designId: design.id,
    goal: 'Build a bookmarks manager',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval,
    allowedCommands: [],
    copyFiles: [],
    director: false,
  });
  // Saved designs keep briefs and 'starts after' links: the engine reads them from the ledger.
  expect(design.teams.map((t) => [t.id, t.brief?.owns, t.after ?? []])).toEqual([
    ['a', ['src/storage'], []],
    ['b', ['src/parsing'], []],
    ['c', ['src/cli'], ['a', 'b']],
  ]);
  return id;
}

/** The first message of an agent's conversation with this key prefix (its brief). */
function firstPrompt(harness: Harness, missionId: string, agentId: string, prefix: string): string {
  const entry = harness.engine.transcript(missionId, agentId).find((e) => e.conversation.startsWith(prefix) && e.role === 'user');
  return typeof entry?.content === 'string' ? entry.content : JSON.stringify(entry?.content ?? '');
}

/** Smallest and largest transcript row id of a team's agents: when it worked, in the ledger's order. */
function span(harness: Harness, missionId: string, teamId: string): { first: number; last: number } {
  return harness.ledger.db
    .prepare(
      `SELECT min(t.id) AS first, max(t.id) AS last FROM transcript_entries t
       JOIN mission_agents a ON a.mission_id = t.mission_id AND a.id = t.agent_id
       WHERE t.mission_id = ? AND a.team_id = ?`,
    )
    .get(missionId, teamId) as { first: number; last: number };
}

function team(detail: MissionDetail, id: string) {
  const found = detail.teams.find((t) => t.id === id);
  if (!found) throw new Error(`no team ${id}`);
  return found;
}

/** Everything a finished three-team mission must show; shared by the simulated and the real-SDK runs. */
function checkPhasedMission(harness: Harness, missionId: string, decided: EscalationView[]): void {
  const detail = harness.engine.get(missionId);
  expect(detail.mission.state).toBe('done');
  const [a, b, c] = [team(detail, 'a'), team(detail, 'b'), team(detail, 'c')];
  expect([a.phase, b.phase, c.phase]).toEqual([1, 1, 2]);
  expect([a.phaseState, b.phaseState, c.phaseState]).toEqual(['merged', 'merged', 'merged']);

  // A and B worked at the same time: each started before the other finished.
  const [sa, sb, sc] = [span(harness, missionId, 'a'), span(harness, missionId, 'b'), span(harness, missionId, 'c')];
  expect(sa.first).toBeLessThan(sb.last);
  expect(sb.first).toBeLessThan(sa.last);

  // C did nothing before A and B were merged: its first transcript row is after their merge notes.
  const at = (teamId: string, state: string): string =>
    harness.ledger.db
      .prepare("SELECT at FROM mission_log WHERE mission_id = ? AND kind = 'note' AND subject_id = ? AND to_state = ? ORDER BY id LIMIT 1")
      .pluck()
      .get(missionId, teamId, state) as string;
  const cFirstAt = harness.ledger.db.prepare('SELECT created_at FROM transcript_entries WHERE id = ?').pluck().get(sc.first) as string;
  expect(at('a', 'merged') <= cFirstAt && at('b', 'merged') <= cFirstAt).toBe(true);
  expect(at('c', 'active') >= at('a', 'merged') && at('c', 'active') >= at('b', 'merged')).toBe(true);

  // C's branch started at the mission branch after both merges, so its first coder commit builds on them.
  expect(a.mergedCommit && b.mergedCommit && c.startCommit).toBeTruthy();
  const teamBranch = (detail.mission.missionBranch ?? '').replace(/@mission$/, 'c/@team');
  const firstCoderCommit = git(harness.repo, 'rev-list', '--reverse', '--no-merges', `${c.startCommit}..${teamBranch}`).split('\n')[0] ?? '';
  expect(firstCoderCommit).toMatch(/^[0-9a-f]{40}$/);
  for (const merged of [a.mergedCommit, b.mergedCommit]) {
    expect(() => git(harness.repo, 'merge-base', '--is-ancestor', merged ?? '', firstCoderCommit)).not.toThrow();
  }

  // Each team's tasks stayed inside its owned paths, so the teams' work is disjoint.
  for (const t of detail.tasks) {
    const folder = BRIEFS[t.teamId]?.owns[0] ?? '?';
    for (const path of t.owns) expect(path.startsWith(`${folder}/`)).toBe(true);
  }
  // What each merged team delivered is recorded: its files and a summary.
  for (const t of [a, b]) {
    expect(t.delivery?.files.length).toBeGreaterThan(0);
    expect(t.delivery?.files.every((f) => f.startsWith(`${BRIEFS[t.id]?.owns[0]}/`))).toBe(true);
    expect(t.delivery?.summary).toContain('Plan:');
  }

  // The leaders planned from their briefs; C's brief holds A's and B's deliveries.
  const prompts = Object.fromEntries(['a', 'b', 'c'].map((id) => [id, firstPrompt(harness, missionId, `${id}-lead`, 'plan:')]));
  for (const id of ['a', 'b', 'c']) {
    expect(prompts[id]).toContain(BRIEFS[id]?.focus);
    expect(prompts[id]).toContain(`Team owns: ${BRIEFS[id]?.owns[0]}`);
  }
  expect(prompts.a).toContain(BRIEFS.b?.focus);
  expect(prompts.a).not.toContain('delivered');
  expect(prompts.c).toContain('Phase: 2, after a, b');
  for (const t of [a, b]) for (const file of t.delivery?.files ?? []) expect(prompts.c).toContain(file);

  // The mission reached main only through the person's approval, with every team's files.
  expect(decided.at(-1)?.type).toBe('final_merge');
  const files = git(harness.repo, 'ls-tree', '-r', '--name-only', 'main').split('\n');
  for (const t of detail.tasks) for (const path of t.owns) expect(files).toContain(path);
  expect(detail.mission.finalCommit).toBe(git(harness.repo, 'rev-parse', 'main'));
}

describe('phases: team C after teams A and B', () => {
  it('runs A and B together, merges them, then C from the mission branch (simulated provider), with a plan approval per phase', async () => {
    h = createHarness(sim());
    const missionId = launch(h, false);
    await h.engine.start(missionId);
    const decided = await driveToEnd(h, missionId);
    expect(decided.map((e) => e.type)).toEqual(['plan_approval', 'plan_approval', 'final_merge']);
    expect(decided[0]?.payload.teams).toEqual(['a', 'b']);
    expect(decided[1]?.payload.teams).toEqual(['c']);
    checkPhasedMission(h, missionId, decided);
    // The mission page hears each team's phase as it moves, not only when the mission's state does.
    const phaseEvents = h.events
      .filter((e) => e.name === 'missions:team-changed')
      .map((e) => e.payload as { missionId: string; id: string; phaseState: string })
      .filter((t) => t.missionId === missionId && t.id === 'c')
      .map((t) => t.phaseState);
    expect(phaseEvents).toContain('active');
    expect(phaseEvents.at(-1)).toBe('merged');
    expect(h.errors).toEqual([]);
  });

  it('runs the same mission over the real @anthropic-ai/sdk against the loopback fake', async () => {
    const { responder } = simulatedResponder({ seed: 4, questionRate: 0, commandRate: 0, rejectRate: 0 });
    fake = await startFakeMessagesApi({ responder });
    h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }));
    const missionId = launch(h, true);
    await h.engine.start(missionId);
    const decided = await driveToEnd(h, missionId, () => ({ decision: 'approve' }), 120_000);
    expect(decided.map((e) => e.type)).toEqual(['final_merge']);
    checkPhasedMission(h, missionId, decided);
    // Every call went over the wire and was billed as the fake billed it.
    const billed = h.ledger.db.prepare('SELECT count(*) FROM calls WHERE mission_id = ?').pluck().get(missionId);
    expect(billed).toBe(fake.billing.length);
    expect(h.errors).toEqual([]);
  });
});

describe('a waiting team', () => {
  it('is not reaped as idle, and its agents say what they wait for', async () => {
    const clock = shiftedClock();
    h = createHarness(sim(), { clock });
    const missionId = launch(h, false);
    await h.engine.start(missionId);
    await waitFor(() => h?.engine.get(missionId).mission.state === 'awaiting_plan_approval', 30_000, 'the first phase plan');
    const detail = h.engine.get(missionId);
    expect(team(detail, 'c').phaseState).toBe('waiting');
    const waiting = detail.agents.filter((a) => a.teamId === 'c');
    expect(waiting.map((a) => a.stateReason)).toEqual(waiting.map(() => 'waiting for a and b to be merged into the mission branch'));

    clock.shift(3_600_000);
    const killed = h.engine.reapIdle();
    expect(killed.filter((id) => id.startsWith('c-'))).toEqual([]);
    expect(h.engine.agents(missionId).filter((a) => a.teamId === 'c').every((a) => a.state === 'idle')).toBe(true);
    // Nobody else either: every coder waits for the plan the person is reading, which is not idleness.
    expect(killed).toEqual([]);
  });
});

describe('a restart mid-mission', () => {
  it('keeps the waiting team waiting, and never merges a merged phase twice', async () => {
    h = createHarness(sim());
    const missionId = launch(h, false);
    await h.engine.start(missionId);
    const approvePlan = async (harness: Harness, teams: string[]): Promise<void> => {
      const esc = await waitFor(
        () => harness.engine.escalations(missionId, true).find((e) => e.type === 'plan_approval'),
        30_000,
        `the plan of ${teams.join(', ')}`,
      );
      expect(esc.payload.teams).toEqual(teams);
      await harness.engine.decide({ id: esc.id, decision: 'approve', comment: '', alwaysAllow: false });
    };
    const restart = async (harness: Harness): Promise<void> => {
      harness.ledger.close();
      await new Promise((r) => setTimeout(r, 200));
      harness.reopen(sim());
      // A plan waiting for approval stays so (nothing runs); a working mission comes back paused.
      const state = harness.engine.get(missionId).mission.state;
      expect(['awaiting_plan_approval', 'paused']).toContain(state);
      if (state === 'paused') await harness.engine.resume(missionId);
    };

    // Crash while the first phase waits for its plan's approval: C still waits afterwards.
    await waitFor(() => h?.engine.get(missionId).mission.state === 'awaiting_plan_approval', 30_000, 'the first plan');
    await restart(h);
    expect(team(h.engine.get(missionId), 'c').phaseState).toBe('waiting');
    await approvePlan(h, ['a', 'b']);
    expect(team(h.engine.get(missionId), 'c').phaseState).toBe('waiting');

    // Crash after A and B merged, while C's plan waits for approval.
    await approvePlanAfterCrash();
    async function approvePlanAfterCrash(): Promise<void> {
      const harness = h as Harness;
      await waitFor(() => harness.engine.escalations(missionId, true).some((e) => e.type === 'plan_approval'), 60_000, "C's plan");
      await restart(harness);
      const detail = harness.engine.get(missionId);
      expect([team(detail, 'a').phaseState, team(detail, 'b').phaseState, team(detail, 'c').phaseState]).toEqual(['merged', 'merged', 'active']);
      await approvePlan(harness, ['c']);
    }
    const decided = await driveToEnd(h, missionId);
    expect(decided.map((e) => e.type)).toEqual(['final_merge']);
    expect(h.engine.get(missionId).mission.state).toBe('done');

    // One merge commit per team on the mission branch, and one merge note per team in the log.
    const merges = git(h.repo, 'log', '--merges', '--format=%s', h.engine.get(missionId).mission.missionBranch ?? '').split('\n');
    for (const id of ['a', 'b', 'c']) expect(merges.filter((s) => s.startsWith(`Merge Team ${id} into mission`))).toHaveLength(1);
    const notes = h.ledger.db
      .prepare("SELECT subject_id FROM mission_log WHERE mission_id = ? AND kind = 'note' AND to_state = 'merged' ORDER BY id")
      .pluck()
      .all(missionId);
    expect(notes).toEqual(['a', 'b', 'c']);
  });
});

describe('mission teams in the ledger', () => {
  it("copies each team's 'starts after' at create, and the director's share and links replace it before the start", async () => {
    h = createHarness(sim());
    const missionId = launch(h, true);
    const store = new MissionStore(h.ledger.db);
    expect(store.teams(missionId).map((t) => [t.id, t.after, t.phaseState, t.share])).toEqual([
      ['a', [], 'active', null],
      ['b', [], 'active', null],
      ['c', ['a', 'b'], 'waiting', null],
    ]);
    // The director's step: B now starts after A, and C gets a share of its own.
    store.setTeamAfter(missionId, 'b', ['a']);
    store.setTeamShare(missionId, 'c', 'The CLI: add, list and import commands');
    expect(() => store.setTeamShare(missionId, 'nope', 'x')).toThrow(/has no team nope/);
    await h.engine.start(missionId);
    const detail = h.engine.get(missionId);
    expect(detail.teams.map((t) => [t.id, t.phase, t.phaseState])).toEqual([
      ['a', 1, 'active'],
      ['b', 2, 'waiting'],
      ['c', 3, 'waiting'],
    ]);
    expect(team(detail, 'c').share).toBe('The CLI: add, list and import commands');
    const decided = await driveToEnd(h, missionId);
    expect(decided.map((e) => e.type)).toEqual(['final_merge']);
    expect(firstPrompt(h, missionId, 'c-lead', 'plan:')).toContain('Share: The CLI: add, list and import commands');
    // B started after A was merged: A's merge commit is in B's start.
    const after = h.engine.get(missionId);
    expect(() => git(h!.repo, 'merge-base', '--is-ancestor', team(after, 'a').mergedCommit ?? '', team(after, 'b').startCommit ?? '')).not.toThrow();
  });
});
