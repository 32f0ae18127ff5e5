import { z } from 'zod';
import type { ChangeReview } from '../review.js';
import { command } from './define.js';

const id = z.string().min(1, 'must not be empty').max(64);

/**
 * What to review: the change an escalation would approve (a final merge, a team merge
 * conflict, a task's submission), or a scope of a mission named directly (the mission
 * branch, one team's branch, one task).
 */
export const changeReviewRequest = z.union([
  z.object({ escalationId: id }).strict(),
  z.object({ missionId: id, teamId: id.optional(), taskId: id.optional() }).strict(),
]);

export type ChangeReviewRequest = z.infer<typeof changeReviewRequest>;

/** Reviewing a change before approving it: files, per-file diffs, tests, verdicts, cost. */
export const reviewsCommands = {
  'reviews:get-change': command<ChangeReview>()(changeReviewRequest),
};
