import { describe, expect, it } from 'vitest';
import { ESCALATION_TYPES } from '../../../src/shared/mission.js';
import { denyConfirmation, denyEffect, denyNeedsConfirmation } from './decision-effects.js';

describe('what denying an escalation does to its mission', () => {
  it('ends the mission for a plan, a final merge, a merge conflict and a mission left without agents', () => {
    expect(denyEffect('plan_approval')).toBe('ends-mission');
    expect(denyEffect('final_merge')).toBe('ends-mission');
    expect(denyEffect('merge_conflict')).toBe('ends-mission');
    expect(denyEffect('stall', { noAgents: true })).toBe('ends-mission');
  });

  it('pauses it for a budget or a stalled leader, gives a task up for a stalled coder or a dead letter, and refuses a question or a command', () => {
    expect(denyEffect('budget')).toBe('pauses-mission');
    expect(denyEffect('stall', { leader: true })).toBe('pauses-mission');
    expect(denyEffect('stall', {})).toBe('gives-up-task');
    expect(denyEffect('dead_letter')).toBe('gives-up-task');
    expect(denyEffect('question')).toBe('refuses');
    expect(denyEffect('permission')).toBe('refuses');
  });

  it('asks for confirmation exactly where the deny ends the mission, with words that say so', () => {
    for (const type of ESCALATION_TYPES) {
      for (const payload of [{}, { noAgents: true }]) {
        expect(denyNeedsConfirmation(type, payload)).toBe(denyEffect(type, payload) === 'ends-mission');
      }
    }
    expect(denyConfirmation('plan_approval').confirmLabel).toBe('Cancel the mission');
    expect(denyConfirmation('final_merge').body).toMatch(/mission branch/);
    expect(denyConfirmation('stall', { noAgents: true }).body).toMatch(/fails the mission/);
  });
});
