import type { EscalationType, EscalationView } from '../../../src/shared/mission.js';

/**
 * What approving, denying or replying to an escalation does, in the words of what the
 * engine then does (`src/main/engine/escalations/decisions.ts`). A stall means different
 * things by its payload, so each kind has its own sentence: a stalled coder's task is
 * reset or given up, a stalled leader continues or the mission pauses, a team (or the
 * whole mission) left without agents gets its stopped agents back or fails.
 */
const BY_TYPE: Record<EscalationType, string> = {
  question: 'Reply with your answer. Approve lets the agent go ahead as it proposed; deny tells it no.',
  permission: 'Approve runs the command (once, or always for the team); deny refuses it; a reply refuses it with your reason.',
  plan_approval: 'Approve starts the coders; reply sends the plan back to the leaders with your comment; deny cancels the mission.',
  budget: 'Approve lets the agent try again (raise the budget first, or it will stop again); deny pauses the mission.',
  stall: 'Approve, or reply with guidance, to reset the task and try again; deny gives the task up, with the tasks that depend on it.',
  dead_letter: 'Approve retries the task (a reply becomes its guidance); deny gives it up.',
  merge_conflict: 'Resolve the conflict on the branch, then approve to merge again; deny fails the mission.',
  final_merge: 'Approve merges the mission into its base branch; deny keeps the work on the mission branch.',
  mission_brief: "Edit each team's share if you wish, then approve to let the leaders plan from it; send it back with a comment to have the director draft again.",
};

/** The sentence under an escalation's decision buttons. */
export function decisionHint(e: Pick<EscalationView, 'type' | 'payload'>): string {
  if (e.type !== 'stall') return BY_TYPE[e.type];
  const p = e.payload;
  if (p.noAgents === true && p.mission === true) {
    return 'Approve restarts the stopped agents (their worktrees were kept) so they try again; deny fails the mission.';
  }
  if (p.noAgents === true) {
    return "Approve restarts the team's stopped agents, killed or failed (their worktrees were kept), so the work goes on; deny fails the mission.";
  }
  if (p.leader === true) return 'Approve lets it continue; deny pauses the mission.';
  if (p.deadLetter === true) return 'Approve starts the work again; deny gives the task up, with the tasks that depend on it.';
  return BY_TYPE.stall;
}
