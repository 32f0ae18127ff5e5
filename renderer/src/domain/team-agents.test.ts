import { describe, expect, it } from 'vitest';
import type { AgentView } from '../../../src/shared/mission.js';
import { agentView } from '../testing/fixtures.js';
import { teamAgentKeys, teamSummary } from './team-agents.js';

const base: AgentView = agentView();

function byKey(...list: Partial<AgentView>[]): Record<string, AgentView> {
  const out: Record<string, AgentView> = {};
  for (const over of list) {
    const a = { ...base, ...over };
    out[`${a.missionId}/${a.id}`] = a;
  }
  return out;
}

describe('teamAgentKeys', () => {
  const agents = byKey(
    { id: 'lead', state: 'working' },
    { id: 'c1', teamId: 't2' },
    { id: 'c2' },
    { missionId: 'm2', id: 'c1', teamId: 't1' },
  );

  it("groups one mission's keys by team, in the store's order", () => {
    const teams = teamAgentKeys(agents, 'm1');
    expect(teams.get('t1')).toEqual(['m1/lead', 'm1/c2']);
    expect(teams.get('t2')).toEqual(['m1/c1']);
    expect(teamAgentKeys(agents, 'm2').get('t1')).toEqual(['m2/c1']);
    expect(teamAgentKeys(agents, 'nope').size).toBe(0);
  });

  it('indexes an agents object once, and a new one afresh', () => {
    // Same arrays for the same object: the team sections' selectors stay cheap and stable.
    expect(teamAgentKeys(agents, 'm1').get('t1')).toBe(teamAgentKeys(agents, 'm1').get('t1'));
    const next = { ...agents, 'm1/c3': { ...base, id: 'c3', teamId: 't2' } };
    expect(teamAgentKeys(next, 'm1').get('t2')).toEqual(['m1/c1', 'm1/c3']);
  });
});

describe('teamSummary', () => {
  it('counts live agents, cost and states in the labels order', () => {
    const agents = byKey(
      { id: 'a1', state: 'killed', costNanoUsd: 5 },
      { id: 'a2', state: 'working', costNanoUsd: 10 },
      { id: 'a3', state: 'idle', costNanoUsd: 1 },
      { id: 'a4', state: 'working' },
    );
    expect(teamSummary(agents, ['m1/a1', 'm1/a2', 'm1/a3', 'm1/a4', 'm1/gone'])).toEqual({
      total: 4,
      live: 3,
      costNanoUsd: 16,
      states: '1 idle · 2 working · 1 killed',
    });
    expect(teamSummary(agents, [])).toEqual({ total: 0, live: 0, costNanoUsd: 0, states: '' });
  });
});
