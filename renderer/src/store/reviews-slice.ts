import type { ChangeReviewRequest } from '../../../src/shared/contract/reviews.js';
import { plainMessage } from '../lib/plain-message.js';
import type { ChangeReviewState, ReviewsSlice, Slice } from './state.js';

/** The key a request's review is kept under: an escalation's id, or the mission/team/task scope. */
export function changeReviewKey(request: ChangeReviewRequest): string {
  if ('escalationId' in request) return `esc:${request.escalationId}`;
  return `scope:${request.missionId}:${request.teamId ?? ''}:${request.taskId ?? ''}`;
}

const EMPTY: ChangeReviewState = { status: 'idle', error: null, review: null };

export const createReviewsSlice: Slice<ReviewsSlice> = (deps) => (set) => {
  const patch = (key: string, next: Partial<ChangeReviewState>) =>
    set((s) => ({
      changeReviews: { ...s.changeReviews, [key]: { ...(s.changeReviews[key] ?? EMPTY), ...next } },
    }));
  // A refresh asked for while one is in flight waits for it: answers never arrive out of order.
  const inFlight = new Map<string, Promise<void>>();

  return {
    changeReviews: {},

    async loadChangeReview(request) {
      const key = changeReviewKey(request);
      const running = inFlight.get(key);
      if (running) return running;
      const load = (async () => {
        patch(key, { status: 'loading', error: null });
        const result = await deps.api.invoke('reviews:get-change', request);
        if (result.ok) patch(key, { status: 'ready', error: null, review: result.data });
        else patch(key, { status: 'error', error: plainMessage(result.error.message) });
      })().finally(() => inFlight.delete(key));
      inFlight.set(key, load);
      return load;
    },
  };
};
