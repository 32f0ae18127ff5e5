import type { AgentView, MissionTeamView } from '../../../src/shared/mission.js';
import { priorityLabel } from '../../../src/shared/steering.js';
import { plainMessage } from '../lib/plain-message.js';
import { entityKey } from './missions-slice.js';
import type { Slice, SteeringSlice, StoreState } from './state.js';
import { teamTitle, teamTitlePossessive } from '../../../src/shared/team-label.js';

type Get = () => StoreState;

/** A team's new view replaces the one the mission's page shows. */
function withTeam(get: Get, missionId: string, team: MissionTeamView): Partial<StoreState> {
  const detail = get().missionDetails[missionId];
  if (!detail) return {};
  return {
    missionDetails: { ...get().missionDetails, [missionId]: { ...detail, teams: detail.teams.map((t) => (t.id === team.id ? team : t)) } },
    teamPriorities: get().teamPriorities.map((p) =>
      p.missionId === missionId && p.teamId === team.id ? { ...p, weight: team.priorityWeight, paused: team.paused } : p,
    ),
  };
}

function withAgent(get: Get, agent: AgentView): Partial<StoreState> {
  return { agents: { ...get().agents, [entityKey(agent.missionId, agent.id)]: agent } };
}

/**
 * Steering a running mission: the person's messages to leaders, a team's priority, pause
 * and resume, coders added and removed. Each action answers whether it was done and
 * leaves a notice on the mission's page; the engine's refusals (a coder holding a task)
 * are shown as it words them.
 */
export const createSteeringSlice: Slice<SteeringSlice> = (deps) => (set, get) => {
  /** Runs one action on `key` (at most one at a time per key); answers whether it succeeded. */
  async function act<T>(
    missionId: string,
    key: string,
    what: string,
    call: () => Promise<{ ok: true; data: T } | { ok: false; error: { message: string } }>,
    done: (data: T) => { patch: Partial<StoreState>; text: string },
  ): Promise<boolean> {
    const busyKey = entityKey(missionId, key);
    if (get().steeringBusy[busyKey]) return false;
    set({ steeringBusy: { ...get().steeringBusy, [busyKey]: what } });
    const result = await call();
    const { [busyKey]: _finished, ...busy } = get().steeringBusy;
    void _finished;
    if (!result.ok) {
      set({ steeringBusy: busy, steeringNotice: { ...get().steeringNotice, [missionId]: { tone: 'error', text: `Could not ${what}: ${plainMessage(result.error.message)}` } } });
      return false;
    }
    const { patch, text } = done(result.data);
    set({ ...patch, steeringBusy: busy, steeringNotice: { ...get().steeringNotice, [missionId]: { tone: 'success', text } } });
    return true;
  }

  const teamName = (missionId: string, teamId: string): string =>
    get().missionDetails[missionId]?.teams.find((t) => t.id === teamId)?.name ?? teamId;

  return {
    steeringMessages: {},
    steeringBusy: {},
    steeringNotice: {},
    teamPriorities: [],

    async loadSteeringMessages(missionId) {
      const result = await deps.api.invoke('missions:list-messages', { missionId });
      if (result.ok) set({ steeringMessages: { ...get().steeringMessages, [missionId]: result.data } });
    },

    async loadTeamPriorities() {
      const result = await deps.api.invoke('missions:list-team-priorities', {});
      if (result.ok) set({ teamPriorities: result.data });
    },

    messageLeader(missionId, teamId, text) {
      return act(
        missionId,
        teamId,
        `send the message to ${teamTitle(teamName(missionId, teamId))}`,
        () => deps.api.invoke('missions:message-leader', { missionId, teamId, text }),
        (message) => ({
          patch: { steeringMessages: { ...get().steeringMessages, [missionId]: [...(get().steeringMessages[missionId] ?? []), message] } },
          text: `Message sent: ${teamTitlePossessive(teamName(missionId, teamId))} leader reads it at its next turn.`,
        }),
      );
    },

    setTeamPriority(missionId, teamId, weight) {
      return act(
        missionId,
        teamId,
        `change ${teamTitlePossessive(teamName(missionId, teamId))} priority`,
        () => deps.api.invoke('missions:set-team-priority', { missionId, teamId, weight }),
        (team) => ({ patch: withTeam(get, missionId, team), text: `${teamTitlePossessive(team.name)} priority is now ${priorityLabel(team.priorityWeight)}.` }),
      );
    },

    setTeamPaused(missionId, teamId, paused) {
      const verb = paused ? 'pause' : 'resume';
      return act(
        missionId,
        teamId,
        `${verb} ${teamTitle(teamName(missionId, teamId))}`,
        () => deps.api.invoke(paused ? 'missions:pause-team' : 'missions:resume-team', { missionId, teamId }),
        (team) => ({
          patch: withTeam(get, missionId, team),
          text: paused ? `${teamTitle(team.name)} is paused: its agents stop after the step they are in.` : `${teamTitle(team.name)} resumed.`,
        }),
      );
    },

    addCoder(missionId, teamId, name) {
      const trimmed = name.trim();
      return act(
        missionId,
        teamId,
        `add a coder to ${teamTitle(teamName(missionId, teamId))}`,
        () => deps.api.invoke('missions:add-coder', { missionId, teamId, ...(trimmed ? { name: trimmed } : {}) }),
        (agent) => ({ patch: withAgent(get, agent), text: `${agent.name} joined ${teamTitle(teamName(missionId, teamId))} and can take a ready task.` }),
      );
    },

    removeCoder(missionId, agentId) {
      const name = get().agents[entityKey(missionId, agentId)]?.name ?? agentId;
      return act(
        missionId,
        agentId,
        `remove ${name}`,
        () => deps.api.invoke('missions:remove-coder', { missionId, agentId }),
        (agent) => ({ patch: withAgent(get, agent), text: `${agent.name} left the team; its worktree was removed.` }),
      );
    },

    dismissSteeringNotice(missionId) {
      const { [missionId]: _gone, ...rest } = get().steeringNotice;
      void _gone;
      set({ steeringNotice: rest });
    },
  };
};
