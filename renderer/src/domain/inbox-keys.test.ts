import { describe, expect, it } from 'vitest';
import type { MissionBrief } from '../../../src/shared/mission-brief.js';
import { ESCALATION_TYPES } from '../../../src/shared/mission.js';
import { briefToApprove, keyIntent } from './inbox-keys.js';

const draft: MissionBrief = { shares: { infra: 'The schema', web: 'The pages' }, after: { infra: [], web: ['infra'] }, interfaces: '' };

describe("the Inbox's deciding keys", () => {
  it("on the director's draft: a approves it, d and r only put the cursor in the comment (never a decision)", () => {
    expect(keyIntent('mission_brief', 'approve')).toBe('approve-brief');
    expect(keyIntent('mission_brief', 'deny')).toBe('focus-comment');
    expect(keyIntent('mission_brief', 'reply')).toBe('focus-comment');
  });

  it('on every other item: a approves, d denies, r puts the cursor in the reply', () => {
    for (const type of ESCALATION_TYPES.filter((t) => t !== 'mission_brief')) {
      expect([keyIntent(type, 'approve'), keyIntent(type, 'deny'), keyIntent(type, 'reply')]).toEqual(['approve', 'deny', 'focus-reply']);
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
