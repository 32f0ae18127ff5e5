import type { MissionBrief, MissionBriefPayload } from '../../../src/shared/mission-brief.js';
import type { EscalationType } from '../../../src/shared/mission.js';
import { denyNeedsConfirmation } from './decision-effects.js';

/** The Inbox's deciding keys: `a`, `d` and `r`. */
export type DecisionKey = 'approve' | 'deny' | 'reply';

/**
 * What a deciding key does to the selected item. Most items: `a` approves, `d` denies, `r`
 * puts the cursor in the reply. The director's draft (`mission_brief`) has no "deny": `a`
 * approves the draft as the person edited it, and `d` or `r` put the cursor in the comment
 * for the director, which goes back only when the person sends it, so no key alone ever
 * sends a draft back. On a plan, `d` means "send back": it puts the cursor in the reply, and
 * the plan goes back only when the person sends a comment (cancelling the mission is its own
 * button, which confirms). Any other `d` that would end the mission (a final merge, a merge
 * conflict, a mission left without agents) asks for confirmation first (`confirm-deny`).
 */
export type KeyIntent = 'approve' | 'deny' | 'confirm-deny' | 'focus-reply' | 'approve-brief' | 'focus-comment';

export function keyIntent(type: EscalationType, key: DecisionKey, payload: Record<string, unknown> = {}): KeyIntent {
  if (type === 'mission_brief') return key === 'approve' ? 'approve-brief' : 'focus-comment';
  if (key === 'reply') return 'focus-reply';
  if (key === 'deny' && type === 'plan_approval') return 'focus-reply';
  if (key === 'deny' && denyNeedsConfirmation(type, payload)) return 'confirm-deny';
  return key;
}

/**
 * The brief that approving the director's draft sends: the person's edits when there are
 * any, else the draft as the director wrote it; or, while there is nothing to approve yet,
 * why not, in one line for the person.
 */
export function briefToApprove(
  payload: Pick<MissionBriefPayload, 'status' | 'draft'> | null,
  edited: MissionBrief | null,
): { ok: true; brief: MissionBrief } | { ok: false; reason: string } {
  if (!payload) return { ok: false, reason: 'This item carries no draft to approve.' };
  if (payload.status === 'drafting') return { ok: false, reason: 'The director is still drafting; approve once its draft is here.' };
  const brief = edited ?? payload.draft;
  return brief ? { ok: true, brief } : { ok: false, reason: 'There is no draft to approve yet.' };
}
