import { afterEach, describe, expect, it } from 'vitest';
import type { MissionLogEntry } from '../../shared/mission.js';
import { dispatch, type Handlers } from '../api/dispatch.js';
import { missionsHandlers } from '../api/handlers/missions.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, saveDesign, waitFor, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const quiet = () =>
  new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

describe('missions:get-log', () => {
  it('answers the ledger rows in order, pages with afterId, and names the person’s kills and decisions', async () => {
    h = createHarness(quiet());
    const harness = h;
    const design = saveDesign(harness.ledger, [{ id: 'core', coders: 2 }]);
    const m = harness.engine.create({
      designId: design.id,
      goal: 'Build a todo CLI',
      repoPath: harness.repo,
      baseBranch: 'main',
      skipPlanApproval: false,
      allowedCommands: ['node --test'],
      copyFiles: [],
    });
    await harness.engine.start(m.id);
    // While the plan waits for approval the coders are idle: kill one, then approve with a comment.
    const approval = await waitFor(
      () => harness.engine.escalations(m.id, true).find((e) => e.type === 'plan_approval'),
      15_000,
      'the plan approval',
    );
    await waitFor(
      () => harness.engine.agents(m.id).find((a) => a.id === 'core-c2' && a.state === 'idle'),
      5_000,
      'an idle coder',
    );
    harness.engine.killAgent(m.id, 'core-c2');
    await harness.engine.decide({
      id: approval.id,
      decision: 'approve',
      comment: 'Ship it',
      alwaysAllow: false,
    });
    await driveToEnd(harness, m.id);

    const handlers = missionsHandlers(harness.engine) as unknown as Handlers;
    const get = async (request: unknown) => {
      const result = await dispatch(handlers, 'missions:get-log', request);
      if (!result.ok) throw new Error(result.error.message);
      return result.data as MissionLogEntry[];
    };

    const all = await get({ missionId: m.id, limit: 2_000 });
    const total = harness.ledger.db
      .prepare('SELECT count(*) FROM mission_log WHERE mission_id = ?')
      .pluck()
      .get(m.id) as number;
    expect(all).toHaveLength(total);
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => a - b));
    expect(all[0]).toMatchObject({
      kind: 'mission',
      toState: 'draft',
      actor: 'human',
      summary: 'Mission created',
    });

    // Paging: the default page, then the rest after its last id, add up to the whole log.
    const first = await get({ missionId: m.id, limit: 5 });
    expect(first).toEqual(all.slice(0, 5));
    const rest = await get({ missionId: m.id, afterId: first.at(-1)!.id });
    expect([...first, ...rest]).toEqual(all);
    expect(await get({ missionId: m.id, afterId: all.at(-1)!.id })).toEqual([]);

    const kill = all.find((r) => r.kind === 'agent' && r.subjectId === 'core-c2' && r.toState === 'killed');
    expect(kill).toMatchObject({
      actor: 'human',
      fromState: 'idle',
      summary: expect.stringMatching(/was killed by the person$/),
    });
    expect(kill?.summary.startsWith(kill.subjectName)).toBe(true);

    const decision = all.find((r) => r.kind === 'decision' && r.subjectId === approval.id);
    expect(decision).toMatchObject({
      actor: 'human',
      fromState: 'open',
      toState: 'approve',
      subjectName: approval.title,
    });
    expect(decision?.summary).toBe(`The person approved “${approval.title}” — “Ship it”`);
    // The kill happened before the decision, and the log says so.
    expect(kill!.id).toBeLessThan(decision!.id);

    // Engine-made moves are the engine's.
    expect(
      all.filter((r) => r.kind === 'task').every((r) => r.actor === 'engine' || r.actor === 'human'),
    ).toBe(true);
    expect(all.some((r) => r.kind === 'task' && r.summary.startsWith('Task “'))).toBe(true);

    // Validation: the contract caps a page and refuses an unknown mission.
    expect(await dispatch(handlers, 'missions:get-log', { missionId: m.id, limit: 2_001 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await dispatch(handlers, 'missions:get-log', { missionId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
