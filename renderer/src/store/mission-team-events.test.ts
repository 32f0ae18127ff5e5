import { describe, expect, it } from 'vitest';
import type { MissionTeamView, MissionView } from '../../../src/shared/mission.js';
import { reduceMissionEvents } from './missions-slice.js';

const team = (id: string, over: Partial<MissionTeamView> = {}): MissionTeamView => ({
  id,
  name: id.toUpperCase(),
  budgetNanoUsd: null,
  planState: 'submitted',
  planSummary: null,
  phase: 1,
  after: [],
  phaseState: 'active',
  share: null,
  startCommit: null,
  mergedCommit: null,
  delivery: null,
  priorityWeight: 1,
  paused: false,
  ...over,
});

describe('a team event on the mission page', () => {
  it("replaces the team it names in a loaded mission, so a phase merged while the mission's state stays put shows at once", () => {
    const state = {
      missions: {},
      tasks: {},
      escalations: {},
      missionDetails: {
        m1: { status: 'ready' as const, error: null, view: { id: 'm1' } as MissionView, teams: [team('core'), team('web', { phase: 2, after: ['core'], phaseState: 'waiting' })] },
      },
    };
    const patch = reduceMissionEvents(state, [
      { name: 'missions:team-changed', payload: { missionId: 'm1', ...team('core', { phaseState: 'merged', mergedCommit: 'abc' }) } },
      { name: 'missions:team-changed', payload: { missionId: 'm1', ...team('web', { phase: 2, after: ['core'], phaseState: 'active' }) } },
      // A mission whose page is not open is left alone.
      { name: 'missions:team-changed', payload: { missionId: 'm9', ...team('core') } },
    ]);
    expect(patch.missionDetails?.m1?.teams.map((t) => [t.id, t.phaseState])).toEqual([
      ['core', 'merged'],
      ['web', 'active'],
    ]);
    expect(patch.missionDetails?.m9).toBeUndefined();
  });
});
