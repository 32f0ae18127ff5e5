import {
  FINAL_MISSION_STATES,
  type AgentView,
  type EscalationView,
  type MissionDetail,
  type MissionSummary,
  type MissionTeamView,
  type MissionView,
  type TaskView,
} from '../../../src/shared/mission.js';
import { currentPlanTasks } from '../../../src/shared/plan-rounds.js';
import { briefShares, errorForField, fieldOfError, launchRequest } from '../domain/launch-form.js';
import { sameRoute } from '../domain/route.js';
import { designFromTemplate, freeDesignName, templateOfChoice } from '../domain/team-templates.js';
import { formToDraft } from '../domain/design-form.js';
import { teamDesignSchema } from '../../../src/shared/team.js';
import { scopedKey } from '../../../src/shared/team-label.js';
import { plainMessage } from '../lib/plain-message.js';
import { batchEvents } from './event-batch.js';
import type { MissionAction, MissionDetailState, MissionEvent, MissionsSlice, Slice, StoreState } from './state.js';

/** Tasks and agents are named by their mission too: a design launched twice reuses its agent ids (`scopedKey`). */
export const entityKey = scopedKey;

type MissionData = Pick<StoreState, 'missions' | 'missionDetails' | 'tasks' | 'escalations'>;

/**
 * Applies one batch of mission and task snapshots: each replaces what it describes by
 * id, nothing is re-fetched. Tasks are kept only for missions whose detail is loaded
 * (the rest would be partial lists).
 */
export function reduceMissionEvents(state: MissionData, events: readonly MissionEvent[]): Partial<MissionData> {
  let missions: Record<string, MissionSummary> | undefined;
  let details: Record<string, MissionDetailState> | undefined;
  let tasks: Record<string, TaskView> | undefined;
  for (const event of events) {
    if (event.name === 'missions:changed') {
      const summary = event.payload;
      missions ??= { ...state.missions };
      missions[summary.id] = summary;
      const detail = (details ?? state.missionDetails)[summary.id];
      if (detail?.view) {
        details ??= { ...state.missionDetails };
        details[summary.id] = { ...detail, view: { ...detail.view, ...summary } };
      }
    } else if (event.name === 'missions:team-changed') {
      // A team's phase, share, delivery, priority or pause moved without the mission's state moving.
      const { missionId, ...team } = event.payload;
      const detail = (details ?? state.missionDetails)[missionId];
      if (!detail) continue;
      details ??= { ...state.missionDetails };
      const teams = detail.teams.some((t) => t.id === team.id)
        ? detail.teams.map((t) => (t.id === team.id ? team : t))
        : [...detail.teams, team];
      details[missionId] = { ...detail, teams };
    } else {
      const task = event.payload;
      if (!state.missionDetails[task.missionId]) continue;
      tasks ??= { ...state.tasks };
      tasks[entityKey(task.missionId, task.id)] = task;
    }
  }
  const patch: Partial<MissionData> = {
    ...(missions ? { missions } : {}),
    ...(details ? { missionDetails: details } : {}),
    ...(tasks ? { tasks } : {}),
  };
  const touched = events.flatMap((e) => (e.name === 'tasks:changed' ? [e.payload.missionId] : []));
  return { ...patch, ...recountMissions({ ...state, ...patch }, touched) };
}

/**
 * The engine sends a mission's summary when its state changes, not on every task or
 * escalation: this keeps the task and open-escalation counts of the loaded missions
 * among `missionIds` current from what the store holds.
 */
export function recountMissions(
  state: MissionData,
  missionIds: Iterable<string>,
): Partial<Pick<MissionData, 'missions' | 'missionDetails'>> {
  let missions: Record<string, MissionSummary> | undefined;
  let details: Record<string, MissionDetailState> | undefined;
  for (const id of new Set(missionIds)) {
    const current = state.missions[id];
    const detail = state.missionDetails[id];
    if (!current || !detail) continue;
    const counts = countsOf(id, current.planRound, detail.teams, state.tasks, state.escalations);
    missions ??= { ...state.missions };
    missions[id] = { ...current, ...counts };
    if (detail.view) {
      details ??= { ...state.missionDetails };
      details[id] = { ...detail, view: { ...detail.view, ...counts } };
    }
  }
  return { ...(missions ? { missions } : {}), ...(details ? { missionDetails: details } : {}) };
}

