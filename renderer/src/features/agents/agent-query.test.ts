import { describe, expect, it } from 'vitest';
import type { AgentView, MissionTeamView, TaskView } from '../../../../src/shared/mission.js';
import { EMPTY_AGENT_QUERY, idleSeconds, visibleAgentKeys, type AgentLookups, type AgentQuery, type AgentSort } from './agent-query.js';

const base: AgentView = {
  missionId: 'm1',
  id: 'a',
  teamId: 't1',
  name: 'x',
  role: 'coder',
  model: 'claude-sonnet-4-6',
  state: 'idle',
  stateReason: null,
  currentTaskId: null,
  inputTokens: 0,
  outputTokens: 0,
  costNanoUsd: 0,
  lastActivityAt: '2025-01-01T00:00:00.000Z',
};

const agents: Record<string, AgentView> = {};
const add = (over: Partial<AgentView>) => {
  const a = { ...base, ...over };
  agents[`${a.missionId}/${a.id}`] = a;
};
add({ id: 'lead', name: 'Lead 1', role: 'leader', model: 'claude-opus-4-8', state: 'working', costNanoUsd: 900, inputTokens: 50 });
add({ id: 'c1', name: 'Coder 1-1', state: 'idle', lastActivityAt: '2025-01-01T00:00:10.000Z', costNanoUsd: 100 });
add({ id: 'c2', name: 'Coder 1-2', state: 'idle', lastActivityAt: '2025-01-01T00:00:05.000Z', costNanoUsd: 300, currentTaskId: 'k1' });
add({ id: 'c10', name: 'Coder 1-10', state: 'killed', costNanoUsd: 200 });
add({ missionId: 'm2', id: 'c1', teamId: 't9', name: 'Coder 2-1', state: 'waiting_escalation', costNanoUsd: 50 });

const teams: Record<string, MissionTeamView> = {
  'm1/t1': { id: 't1', name: 'Checkout', budgetNanoUsd: null, planState: 'submitted', planSummary: null },
  'm2/t9': { id: 't9', name: 'Ledger', budgetNanoUsd: null, planState: 'submitted', planSummary: null },
};
const tasks: Record<string, TaskView> = {
  'm1/k1': { key: 'T4', title: 'Parse the CSV import' } as TaskView,
};
const lookups: AgentLookups = {
  teams: (m, t) => teams[`${m}/${t}`],
  task: (m, k) => tasks[`${m}/${k}`],
};
const run = (query: Partial<AgentQuery>, sort: AgentSort = { key: 'name', dir: 'asc' }) =>
  visibleAgentKeys(agents, { ...EMPTY_AGENT_QUERY, ...query }, sort, lookups);

describe('visibleAgentKeys', () => {
  it('sorts names naturally (1-2 before 1-10), with ties broken so the order is stable', () => {
    expect(run({})).toEqual(['m1/c1', 'm1/c2', 'm1/c10', 'm2/c1', 'm1/lead']);
    expect(run({}, { key: 'name', dir: 'desc' })).toEqual(['m1/lead', 'm2/c1', 'm1/c10', 'm1/c2', 'm1/c1']);
  });

  it('sorts by cost, state (attention first), team name and idle time', () => {
    expect(run({}, { key: 'cost', dir: 'desc' })).toEqual(['m1/lead', 'm1/c2', 'm1/c10', 'm1/c1', 'm2/c1']);
    expect(run({}, { key: 'state', dir: 'asc' })[0]).toBe('m2/c1');
    expect(run({}, { key: 'state', dir: 'asc' }).at(-1)).toBe('m1/c10');
    expect(run({}, { key: 'team', dir: 'desc' })[0]).toBe('m2/c1');
    // Longest idle first; agents that are not idle after every idle one.
    expect(run({}, { key: 'idle', dir: 'desc' }).slice(0, 2)).toEqual(['m1/c2', 'm1/c1']);
  });

  it('filters by mission, team, role, state (or everything still running) and text', () => {
    expect(run({ missionId: 'm2' })).toEqual(['m2/c1']);
    expect(run({ team: 'm1/t1', role: 'coder' })).toEqual(['m1/c1', 'm1/c2', 'm1/c10']);
    expect(run({ state: 'idle' })).toEqual(['m1/c1', 'm1/c2']);
    expect(run({ state: 'live' })).not.toContain('m1/c10');
    expect(run({ text: 'opus' })).toEqual(['m1/lead']);
    expect(run({ text: 'ledger' })).toEqual(['m2/c1']);
    // Words match anywhere, in any order: the team, and the task's key or title.
    expect(run({ text: 'csv checkout' })).toEqual(['m1/c2']);
    expect(run({ text: 't4' })).toEqual(['m1/c2']);
  });

  // Speed is measured by npm run bench:ui, not asserted here; this checks the order.
  it('sorts a thousand agents by cost, highest first', () => {
    const many: Record<string, AgentView> = {};
    for (let i = 0; i < 1000; i++) many[`m1/a${i}`] = { ...base, id: `a${i}`, name: `Agent ${i}`, costNanoUsd: (i * 7919) % 1000 };
    const keys = visibleAgentKeys(many, { ...EMPTY_AGENT_QUERY, text: 'agent' }, { key: 'cost', dir: 'desc' }, lookups);
    expect(keys).toHaveLength(1000);
    const costs = keys.map((k) => many[k]!.costNanoUsd);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
  });
});

describe('idleSeconds', () => {
  it('counts only while idle', () => {
    const now = Date.parse('2025-01-01T00:01:00.000Z');
    expect(idleSeconds({ state: 'idle', lastActivityAt: '2025-01-01T00:00:00.000Z' }, now)).toBe(60);
    expect(idleSeconds({ state: 'working', lastActivityAt: '2025-01-01T00:00:00.000Z' }, now)).toBeNull();
  });
});
