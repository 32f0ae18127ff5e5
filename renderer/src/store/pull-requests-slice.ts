import { plainMessage } from '../lib/plain-message.js';
import type { PullRequestsSlice, PullRequestState, Slice } from './state.js';

const EMPTY: PullRequestState = { status: 'idle', error: null, options: null, opening: false, openError: null };

export const createPullRequestsSlice: Slice<PullRequestsSlice> = (deps) => (set, get) => {
  const patch = (missionId: string, next: Partial<PullRequestState>) =>
    set((s) => ({ pullRequests: { ...s.pullRequests, [missionId]: { ...(s.pullRequests[missionId] ?? EMPTY), ...next } } }));

  return {
    pullRequests: {},

    async loadPullRequestOptions(missionId) {
      if (!get().pullRequests[missionId]?.options) patch(missionId, { status: 'loading', error: null });
      const result = await deps.api.invoke('missions:pull-request-options', { missionId });
      if (result.ok) patch(missionId, { status: 'ready', error: null, options: result.data });
      else patch(missionId, { status: 'error', error: plainMessage(result.error.message) });
    },

    async openPullRequest(missionId, request) {
      patch(missionId, { opening: true, openError: null });
      const result = await deps.api.invoke('missions:open-pull-request', { missionId, ...request });
      if (!result.ok) {
        patch(missionId, { opening: false, openError: plainMessage(result.error.message) });
        return null;
      }
      patch(missionId, { opening: false, openError: null });
      // The mission changed (its final merge answered): the form shows the pull request now.
      await get().loadPullRequestOptions(missionId);
      return result.data;
    },
  };
};