/** The counts a mission's summary carries, from what the store holds: its current plan's tasks only, as the engine counts them. */
function countsOf(
  missionId: string,
  planRound: number,
  teams: readonly MissionTeamView[],
  tasks: Record<string, TaskView>,
  escalations: Record<string, EscalationView>,
): Pick<MissionSummary, 'taskCounts' | 'openEscalations'> {
  const taskCounts: MissionSummary['taskCounts'] = {};
  const prefix = entityKey(missionId, '');
  const mine = Object.entries(tasks).flatMap(([key, t]) => (key.startsWith(prefix) ? [t] : []));
  for (const t of currentPlanTasks(planRound, teams, mine)) taskCounts[t.state] = (taskCounts[t.state] ?? 0) + 1;
  let openEscalations = 0;
  for (const e of Object.values(escalations)) if (e.missionId === missionId && e.state === 'open') openEscalations++;
  return { taskCounts, openEscalations };
}

/**
 * What a mission has spent so far: its summary's figure (every call, from the ledger)
 * or, when larger, the sum of its agents' live costs, which move between summaries.
 */
export function missionSpent(state: Pick<StoreState, 'missions' | 'agents'>, missionId: string): number {
  let agents = 0;
  const prefix = entityKey(missionId, '');
  for (const [key, a] of Object.entries(state.agents)) if (key.startsWith(prefix)) agents += a.costNanoUsd;
  return Math.max(state.missions[missionId]?.spentNanoUsd ?? 0, agents);
}

/** Replaces everything held for one mission with a fresh `missions:get` answer. */
export function withMissionDetail(
  state: MissionData & Pick<StoreState, 'agents'>,
  detail: MissionDetail,
): MissionData & Pick<StoreState, 'agents'> {
  const id = detail.mission.id;
  const prefix = `${id}/`;
  const keep = <T,>(record: Record<string, T>, belongs: (key: string, value: T) => boolean) =>
    Object.fromEntries(Object.entries(record).filter(([key, value]) => !belongs(key, value)));
  const tasks = keep(state.tasks, (key) => key.startsWith(prefix));
  for (const task of detail.tasks) tasks[entityKey(id, task.id)] = task;
  const agents = keep<AgentView>(state.agents, (key) => key.startsWith(prefix));
  for (const agent of detail.agents) agents[entityKey(id, agent.id)] = agent;
  const escalations = keep<EscalationView>(state.escalations, (_, e) => e.missionId === id);
  for (const e of detail.escalations) escalations[e.id] = e;
  return {
    missions: { ...state.missions, [id]: detail.mission },
    missionDetails: {
      ...state.missionDetails,
      [id]: { status: 'ready', error: null, view: detail.mission, teams: detail.teams },
    },
    tasks,
    agents,
    escalations,
  };
}

export function isFinalMission(mission: Pick<MissionSummary, 'state'>): boolean {
  return FINAL_MISSION_STATES.includes(mission.state);
}

const ACTION_DONE: Record<MissionAction, string> = {
  start: 'Mission started: the leaders are planning.',
  pause: 'Mission paused. Calls in flight finish; no new ones start until you resume.',
  resume: 'Mission resumed.',
  cancel: 'Mission cancelled. Worktrees and branches are kept.',
};

