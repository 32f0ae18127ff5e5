import { describe, expect, it } from 'vitest';
import { labelRepeats, scopedKey, splitScopedKey, teamTitle, teamTitlePossessive } from './team-label.js';

describe('teamTitle', () => {
  it.each([
    ['Team 1', 'Team 1'],
    ['team alpha', 'team alpha'],
    ['Backend team', 'Backend team'],
    ['Frontend', 'Team Frontend'],
    ['Teamwork', 'Team Teamwork'],
    ['  ', 'The team'],
  ])('%j reads %j', (name, title) => {
    expect(teamTitle(name)).toBe(title);
  });

  it('makes possessives without doubling the s', () => {
    expect(teamTitlePossessive('Team 1')).toBe("Team 1's");
    expect(teamTitlePossessive('Ops teams')).toBe("Ops teams'");
  });
});

describe('scoped keys', () => {
  it('round-trips a mission and an id', () => {
    expect(splitScopedKey(scopedKey('m-1', 't/2'))).toEqual({ missionId: 'm-1', id: 't/2' });
    expect(splitScopedKey('(none)')).toBeNull();
  });
});

describe('labelRepeats', () => {
  it('adds the mission only where a name repeats, and numbers what still repeats', () => {
    const labels = labelRepeats([
      { key: 'm1/t1', name: 'Team 1', missionName: 'Login' },
      { key: 'm2/t1', name: 'Team 1', missionName: 'Search' },
      { key: 'm2/t2', name: 'Docs', missionName: 'Search' },
      { key: 'm3/t1', name: 'Team 1', missionName: 'Search' },
    ]);
    expect([...labels.values()]).toEqual(['Team 1 · Login', 'Team 1 · Search (1)', 'Docs', 'Team 1 · Search (2)']);
    expect(new Set(labels.values()).size).toBe(4);
  });
});
