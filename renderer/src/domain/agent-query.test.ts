import { describe, expect, it } from 'vitest';
import type { AgentView, MissionTeamView, TaskView } from '../../../src/shared/mission.js';
import { agentView } from '../testing/fixtures.js';
import {
  agentTotals,
  CollationRanks,
  EMPTY_AGENT_QUERY,
  idleSeconds,
  readsLookups,
  visibleAgentKeys,
  type AgentLookups,
  type AgentQuery,
  type AgentSort,
} from './agent-query.js';

const base: AgentView = agentView();

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
  'm1/t1': { id: 't1', name: 'Checkout', budgetNanoUsd: null, planState: 'submitted', planSummary: null, phase: 1, after: [], phaseState: 'active', share: null, startCommit: null, mergedCommit: null, delivery: null, priorityWeight: 1, paused: false },
  'm2/t9': { id: 't9', name: 'Ledger', budgetNanoUsd: null, planState: 'submitted', planSummary: null, phase: 1, after: [], phaseState: 'active', share: null, startCommit: null, mergedCommit: null, delivery: null, priorityWeight: 1, paused: false },
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

  it('sorts by model, task (no task first ascending) and last activity', () => {
    expect(run({}, { key: 'model', dir: 'asc' })[0]).toBe('m1/lead');
    expect(run({}, { key: 'task', dir: 'desc' })[0]).toBe('m1/c2');
    expect(run({}, { key: 'task', dir: 'asc' }).at(-1)).toBe('m1/c2');
    expect(run({}, { key: 'lastActivity', dir: 'desc' }).slice(0, 2)).toEqual(['m1/c1', 'm1/c2']);
  });

  it('keeps a stable order for agents of the same name in different missions', () => {
    const twins: Record<string, AgentView> = {
      'm2/a': { ...base, missionId: 'm2', name: 'Twin' },
      'm1/a': { ...base, name: 'Twin' },
    };
    expect(visibleAgentKeys(twins, EMPTY_AGENT_QUERY, { key: 'name', dir: 'asc' }, lookups)).toEqual(['m1/a', 'm2/a']);
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

describe('CollationRanks', () => {
  it('ranks strings in natural, case-insensitive order, equal ranks for equal strings', () => {
    const ranks = new CollationRanks().of(['b 10', 'B 2', 'a', 'b 2']);
    expect(['a', 'B 2', 'b 2', 'b 10'].map((v) => ranks.get(v))).toEqual([0, 1, 1, 2]);
  });

  it('collates again only when a string it has not seen turns up', () => {
    const cache = new CollationRanks();
    const first = cache.of(['b', 'a']);
    expect(cache.of(['a'])).toBe(first);
    const next = cache.of(['a', 'aa']);
    expect(next).not.toBe(first);
    expect(next.get('aa')).toBeGreaterThan(next.get('a')!);
  });
});

describe('readsLookups', () => {
  it('is true only for a text search and the team and task columns', () => {
    const byName: AgentSort = { key: 'name', dir: 'asc' };
    expect(readsLookups(EMPTY_AGENT_QUERY, byName)).toBe(false);
    expect(readsLookups({ ...EMPTY_AGENT_QUERY, text: '  ' }, byName)).toBe(false);
    expect(readsLookups({ ...EMPTY_AGENT_QUERY, text: 'csv' }, byName)).toBe(true);
    expect(readsLookups({ ...EMPTY_AGENT_QUERY, team: 'm1/t1' }, byName)).toBe(false);
    expect(readsLookups(EMPTY_AGENT_QUERY, { key: 'team', dir: 'asc' })).toBe(true);
    expect(readsLookups(EMPTY_AGENT_QUERY, { key: 'task', dir: 'desc' })).toBe(true);
  });
});

describe('agentTotals', () => {
  it('counts agents, live, working and idle ones and their cost, in one mission or all', () => {
    expect(agentTotals(agents, '')).toEqual({ total: 5, live: 4, working: 1, idle: 2, costNanoUsd: 1550 });
    expect(agentTotals(agents, 'm2')).toEqual({ total: 1, live: 1, working: 0, idle: 0, costNanoUsd: 50 });
    expect(agentTotals({}, '')).toEqual({ total: 0, live: 0, working: 0, idle: 0, costNanoUsd: 0 });
  });
});

describe('idleSeconds', () => {
  it('counts only while idle', () => {
    const now = Date.parse('2025-01-01T00:01:00.000Z');
    expect(idleSeconds({ state: 'idle', lastActivityAt: '2025-01-01T00:00:00.000Z' }, now)).toBe(60);
    expect(idleSeconds({ state: 'working', lastActivityAt: '2025-01-01T00:00:00.000Z' }, now)).toBeNull();
  });
});
