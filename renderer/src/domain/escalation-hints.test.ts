import { describe, expect, it } from 'vitest';
import type { AgentView } from '../../../src/shared/mission.js';
import { decisionHint } from './escalation-hints.js';
import { killAgentText, killIdleText, killTeamText } from './kill-text.js';

const stall = (payload: Record<string, unknown>) => ({ type: 'stall' as const, payload });

describe('what a decision on a stall does, by kind', () => {
  it('says deny fails the mission for a team (or mission) left without agents, and approve restarts them', () => {
    for (const payload of [{ noAgents: true }, { noAgents: true, mission: true }]) {
      const hint = decisionHint(stall(payload));
      expect(hint).toMatch(/^Approve restarts .*stopped agents/);
      expect(hint).toMatch(/deny fails the mission\.$/);
      expect(hint).not.toMatch(/gives .* up/);
    }
  });

  it('keeps "gives the task up" for a stalled coder, and "pauses the mission" for a stalled leader', () => {
    expect(decisionHint(stall({ stalls: 2 }))).toMatch(/deny gives the task up/);
    expect(decisionHint(stall({ leader: true }))).toBe('Approve lets it continue; deny pauses the mission.');
    expect(decisionHint({ type: 'plan_approval', payload: {} })).toMatch(/reply sends the plan back/);
  });
});

describe('the kill dialog', () => {
  const agent: AgentView = {
    missionId: 'm',
    id: 'core-c1',
    teamId: 'core',
    name: 'core-c1',
    role: 'coder',
    model: 'claude-sonnet-4-6',
    state: 'idle',
    stateReason: null,
    currentTaskId: null,
    inputTokens: 0,
    outputTokens: 0,
    costNanoUsd: 0,
    lastActivityAt: '2026-01-01T00:00:00.000Z',
  };

  it('says a killed agent can be restarted from the Inbox, as approving a stalled team does', () => {
    const text = killAgentText(agent, undefined).lost.join(' ');
    expect(text).not.toMatch(/does not come back|never/);
    expect(text).toMatch(/the Inbox asks you, and approving restarts it/);
    expect(killTeamText('core', [agent]).lost.join(' ')).toMatch(/Inbox asks whether to restart them or fail the mission/);
    expect(killTeamText('core', [agent]).lost.join(' ')).not.toMatch(/rest of the mission/);
  });

  it('says agents waiting for a plan or a decision are not idle', () => {
    const text = killIdleText('the mission', 3).lost.join(' ');
    expect(text).toMatch(/waiting for a plan, a decision or the teams before them are not idle and stay/);
    expect(text).not.toMatch(/for good/);
  });
});
