import type { EscalationType } from '../../../src/shared/mission.js';

/**
 * What denying an escalation does to its mission, described once, as the engine carries it
 * out (src/main/engine/escalations/decisions.ts):
 * - plan_approval: deny cancels the mission (a plan to redo is a "reply", sent back);
 * - final_merge: deny ends the mission, its work left on the mission branch;
 * - merge_conflict: deny fails the mission;
 * - stall of a team or mission left without agents (`noAgents`): deny fails the mission;
 * - stall of a leader, budget: deny pauses the mission (it can be resumed);
 * - stall of a coder, dead_letter: deny gives a task (and what depends on it) up;
 * - question, permission: deny refuses and the agent goes on.
 * The director's draft (`mission_brief`) has no deny.
 */
export type DenyEffect = 'ends-mission' | 'pauses-mission' | 'gives-up-task' | 'refuses';

export function denyEffect(type: EscalationType, payload: Record<string, unknown> = {}): DenyEffect {
  switch (type) {
    case 'plan_approval':
    case 'final_merge':
    case 'merge_conflict':
      return 'ends-mission';
    case 'stall':
      if (payload.noAgents === true) return 'ends-mission';
      if (payload.leader === true) return 'pauses-mission';
      return 'gives-up-task';
    case 'budget':
      return 'pauses-mission';
    case 'dead_letter':
      return 'gives-up-task';
    default:
      return 'refuses';
  }
}

/** Whether denying asks the person to confirm first: it does when the deny ends the mission. */
export function denyNeedsConfirmation(type: EscalationType, payload: Record<string, unknown> = {}): boolean {
  return denyEffect(type, payload) === 'ends-mission';
}

/** The words of the confirmation: its title, its confirm button and what happens, in one sentence. */
export function denyConfirmation(
  type: EscalationType,
  payload: Record<string, unknown> = {},
): { title: string; confirmLabel: string; body: string } {
  switch (type) {
    case 'plan_approval':
      return {
        title: 'Cancel the mission?',
        confirmLabel: 'Cancel the mission',
        body: 'Rejecting the plan cancels the whole mission and stops every agent. To have the leaders change the plan, send it back with a comment instead.',
      };
    case 'final_merge':
      return {
        title: 'Decline the final merge?',
        confirmLabel: 'Decline and end the mission',
        body: 'Declining ends the mission without merging: the work stays on the mission branch, and nothing reaches the base branch.',
      };
    case 'merge_conflict':
      return {
        title: 'Give up on this merge conflict?',
        confirmLabel: 'Fail the mission',
        body: 'Denying fails the mission: the conflict stays unresolved and no further work is merged.',
      };
    default:
      return {
        title: 'End the mission?',
        confirmLabel: 'Fail the mission',
        body:
          payload.noAgents === true
            ? 'Denying fails the mission: the stopped agents are not restarted and the mission ends.'
            : 'Denying ends the mission.',
      };
  }
}
