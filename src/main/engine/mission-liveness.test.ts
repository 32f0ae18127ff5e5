import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationView } from '../../shared/mission.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { systemClock, type Clock } from '../limiter/clock.js';
import { createHarness, driveToEnd, saveDesign, waitFor, type Harness } from './testing/harness.js';

/**
 * Waiting is not idleness, and a mission that cannot move says so. The idle reaper leaves
 * alone every agent the mission (not the agent) keeps waiting: for a plan, a re-plan, the
 * person's approval. A mission in which no agent can act and nothing waits for the person
 * puts that in the Inbox with the reason: approve restarts the stopped agents, deny fails it.
 */

let h: Harness | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await h?.cleanup();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

/** Real timers, with a clock the test moves forward for the reaper. */
function shiftedClock(): Clock & { shift(ms: number): void } {
  let offset = 0;
  return { ...systemClock, now: () => systemClock.now() + offset, shift: (ms) => (offset += ms) };
}

const TWO_MINUTES = 121_000;

function launch(harness: Harness, teams: { id: string; coders: number }[]): string {
  const design = saveDesign(harness.ledger, teams);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: false,
    allowedCommands: [],
    copyFiles: [],
    director: false,
  }).id;
}

const openHuman = (harness: Harness, missionId: string): EscalationView[] =>
  harness.engine.escalations(missionId, true).filter((e) => e.level === 'human');

describe('the idle reaper while the mission waits for the person', () => {
  it('stops no one while the plan waits for approval, is sent back, is re-planned and waits again; the coders then do the work', async () => {
    const clock = shiftedClock();
    h = createHarness(new SimulatedProvider({ seed: 3, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 }), { clock });
    const missionId = launch(h, [
      { id: 'a', coders: 4 },
      { id: 'b', coders: 4 },
    ]);
    await h.engine.start(missionId);
    const first = await waitFor(() => openHuman(h!, missionId).find((e) => e.type === 'plan_approval'), 30_000, 'the plan');

    // The default idle timeout (120 s) passes while the person reads the plan.
    clock.shift(TWO_MINUTES);
    expect(h.engine.reapIdle()).toEqual([]);

    // "Ask for changes": the leaders plan again; the coders wait for that plan too.
    await h.engine.decide({ id: first.id, decision: 'reply', comment: 'Smaller tasks, please.', alwaysAllow: false });
    expect(h.engine.get(missionId).mission.state).toBe('planning');
    clock.shift(TWO_MINUTES);
    expect(h.engine.reapIdle()).toEqual([]);
    const second = await waitFor(() => openHuman(h!, missionId).find((e) => e.type === 'plan_approval'), 30_000, 'the new plan');
    clock.shift(TWO_MINUTES);
    expect(h.engine.reapIdle()).toEqual([]);
    expect(h.engine.killIdle(missionId).killed).toEqual([]);

    const agents = h.engine.agents(missionId);
    expect(agents.filter((a) => a.state === 'killed')).toEqual([]);
    // Nobody was stopped, so no team was left without coders.
    expect(h.engine.escalations(missionId).filter((e) => e.type === 'stall')).toEqual([]);

    // Once approved, the waiting is over: the timeout counts from here, not from the start.
    await h.engine.decide({ id: second.id, decision: 'approve', comment: '', alwaysAllow: false });
    expect(h.engine.reapIdle()).toEqual([]);
    await driveToEnd(h, missionId);
    expect(h.engine.get(missionId).mission.state).toBe('done');
    expect(h.engine.escalations(missionId).filter((e) => e.type === 'stall')).toEqual([]);
    expect(h.errors).toEqual([]);
  });
});

describe('a mission whose only leader fails', () => {
  it('says it cannot go on (real SDK, every call answered 500): retry restarts the leader, deny fails the mission', async () => {
    const clock = shiftedClock();
    fake = await startFakeMessagesApi({ faultRates: { serverError: 1 } });
    h = createHarness(
      new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }),
      { clock },
      // Two quick retries instead of the real back-off; the breaker stays out of the way.
      { limiter: { retry: { maxServerRetries: 2, baseDelayMs: 5, maxDelayMs: 20 }, breaker: { failureThreshold: 1_000 } } },
    );
    const missionId = launch(h, [{ id: 'core', coders: 2 }]);
    await h.engine.start(missionId);

    const stuck = await waitFor(() => openHuman(h!, missionId).find((e) => e.payload.mission === true), 30_000, 'the "cannot go on" item');
    const detail = h.engine.get(missionId);
    expect(detail.mission.state).toBe('planning');
    expect(detail.agents.find((a) => a.id === 'core-lead')?.state).toBe('failed');
    expect(stuck).toMatchObject({ type: 'stall', teamId: null, level: 'human', state: 'open' });
    expect(stuck.title).toContain('cannot go on');
    // The reason names the leader and what failed; the choices are spelled out.
    expect(stuck.detail).toMatch(/core-lead failed \(.*(500|Internal server error)/);
    expect(stuck.detail).toMatch(/Approve to restart core-lead .*; deny to fail the mission\./);
    // Every attempt went over the wire and is in the ledger: 1 + 2 retries.
    expect(h.ledger.db.prepare('SELECT count(*) FROM calls WHERE mission_id = ?').pluck().get(missionId)).toBe(3);
    // The coders wait for a plan: they are not reaped while the person decides.
    clock.shift(TWO_MINUTES);
    expect(h.engine.reapIdle()).toEqual([]);
    // Asked once: nothing else is raised while the item is open.
    expect(openHuman(h, missionId)).toHaveLength(1);

    // Retry: the leader is restarted and tries again (and fails again, the API still answers 500).
    await h.engine.decide({ id: stuck.id, decision: 'approve', comment: '', alwaysAllow: false });
    const again = await waitFor(
      () => openHuman(h!, missionId).find((e) => e.payload.mission === true && e.id !== stuck.id),
      30_000,
      'the item after the retry',
    );
    expect(h.ledger.db.prepare('SELECT count(*) FROM calls WHERE mission_id = ?').pluck().get(missionId)).toBe(6);
    const log = h.ledger.db.prepare("SELECT to_state FROM mission_log WHERE subject_id = 'core-lead' AND kind = 'agent' ORDER BY id").pluck().all() as string[];
    // Started, failed, restarted by the person, failed again.
    expect(log.filter((s) => s === 'idle' || s === 'failed')).toEqual(['idle', 'failed', 'idle', 'failed']);

    // Fail the mission: it ends, with the reason as its outcome.
    await h.engine.decide({ id: again.id, decision: 'deny', comment: '', alwaysAllow: false });
    const ended = h.engine.get(missionId).mission;
    expect(ended.state).toBe('failed');
    expect(ended.outcome).toMatch(/^no agent could go on: core-lead failed/);
  });
});