export const createMissionsSlice: Slice<MissionsSlice> = (deps) => (set, get, store) => {
  let listRequest = 0;
  const detailRequests = new Map<string, number>();
  let launchDesignRequest = 0;

  const enqueue = batchEvents<MissionEvent>((events) => get().applyMissionEvents(events));
  deps.api.on('missions:changed', (payload) => enqueue({ name: 'missions:changed', payload }));
  deps.api.on('missions:team-changed', (payload) => enqueue({ name: 'missions:team-changed', payload }));
  deps.api.on('tasks:changed', (payload) => enqueue({ name: 'tasks:changed', payload }));

  // Events sent while the connection was down are lost: catch up on what is on screen.
  let wasOpen = deps.connection.state === 'open';
  deps.connection.subscribe((state) => {
    const open = state === 'open';
    if (open && !wasOpen) {
      if (get().missionsStatus !== 'idle') void get().loadMissions();
      for (const id of Object.keys(get().missionDetails)) void get().loadMission(id);
    }
    wasOpen = open;
  });

  // A message about the last page would be misleading on the next one.
  store.subscribe((state, previous) => {
    if (!sameRoute(state.route, previous.route) && (state.missionNotice || state.agentNotice)) {
      set({ missionNotice: null, agentNotice: null });
    }
  });

  const mergeView = (view: MissionView) => {
    const detail = get().missionDetails[view.id];
    set({
      missions: { ...get().missions, [view.id]: view },
      ...(detail ? { missionDetails: { ...get().missionDetails, [view.id]: { ...detail, view } } } : {}),
    });
  };

  return {
    missions: {},
    missionsStatus: 'idle',
    missionsError: null,
    missionDetails: {},
    tasks: {},
    missionActions: {},
    missionNotice: null,
    launching: false,
    launchErrors: {},
    launchError: null,
    launchDesign: null,

    async loadLaunchDesign(id) {
      const current = get().launchDesign;
      if (current?.id === id && current.status === 'loading') return;
      const template = templateOfChoice(id);
      if (template) {
        // A template is not saved yet: its teams (briefs, phases) come from the template itself.
        ++launchDesignRequest;
        const built = formToDraft(designFromTemplate(template, deps.newId));
        const design = built.ok
          ? teamDesignSchema.safeParse({ ...built.draft, id: 'template', revision: 1, createdAt: '', updatedAt: '' })
          : null;
        set({
          launchDesign: design?.success
            ? { id, status: 'ready', error: null, design: design.data }
            : { id, status: 'error', error: `the template “${template.label}” could not be laid out`, design: null },
        });
        return;
      }
      const request = ++launchDesignRequest;
      set({ launchDesign: { id, status: 'loading', error: null, design: current?.id === id ? current.design : null } });
      const result = await deps.api.invoke('teams:get', { id });
      // The person may have chosen another design meanwhile: only the newest choice lands.
      if (request !== launchDesignRequest) return;
      set({
        launchDesign: result.ok
          ? { id, status: 'ready', error: null, design: result.data }
          : { id, status: 'error', error: plainMessage(result.error.message), design: null },
      });
    },

    async loadMissions() {
      const request = ++listRequest;
      if (get().missionsStatus !== 'ready') set({ missionsStatus: 'loading', missionsError: null });
      const result = await deps.api.invoke('missions:list', {});
      if (request !== listRequest) return;
      if (!result.ok) {
        set({ missionsStatus: 'error', missionsError: plainMessage(result.error.message) });
        return;
      }
      // Detailed views carry more than summaries: keep them where they exist.
      const missions: Record<string, MissionSummary> = {};
      for (const summary of result.data) missions[summary.id] = { ...get().missions[summary.id], ...summary };
      set({ missions, missionsStatus: 'ready', missionsError: null });
    },

    async loadMission(id) {
      const request = (detailRequests.get(id) ?? 0) + 1;
      detailRequests.set(id, request);
      const current = get().missionDetails[id];
      if (!current || current.status === 'error') {
        set({
          missionDetails: {
            ...get().missionDetails,
            [id]: { status: 'loading', error: null, view: current?.view ?? null, teams: current?.teams ?? [] },
          },
        });
      }
      const result = await deps.api.invoke('missions:get', { id });
      if (detailRequests.get(id) !== request) return;
      if (result.ok) {
        set(withMissionDetail(get(), result.data));
      } else {
        set({
          missionDetails: {
            ...get().missionDetails,
            [id]: {
              status: 'error',
              error: result.error.code === 'not_found' ? 'This mission does not exist (any more).' : plainMessage(result.error.message),
              view: null,
              teams: [],
            },
          },
        });
      }
    },

    async launchMission(form) {
      // Only shares changed from the chosen design's briefs are sent (see launchRequest).
      const chosen = get().launchDesign;
      const built = launchRequest(form, chosen?.id === form.designId && chosen.design ? briefShares(chosen.design) : {});
      if (!built.ok) {
        set({ launchErrors: built.errors, launchError: null });
        return null;
      }
      set({ launching: true, launchErrors: {}, launchError: null });
      const template = templateOfChoice(form.designId);
      if (template) {
        // A template launches as a design of its own, saved first (the mission keeps a
        // snapshot of it, and the person can reopen it in Teams). The teams the form
        // showed are the ones saved: their ids key the shares typed for them.
        const design = chosen?.id === form.designId ? chosen.design : null;
        if (!design) {
          set({ launching: false, launchError: 'The template is still being laid out; try again in a moment.' });
          return null;
        }
        const { id: _id, revision: _revision, createdAt: _created, updatedAt: _updated, ...draft } = design;
        void [_id, _revision, _created, _updated];
        const saved = await deps.api.invoke('teams:save', {
          design: { ...draft, name: freeDesignName(draft.name, get().teams.map((d) => d.name)) },
        });
        if (!saved.ok) {
          set({ launching: false, launchError: `Could not save the template as a design: ${plainMessage(saved.error.message)}` });
          return null;
        }
        built.request.designId = saved.data.id;
        void get().loadTeams();
      }
      const created = await deps.api.invoke('missions:create', built.request);
      if (!created.ok) {
        const message = plainMessage(created.error.message);
        const field = fieldOfError(created.error.message);
        set({ launching: false, ...(field ? { launchErrors: { [field]: errorForField(field, message) } } : { launchError: message }) });
        return null;
      }
      const view = created.data;
      set({ missions: { ...get().missions, [view.id]: view } });
      // Straight to the mission's page: the start (making worktrees) shows there.
      get().navigate({ area: 'missions', mission: view.id }, { replace: true });
      const started = await deps.api.invoke('missions:start', { id: view.id });
      set({ launching: false });
      if (started.ok) {
        mergeView(started.data);
        set({ missionNotice: { tone: 'success', text: 'Mission launched: the leaders are planning.' } });
      } else {
        set({
          missionNotice: {
            tone: 'error',
            text: `The mission was created but could not start: ${plainMessage(started.error.message)}`,
          },
        });
      }
      return view.id;
    },

    clearLaunchErrors() {
      set({ launchErrors: {}, launchError: null });
    },

    async runMissionAction(id, action) {
      if (get().missionActions[id]) return false;
      set({ missionActions: { ...get().missionActions, [id]: action }, missionNotice: null });
      const result = await deps.api.invoke(`missions:${action}`, { id });
      const { [id]: _done, ...rest } = get().missionActions;
      void _done;
      set({ missionActions: rest });
      if (!result.ok) {
        set({ missionNotice: { tone: 'error', text: `Could not ${action} the mission: ${plainMessage(result.error.message)}` } });
        return false;
      }
      mergeView(result.data);
      set({ missionNotice: { tone: 'success', text: ACTION_DONE[action] } });
      return true;
    },

    dismissMissionNotice() {
      set({ missionNotice: null });
    },

    applyMissionEvents(events) {
      const before = get().missionDetails;
      const patch = reduceMissionEvents(get(), events);
      if (Object.keys(patch).length > 0) set(patch);
      // Teams' plan states and summaries have no event of their own; they move with the
      // mission's state (planning → awaiting approval → running), so refetch then.
      const changed = new Set<string>();
      for (const e of events) {
        if (e.name === 'missions:changed' && before[e.payload.id]?.view && before[e.payload.id]?.view?.state !== e.payload.state) {
          changed.add(e.payload.id);
        }
      }
      for (const id of changed) void get().loadMission(id);
    },
  };
};
