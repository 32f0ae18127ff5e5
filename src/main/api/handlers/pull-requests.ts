import type { MissionPullRequests } from '../../publish/mission-pull-requests.js';
import type { Handlers } from '../dispatch.js';

type PullRequestHandlers = Pick<Handlers, 'missions:open-pull-request' | 'missions:pull-request-options'>;

/** Handlers for missions' pull requests: validated requests straight to `publish/`. */
export function pullRequestsHandlers(pullRequests: MissionPullRequests): PullRequestHandlers {
  return {
    'missions:open-pull-request': (request) => pullRequests.open(request),
    'missions:pull-request-options': ({ missionId }) => pullRequests.options(missionId),
  };
}
