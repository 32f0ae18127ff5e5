// Test data shared by the renderer's unit tests: a valid view with neutral values, and
// the fields a test cares about set by the caller.
import type { AgentView } from '../../../src/shared/mission.js';

/** An idle Sonnet coder of team t1 in mission m1, with no usage; `over` sets the rest. */
export function agentView(over: Partial<AgentView> = {}): AgentView {
  return {
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
    ...over,
  };
}
