// Test data shared by the renderer's unit tests: a valid view with neutral values, and
// the fields a test cares about set by the caller.
import type { UsageTotals } from '../../../src/shared/costs.js';
import type { AgentView, EscalationView } from '../../../src/shared/mission.js';

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

/** An open question from agent a1 of team t1 to the person; `over` sets the rest. */
export const escalationView = (over: Partial<EscalationView> = {}): EscalationView => ({
  id: 'e1',
  missionId: 'm1',
  teamId: 't1',
  agentId: 'a1',
  taskId: null,
  type: 'question',
  level: 'human',
  state: 'open',
  title: 'Which runner?',
  detail: '',
  payload: {},
  decision: null,
  comment: null,
  alwaysAllow: false,
  decidedBy: null,
  timeoutAt: null,
  createdAt: '2026-01-01T10:00:00.000Z',
  decidedAt: null,
  ...over,
});

/** Usage totals with every count and cost at zero. */
export function zeroTotals(): UsageTotals {
  return {
    calls: 0,
    okCalls: 0,
    errorCalls: 0,
    cancelledCalls: 0,
    partialCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreation5mTokens: 0,
    cacheCreation1hTokens: 0,
    cacheReadTokens: 0,
    thinkingTokens: 0,
    serverToolRequests: 0,
    costInputNano: 0,
    costOutputNano: 0,
    costCacheWriteNano: 0,
    costCacheReadNano: 0,
    costServerToolsNano: 0,
    costTotalNano: 0,
  };
}
