import type { MissionEngine } from '../../engine/mission-engine.js';
import type { Handlers } from '../dispatch.js';

type MissionHandlers = Pick<
  Handlers,
  | 'missions:create'
  | 'missions:list'
  | 'missions:get'
  | 'missions:start'
  | 'missions:pause'
  | 'missions:resume'
  | 'missions:cancel'
  | 'agents:list'
  | 'agents:kill'
  | 'agents:kill-team'
  | 'agents:kill-idle'
  | 'agents:get-transcript'
  | 'tasks:list'
  | 'escalations:list'
  | 'escalations:decide'
  | 'missions:get-log'
  | 'missions:get-result'
  | 'agents:get-diff'
  | 'reviews:get-change'
  | 'missions:message-leader'
  | 'missions:list-messages'
  | 'missions:set-team-priority'
  | 'missions:list-team-priorities'
  | 'missions:add-coder'
  | 'missions:remove-coder'
  | 'missions:pause-team'
  | 'missions:resume-team'
  | 'missions:list-leftovers'
  | 'missions:clean-up'
  | 'missions:set-keep-branches'
>;

/** Handlers for missions, their agents, tasks and escalations: validated requests straight to the engine. */
export function missionsHandlers(engine: MissionEngine): MissionHandlers {
  return {
    // The repository is checked first so a bad path or branch is refused before a draft exists.
    'missions:create': async (request) => {
      await engine.checkRepository(request.repoPath, request.baseBranch);
      return engine.create(request);
    },
    'missions:list': ({ states }) => engine.list(states),
    'missions:get': ({ id }) => engine.get(id),
    'missions:start': ({ id }) => engine.start(id),
    'missions:pause': ({ id }) => engine.pause(id),
    'missions:resume': ({ id }) => engine.resume(id),
    'missions:cancel': ({ id }) => engine.cancel(id),
    'agents:list': ({ missionId }) => engine.agents(missionId),
    'agents:kill': ({ missionId, agentId }) => engine.killAgent(missionId, agentId),
    'agents:kill-team': ({ missionId, teamId }) => engine.killTeam(missionId, teamId),
    'agents:kill-idle': ({ missionId }) => engine.killIdle(missionId),
    'agents:get-transcript': ({ missionId, agentId, afterId, limit }) => engine.transcript(missionId, agentId, afterId, limit),
    'tasks:list': ({ missionId }) => engine.tasks(missionId),
    'escalations:list': ({ missionId, openOnly }) => engine.escalations(missionId, openOnly),
    'escalations:decide': (request) => engine.decide(request),
    'missions:get-log': ({ missionId, afterId, limit }) => engine.log(missionId, afterId, limit),
    'missions:get-result': ({ id }) => engine.result(id),
    'agents:get-diff': ({ missionId, agentId }) => engine.diff(missionId, agentId),
    'reviews:get-change': (request) => engine.changeReview(request),
    'missions:message-leader': ({ missionId, teamId, text }) => engine.messageLeader(missionId, teamId, text),
    'missions:list-messages': ({ missionId }) => engine.steeringMessages(missionId),
    'missions:set-team-priority': ({ missionId, teamId, weight }) => engine.setTeamPriority(missionId, teamId, weight),
    'missions:list-team-priorities': () => engine.teamPriorities(),
    'missions:add-coder': ({ missionId, teamId, name, model }) => engine.addCoder(missionId, teamId, { name, model }),
    'missions:remove-coder': ({ missionId, agentId }) => engine.removeCoder(missionId, agentId),
    'missions:pause-team': ({ missionId, teamId }) => engine.pauseTeam(missionId, teamId),
    'missions:resume-team': ({ missionId, teamId }) => engine.resumeTeam(missionId, teamId),
    'missions:list-leftovers': () => engine.listLeftovers(),
    'missions:clean-up': ({ missionIds }) => engine.cleanUp(missionIds),
    'missions:set-keep-branches': ({ id, keepBranches }) => engine.setKeepBranches(id, keepBranches),
  };
}
