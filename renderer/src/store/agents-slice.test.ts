import { describe, expect, it } from 'vitest';
import type { AgentView, TaskView } from '../../../src/shared/mission.js';
import { EMPTY_AGENT_QUERY } from '../domain/agent-query.js';
import { agentView } from '../testing/fixtures.js';
import { selectAgentKeys } from './agents-slice.js';
import type { StoreState } from './state.js';

const agent = (id: string, over: Partial<AgentView> = {}): AgentView =>
  agentView({ id, name: id, state: 'working', ...over });

/** The parts of the store the selector reads. */
function state(over: Partial<StoreState> = {}): StoreState {
  return {
    agents: { 'm1/a': agent('a'), 'm1/b': agent('b', { costNanoUsd: 5 }) },
    agentQuery: EMPTY_AGENT_QUERY,
    agentSort: { key: 'name', dir: 'asc' },
    missionDetails: {},
    tasks: {},
    ...over,
  } as StoreState;
}

describe('selectAgentKeys', () => {
  it('answers the same array while the rows and their order stay the same', () => {
    const s = state();
    const keys = selectAgentKeys(s);
    expect(keys).toEqual(['m1/a', 'm1/b']);
    expect(selectAgentKeys(s)).toBe(keys);
    // A new batch that moves no row: same array, so the table does not re-render for it.
    const agents = { ...s.agents, 'm1/a': agent('a', { inputTokens: 9 }) };
    expect(selectAgentKeys({ ...s, agents })).toBe(keys);
  });

  it('re-sorts when an agent moves, the query or the sort changes', () => {
    const s = state();
    selectAgentKeys(s);
    const agents = { ...s.agents, 'm1/a': agent('a', { costNanoUsd: 9 }) };
    expect(selectAgentKeys({ ...s, agents, agentSort: { key: 'cost', dir: 'desc' } })).toEqual([
      'm1/a',
      'm1/b',
    ]);
    expect(selectAgentKeys({ ...s, agentSort: { key: 'cost', dir: 'desc' } })).toEqual(['m1/b', 'm1/a']);
    expect(selectAgentKeys({ ...s, agentQuery: { ...EMPTY_AGENT_QUERY, text: 'b' } })).toEqual(['m1/b']);
  });

  it('reads tasks only when the query or sort uses their names', () => {
    const task = { key: 'T1', title: 'Zebra' } as TaskView;
    const s = state({
      agents: { 'm1/a': agent('a', { currentTaskId: 'k' }), 'm1/b': agent('b') },
      agentSort: { key: 'task', dir: 'asc' },
    });
    // Task not loaded yet: both sort as "no task", by name.
    expect(selectAgentKeys(s)).toEqual(['m1/a', 'm1/b']);
    expect(selectAgentKeys({ ...s, tasks: { 'm1/k': task } })).toEqual(['m1/b', 'm1/a']);
    // Sorted by name, a new task map leaves the rows as they were.
    const byName = { ...s, agentSort: { key: 'name', dir: 'asc' } as const };
    const keys = selectAgentKeys(byName);
    expect(selectAgentKeys({ ...byName, tasks: { 'm1/k': task } })).toBe(keys);
  });
});
