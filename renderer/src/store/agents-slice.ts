import type { AgentView } from '../../../src/shared/mission.js';
import {
  DEFAULT_SORT_DIR,
  EMPTY_AGENT_QUERY,
  readsLookups,
  visibleAgentKeys,
  type AgentLookups,
} from '../domain/agent-query.js';
import { plural } from '../lib/format.js';
import { plainMessage } from '../lib/plain-message.js';
import { batchEvents } from './event-batch.js';
import { entityKey, isFinalMission } from './missions-slice.js';
import type { AgentDetailState, AgentsSlice, Slice, StoreState } from './state.js';

/** Applies a batch of agent snapshots (coalesced per agent by the engine): replaced by key. */
export function reduceAgentEvents(agents: Record<string, AgentView>, events: readonly AgentView[]): Record<string, AgentView> {
  if (events.length === 0) return agents;
  const next = { ...agents };
  for (const agent of events) next[entityKey(agent.missionId, agent.id)] = agent;
  return next;
}

/** Team and task names for the agents table, from the loaded missions. */
export function agentLookups(state: Pick<StoreState, 'missionDetails' | 'tasks'>): AgentLookups {
  return {
    teams: (missionId, teamId) => state.missionDetails[missionId]?.teams.find((t) => t.id === teamId),
    task: (missionId, taskId) => state.tasks[entityKey(missionId, taskId)],
  };
}

let lastAgentKeys: { inputs: readonly unknown[]; keys: string[] } | null = null;

/**
 * The rows the agents table shows, the same array for as long as they are the same rows
 * in the same order (so no useShallow: its comparison of a thousand keys builds two Maps
 * per call). Every subscriber's selector runs on every store change and one engine batch
 * makes several (agents, tasks, missions): the filter and sort run again only when what
 * they read changed. Team and task names are read only by a text search and the team and
 * task columns, so otherwise task events do not re-sort the table.
 */
export function selectAgentKeys(state: StoreState): string[] {
  const { agents, agentQuery: query, agentSort: sort } = state;
  const named = readsLookups(query, sort);
  const inputs = [agents, query, sort, named && state.missionDetails, named && state.tasks];
  const last = lastAgentKeys;
  if (last?.inputs.every((input, i) => input === inputs[i])) return last.keys;
  const keys = visibleAgentKeys(agents, query, sort, agentLookups(state));
  const same = last !== null && last.keys.length === keys.length && keys.every((k, i) => k === last.keys[i]);
  lastAgentKeys = { inputs, keys: same ? last.keys : keys };
  return lastAgentKeys.keys;
}

const TRANSCRIPT_PAGE = 500;
// A very long transcript is read in pages; past this many the drawer shows the newest.
const TRANSCRIPT_MAX = 5_000;

