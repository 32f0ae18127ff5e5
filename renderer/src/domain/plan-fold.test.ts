import { describe, expect, it } from 'vitest';
import type { MissionSummary, MissionTeamView, TaskState, TaskView } from '../../../src/shared/mission.js';
import { recountMissions } from '../store/missions-slice.js';
import { foldTeamPlan, planBadge } from './plan-fold.js';

/**
 * "Ask for changes" cancels a plan's tasks and the leaders plan a new round. The page,
 * the missions list and the counts show only the current plan: with 10 tasks sent back and
 * 10 new ones, progress reads "0 of 10", never "0/20", and a team merged in an earlier phase
 * keeps its plan after a later phase's plan is sent back.
 */

const task = (teamId: string, round: number, i: number, state: TaskState): TaskView => ({
  id: `${teamId}-r${round}-${i}`,
  missionId: 'm1',
  teamId,
  key: `feature-${i}`,
  title: `Feature ${i} (round ${round})`,
  description: '',
  acceptanceCriteria: [],
  owns: [],
  dependsOn: i > 1 ? [`feature-${i - 1}`] : [],
  planRound: round,
  state,
  assignee: null,
  attempts: 0,
  feedback: null,
  submissionSummary: null,
  mergedCommit: null,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const team = (id: string, phaseState: MissionTeamView['phaseState']) => ({ id, phaseState });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('one team\'s plan on the mission page', () => {
  it('folds the tasks of a plan sent back away and counts only the new plan', () => {
    const tasks = [...range(10).map((i) => task('a', 0, i, 'cancelled')), ...range(10).map((i) => task('a', 1, i, i <= 2 ? 'merged' : 'ready'))];
    const fold = foldTeamPlan(1, team('a', 'active'), tasks);
    expect(fold.total).toBe(10);
    expect(fold.merged).toBe(2);
    expect(fold.current.every((t) => t.planRound === 1)).toBe(true);
    expect(fold.superseded).toHaveLength(10);
    expect(fold.superseded.every((t) => t.state === 'cancelled')).toBe(true);
    // A dependency names a key of the current plan, not the cancelled task of the same key.
    expect(fold.byKey.get('feature-1')?.id).toBe('a-r1-1');
  });

  it('shows no tasks (not the cancelled ones) while the leader re-plans, before its first new task', () => {
    const fold = foldTeamPlan(1, team('a', 'active'), range(4).map((i) => task('a', 0, i, 'cancelled')));
    expect(fold.current).toEqual([]);
    expect(fold.total).toBe(0);
    expect(fold.superseded).toHaveLength(4);
  });

  it('keeps a team merged in an earlier phase on its own plan when a later phase re-plans', () => {
    const fold = foldTeamPlan(1, team('a', 'merged'), range(3).map((i) => task('a', 0, i, 'merged')));
    expect(fold).toMatchObject({ total: 3, merged: 3, superseded: [] });
  });
});

describe('the mission\'s counts in the store', () => {
  it('recount only the current plan of each team, as the engine\'s summary does', () => {
    const tasks = [
      ...range(10).map((i) => task('a', 0, i, 'merged')),
      ...range(10).map((i) => task('b', 0, i, 'cancelled')),
      ...range(10).map((i) => task('b', 1, i, 'ready')),
    ];
    const mission = { id: 'm1', planRound: 1, taskCounts: {}, openEscalations: 0 } as unknown as MissionSummary;
    const state = {
      missions: { m1: mission },
      missionDetails: {
        m1: {
          status: 'ready',
          error: null,
          view: null,
          teams: [team('a', 'merged'), team('b', 'active')] as MissionTeamView[],
        },
      },
      tasks: Object.fromEntries(tasks.map((t) => [`m1/${t.id}`, t])),
      escalations: {},
    } as unknown as Parameters<typeof recountMissions>[0];
    const next = recountMissions(state, ['m1']);
    // 10 merged of team a's plan and team b's 10 new tasks: "10/20 merged", not "10/30" nor "0/10".
    expect(next.missions?.m1?.taskCounts).toEqual({ merged: 10, ready: 10 });
  });
});

describe('the plan badge', () => {
  const team = (planState: MissionTeamView['planState'], phaseState: MissionTeamView['phaseState'] = 'active') => ({ planState, phaseState });

  it('says "Plan submitted" only while the plan waits for approval, then "Plan approved"', () => {
    const waiting = [task('t1', 0, 1, 'planned'), task('t1', 0, 2, 'planned')];
    expect(planBadge(team('submitted'), waiting)?.label).toBe('Plan submitted');
    // Approved: the tasks moved on (ready, then claimed); a mission that skips approval gets here at once.
    const approved = [task('t1', 0, 1, 'in_progress'), task('t1', 0, 2, 'ready')];
    expect(planBadge(team('submitted'), approved)).toEqual({ label: 'Plan approved', tone: 'success' });
    expect(planBadge(team('submitted', 'merged'), [])?.label).toBe('Plan approved');
  });

  it('shows nothing for a team waiting for earlier phases, and the planning states otherwise', () => {
    expect(planBadge(team('pending', 'waiting'), [])).toBeNull();
    expect(planBadge(team('planning'), [])?.label).toBe('Planning…');
    expect(planBadge(team('pending'), [])?.label).toBe('Not planned yet');
  });
});
