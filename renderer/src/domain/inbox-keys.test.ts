import { describe, expect, it } from 'vitest';
import type { MissionBrief } from '../../../src/shared/mission-brief.js';
import { ESCALATION_TYPES } from '../../../src/shared/mission.js';
import { denyEffect } from './decision-effects.js';
import { briefToApprove, keyIntent } from './inbox-keys.js';

const draft: MissionBrief = { shares: { infra: 'The schema', web: 'The pages' }, after: { infra: [], web: ['infra'] }, interfaces: '' };

describe("the Inbox's deciding keys", () => {
  it("on the director's draft: a approves it, d and r only put the cursor in the comment (never a decision)", () => {
    expect(keyIntent('mission_brief', 'approve')).toBe('approve-brief');
    expect(keyIntent('mission_brief', 'deny')).toBe('focus-comment');
    expect(keyIntent('mission_brief', 'reply')).toBe('focus-comment');
  });

  it('on items whose deny does not end the mission: a approves, d denies, r puts the cursor in the reply', () => {
    for (const type of ['question', 'permission', 'budget', 'dead_letter', 'stall'] as const) {
      expect([keyIntent(type, 'approve'), keyIntent(type, 'deny'), keyIntent(type, 'reply')]).toEqual(['approve', 'deny', 'focus-reply']);
    }
    expect(keyIntent('stall', 'deny', { leader: true })).toBe('deny');
  });

  it('on a plan, d only puts the cursor in the reply (send back with a comment); it never cancels the mission', () => {
    expect(keyIntent('plan_approval', 'deny')).toBe('focus-reply');
    expect(keyIntent('plan_approval', 'reply')).toBe('focus-reply');
    expect(keyIntent('plan_approval', 'approve')).toBe('approve');
  });

  it('on a final merge, a merge conflict or a mission left without agents, d asks for confirmation', () => {
    expect(keyIntent('final_merge', 'deny')).toBe('confirm-deny');
    expect(keyIntent('merge_conflict', 'deny')).toBe('confirm-deny');
    expect(keyIntent('stall', 'deny', { noAgents: true })).toBe('confirm-deny');
  });

  it('no d ends a mission without a confirmation, for any type', () => {
    for (const type of ESCALATION_TYPES) {
      for (const payload of [{}, { noAgents: true }, { leader: true }]) {
        if (denyEffect(type, payload) === 'ends-mission') expect(keyIntent(type, 'deny', payload)).not.toBe('deny');
      }
    }
  });
});

describe('the brief a approves', () => {
  it("is the person's edited brief when they edited it, else the director's draft as written", () => {
    const edited = { ...draft, shares: { ...draft.shares, web: 'Only the list page' } };
    expect(briefToApprove({ status: 'ready', draft }, edited)).toEqual({ ok: true, brief: edited });
    expect(briefToApprove({ status: 'ready', draft }, null)).toEqual({ ok: true, brief: draft });
    // A failed draft carries the briefs' shares for the person to approve or edit.
    expect(briefToApprove({ status: 'failed', draft }, null)).toEqual({ ok: true, brief: draft });
  });

  it('is nothing, with a reason, while the director is still drafting or when there is no draft', () => {
    expect(briefToApprove({ status: 'drafting', draft: null }, null)).toEqual({
      ok: false,
      reason: 'The director is still drafting; approve once its draft is here.',
    });
    expect(briefToApprove({ status: 'failed', draft: null }, null)).toMatchObject({ ok: false });
    expect(briefToApprove(null, null)).toMatchObject({ ok: false });
  });
});
