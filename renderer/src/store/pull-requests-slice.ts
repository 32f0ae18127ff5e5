import type { PullRequestOptionsView, PullRequestView } from '../../../src/shared/pull-request.js';
import { plainMessage } from '../lib/plain-message.js';
import type { Slice } from './state.js';
import type { LoadStatus } from './types.js';

/** One mission's pull request form: what the engine said may be done, and an open in flight. */
export interface PullRequestState {
  status: LoadStatus;
  error: string | null;
  options: PullRequestOptionsView | null;
  opening: boolean;
  /** Why the last open failed (one line from the engine), null when it did not. */
  openError: string | null;
}

/** Missions' pull requests (`missions:pull-request-options`, `missions:open-pull-request`). */
export interface PullRequestsSlice {
  pullRequests: Record<string, PullRequestState>;
  loadPullRequestOptions(missionId: string): Promise<void>;
  /** Pushes the mission branch and opens its pull request; answers it, or null (the error is in the state). */
  openPullRequest(missionId: string, request: { remote: string; title?: string; draft: boolean }): Promise<PullRequestView | null>;
}

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
