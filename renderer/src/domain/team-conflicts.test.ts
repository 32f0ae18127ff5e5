import { describe, expect, it } from 'vitest';
import type { EscalationView } from '../../../src/shared/mission.js';
import { escalationView } from '../testing/fixtures.js';
import { resolvingTeamIds } from './team-conflicts.js';

describe('resolvingTeamIds', () => {
  it("lists the teams whose leader is resolving a merge conflict, not the person's conflicts or decided ones", () => {
    const e = (over: Partial<EscalationView>): EscalationView => escalationView({ type: 'merge_conflict', level: 'leader', state: 'open', missionId: 'm1', ...over });
    const all = [
      e({ id: '1', teamId: 'b' }),
      e({ id: '2', teamId: 'a' }),
      e({ id: '3', teamId: 'c', level: 'human' }),
      e({ id: '4', teamId: 'd', state: 'resolved' }),
      e({ id: '5', teamId: 'e', missionId: 'm2' }),
      e({ id: '6', teamId: 'f', type: 'question' }),
    ];
    expect(resolvingTeamIds(all, 'm1')).toEqual(['a', 'b']);
  });
});