export const createAgentsSlice: Slice<AgentsSlice> = (deps) => (set, get) => {
  let loadRequest = 0;
  let transcriptInFlight = false;
  let transcriptAgain = false;
  const loadingDetail = new Set<string>();

  const enqueue = batchEvents<AgentView>((agents) => get().applyAgentEvents(agents));
  deps.api.on('agents:changed', enqueue);

  let wasOpen = deps.connection.state === 'open';
  deps.connection.subscribe((state) => {
    const open = state === 'open';
    if (open && !wasOpen && get().agentsStatus !== 'idle') void get().loadAgents();
    if (open && !wasOpen && get().agentDetail) void get().refreshTranscript();
    wasOpen = open;
  });

  const killingOn = (key: string, on: boolean) =>
    set({ killing: on ? [...get().killing, key] : get().killing.filter((k) => k !== key) });
  const setDetail = (missionId: string, agentId: string, patch: Partial<AgentDetailState>) => {
    const detail = get().agentDetail;
    // A late answer for an agent that is no longer open must not land on the one that is.
    if (detail && detail.missionId === missionId && detail.agentId === agentId) set({ agentDetail: { ...detail, ...patch } });
  };
  const upsert = (views: AgentView[]) => set({ agents: reduceAgentEvents(get().agents, views) });

  return {
    agents: {},
    agentsStatus: 'idle',
    agentsError: null,
    agentQuery: EMPTY_AGENT_QUERY,
    agentSort: { key: 'state', dir: 'asc' },
    killing: [],
    agentNotice: null,
    agentDetail: null,

    async loadAgents() {
      const request = ++loadRequest;
      if (get().agentsStatus !== 'ready') set({ agentsStatus: 'loading', agentsError: null });
      await get().loadMissions();
      if (request !== loadRequest) return;
      if (get().missionsStatus === 'error') {
        set({ agentsStatus: 'error', agentsError: get().missionsError });
        return;
      }
      const live = Object.values(get().missions).filter((m) => !isFinalMission(m) || get().missionDetails[m.id]);
      await Promise.all(live.map((m) => get().loadMission(m.id)));
      if (request !== loadRequest) return;
      const failed = live.map((m) => get().missionDetails[m.id]).find((d) => d?.status === 'error');
      if (failed && live.length === 1) set({ agentsStatus: 'error', agentsError: failed.error });
      else set({ agentsStatus: 'ready', agentsError: null });
    },

    setAgentQuery(patch) {
      const query = { ...get().agentQuery, ...patch };
      // A team belongs to one mission: choosing another mission clears it.
      if (patch.missionId !== undefined && query.team && !query.team.startsWith(`${patch.missionId}/`)) query.team = '';
      set({ agentQuery: query });
    },

    sortAgents(key) {
      const current = get().agentSort;
      set({
        agentSort:
          current.key === key ? { key, dir: current.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: DEFAULT_SORT_DIR[key] },
      });
    },

    async killAgent(missionId, agentId) {
      const key = entityKey(missionId, agentId);
      if (get().killing.includes(key)) return false;
      killingOn(key, true);
      const result = await deps.api.invoke('agents:kill', { missionId, agentId });
      killingOn(key, false);
      if (!result.ok) {
        set({ agentNotice: { tone: 'error', text: `Could not kill the agent: ${plainMessage(result.error.message)}` } });
        return false;
      }
      upsert([result.data]);
      set({ agentNotice: { tone: 'success', text: `${result.data.name} was killed.` } });
      return true;
    },

    async killTeam(missionId, teamId) {
      const key = `team:${entityKey(missionId, teamId)}`;
      if (get().killing.includes(key)) return false;
      killingOn(key, true);
      const result = await deps.api.invoke('agents:kill-team', { missionId, teamId });
      killingOn(key, false);
      if (!result.ok) {
        set({ agentNotice: { tone: 'error', text: `Could not kill the team: ${plainMessage(result.error.message)}` } });
        return false;
      }
      upsert(result.data);
      const name = get().missionDetails[missionId]?.teams.find((t) => t.id === teamId)?.name ?? 'The team';
      set({ agentNotice: { tone: 'success', text: `${name}: ${plural(result.data.length, 'agent')} stopped.` } });
      return true;
    },

    async killIdle(missionId) {
      const key = `idle:${missionId ?? '*'}`;
      if (get().killing.includes(key)) return false;
      killingOn(key, true);
      const result = await deps.api.invoke('agents:kill-idle', missionId ? { missionId } : {});
      killingOn(key, false);
      if (!result.ok) {
        set({ agentNotice: { tone: 'error', text: `Could not stop idle agents: ${plainMessage(result.error.message)}` } });
        return false;
      }
      const n = result.data.killed.length;
      set({
        agentNotice: {
          tone: 'success',
          text:
            n === 0
              ? 'No idle agent could be stopped: every idle agent holds a task or is still needed by its team.'
              : `${plural(n, 'idle agent')} stopped.`,
        },
      });
      return true;
    },

    dismissAgentNotice() {
      set({ agentNotice: null });
    },

    openAgent(missionId, agentId) {
      const current = get().agentDetail;
      if (current && current.missionId === missionId && current.agentId === agentId) return;
      transcriptAgain = false;
      set({
        agentDetail: {
          missionId,
          agentId,
          transcript: [],
          transcriptStatus: 'loading',
          transcriptError: null,
          diff: null,
          diffStatus: 'idle',
          diffError: null,
        },
      });
      if (!get().missionDetails[missionId]) void get().loadMission(missionId);
      void get().refreshTranscript();
    },

    closeAgent() {
      set({ agentDetail: null });
    },

    async refreshTranscript() {
      // One request at a time; a change while one is out asks for one more pass.
      if (transcriptInFlight) {
        transcriptAgain = true;
        return;
      }
      transcriptInFlight = true;
      try {
        do {
          transcriptAgain = false;
          const detail = get().agentDetail;
          if (!detail) return;
          const { missionId, agentId } = detail;
          let entries = detail.transcript;
          for (;;) {
            const afterId = entries.at(-1)?.id ?? 0;
            const result = await deps.api.invoke('agents:get-transcript', { missionId, agentId, afterId, limit: TRANSCRIPT_PAGE });
            if (!result.ok) {
              setDetail(missionId, agentId, { transcriptStatus: 'error', transcriptError: plainMessage(result.error.message) });
              break;
            }
            if (result.data.length > 0) entries = [...entries, ...result.data].slice(-TRANSCRIPT_MAX);
            setDetail(missionId, agentId, { transcript: entries, transcriptStatus: 'ready', transcriptError: null });
            if (result.data.length < TRANSCRIPT_PAGE) break;
          }
        } while (transcriptAgain);
      } finally {
        transcriptInFlight = false;
      }
    },

    async loadDiff() {
      const detail = get().agentDetail;
      if (!detail) return;
      const { missionId, agentId } = detail;
      setDetail(missionId, agentId, { diffStatus: 'loading', diffError: null });
      const result = await deps.api.invoke('agents:get-diff', { missionId, agentId });
      if (result.ok) setDetail(missionId, agentId, { diff: result.data, diffStatus: 'ready' });
      else setDetail(missionId, agentId, { diffStatus: 'error', diffError: plainMessage(result.error.message) });
    },

    applyAgentEvents(events) {
      set({ agents: reduceAgentEvents(get().agents, events) });
      const state = get();
      // Agents of a mission this window has not loaded (started elsewhere): fetch its
      // teams and tasks once, so the rows get names instead of ids.
      if (state.agentsStatus !== 'idle') {
        for (const agent of events) {
          if (!state.missionDetails[agent.missionId] && !loadingDetail.has(agent.missionId)) {
            loadingDetail.add(agent.missionId);
            void state.loadMission(agent.missionId).finally(() => loadingDetail.delete(agent.missionId));
          }
        }
      }
      const open = state.agentDetail;
      if (open && events.some((a) => a.missionId === open.missionId && a.id === open.agentId)) void state.refreshTranscript();
    },
  };
};
