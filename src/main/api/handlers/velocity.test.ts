import { afterEach, describe, expect, it } from 'vitest';
import type { TeamStatus } from '../../../shared/team-status.js';
import { SimulatedProvider } from '../../llm/simulated-provider.js';
import { createHarness, driveToEnd, saveDesign, type Harness } from '../../engine/testing/harness.js';
import { dispatch, type Handlers } from '../dispatch.js';
import { velocityHandlers } from './velocity.js';

/**
 * The figures against a mission the real engine ran (simulated provider, real git, real
 * ledger): they must agree with what the engine keeps apart from the log, such as the
 * tasks' `attempts` counters and the mission's spend.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const NOW = Date.UTC(2030, 0, 1);

describe('missions:get-team-status and costs:by-task on a mission the engine ran', () => {
  it('agree with the tasks, the attempts and the spend the engine recorded', async () => {
    // Reviewers reject half the submissions, at most twice per task (the simulated leader's rule).
    h = createHarness(new SimulatedProvider({ seed: 11, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0.5 }));
    const design = saveDesign(h.ledger, [
      { id: 'core', coders: 2 },
      { id: 'docs', coders: 1 },
    ]);
    const m = h.engine.create({ designId: design.id, goal: 'Build a todo CLI', repoPath: h.repo, baseBranch: 'main', skipPlanApproval: true, allowedCommands: [], copyFiles: [] });
    await h.engine.start(m.id);
    await driveToEnd(h, m.id);
    const detail = h.engine.get(m.id);
    expect(detail.mission.state).toBe('done');

    const handlers = velocityHandlers({ db: h.ledger.db, now: () => NOW }) as Handlers;
    const status = await dispatch(handlers, 'missions:get-team-status', { missionId: m.id });
    if (!status.ok) throw new Error(status.error.message);
    const teams = (status.data as { teams: TeamStatus[] }).teams;
    expect(teams.map((t) => t.teamId)).toEqual(['core', 'docs']);
    let rejectedOrConflicted = 0;
    for (const team of teams) {
      const tasks = detail.tasks.filter((t) => t.teamId === team.teamId && t.state !== 'cancelled');
      expect(tasks.length).toBeGreaterThan(0);
      expect(team.counts).toEqual({ assigned: tasks.length, waiting: 0, inProgress: 0, inReview: 0, blocked: 0, done: tasks.length });
      expect(team.blockers).toEqual([]);
      expect(team.velocity.merged).toBe(tasks.length);
      expect(team.velocity.mergedPerHour).toBeGreaterThan(0);
      expect(team.eta).toEqual({ remaining: 0, finishAt: null, reason: 'every task is merged' });
      // Every task was reviewed; the team merged once into the mission branch.
      expect(team.velocity.firstReviewApproval.of).toBe(tasks.length);
      const taskConflicts = team.velocity.integration.of - 1 - team.velocity.merged;
      rejectedOrConflicted += team.velocity.rework.count + taskConflicts;
      // Each rejection was a submission; every merged task was submitted once more after its last one.
      expect(team.velocity.rework.of).toBe(tasks.length + team.velocity.rework.count + taskConflicts);
    }
    // The attempts counter goes up once per rejection, reviewer's or merge's.
    const attempts = detail.tasks.reduce((sum, t) => sum + t.attempts, 0);
    expect(attempts).toBeGreaterThan(0);
    expect(rejectedOrConflicted).toBe(attempts);

    const spend = await dispatch(handlers, 'costs:by-task', { missionId: m.id });
    if (!spend.ok) throw new Error(spend.error.message);
    const s = spend.data as { rows: { costNanoUsd: number }[]; unattributed: { costNanoUsd: number } };
    const total = s.rows.reduce((sum, r) => sum + r.costNanoUsd, 0) + s.unattributed.costNanoUsd;
    expect(total).toBe(detail.mission.spentNanoUsd);
    expect(s.rows.some((r) => r.costNanoUsd > 0)).toBe(true);
    // The teams' spend is the mission's, less calls of no team.
    expect(teams.reduce((sum, t) => sum + t.velocity.costNanoUsd, 0)).toBeLessThanOrEqual(detail.mission.spentNanoUsd);
  });

  it('refuses a bad request before reading, and names an unknown mission', async () => {
    h = createHarness(new SimulatedProvider({ seed: 1, latencyScale: 0 }));
    const handlers = velocityHandlers({ db: h.ledger.db }) as Handlers;
    const empty = await dispatch(handlers, 'missions:get-team-status', { missionId: '' });
    expect(empty).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const extra = await dispatch(handlers, 'costs:by-task', { missionId: 'm', more: 1 });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const unknown = await dispatch(handlers, 'costs:by-task', { missionId: 'm-nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('"m-nope"') } });
  });
});
