import { describe, expect, it } from 'vitest';
import type { ControlRoomApi, EventName, EventPayload } from '../../../src/shared/contract.js';
import type {
  AgentView,
  EscalationView,
  MissionDetail,
  MissionSummary,
  MissionView,
  TaskView,
} from '../../../src/shared/mission.js';
import { DEFAULT_MISSION_SETTINGS } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { emptyLaunchForm } from '../domain/launch-form.js';
import { agentView } from '../testing/fixtures.js';
import { reduceAgentEvents, selectAgentKeys } from './agents-slice.js';
import { entityKey, reduceMissionEvents } from './missions-slice.js';
import { createControlRoomStore } from './store.js';

type Handler = (request: never) => Result<unknown>;

/** A fake engine: answers from `handlers`, records calls, and lets a test push event batches. */
function fakeApi(handlers: Record<string, Handler>) {
  const calls: { channel: string; request: unknown }[] = [];
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const handler = handlers[channel];
      const result = handler ? handler(request as never) : { ok: true, data: [] };
      return Promise.resolve(result) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: unknown) => void]);
      return () => undefined;
    },
  };
  // Like the transports: one listener call per event, all in the same task.
  const emit = (events: { name: EventName; payload: unknown }[]) => {
    for (const e of events) for (const l of listeners.get(e.name) ?? []) l(e.payload);
  };
  return { api, calls, emit };
}

function makeStore(handlers: Record<string, Handler> = {}) {
  const fake = fakeApi(handlers);
  const hashes: string[] = [];
  const store = createControlRoomStore({
    api: fake.api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: () => undefined,
    writeHash: (hash) => hashes.push(hash),
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  return { store, ...fake, hashes };
}

const ok = <T,>(data: T): Result<T> => ({ ok: true, data });
const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } }) as Result<never>;
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function summary(over: Partial<MissionSummary> = {}): MissionSummary {
  return {
    id: 'm1',
    name: 'Mission one',
    designId: 'd1',
    goal: 'Build it',
    state: 'running',
    repoPath: '/repo',
    baseBranch: 'main',
    budgetNanoUsd: null,
    spentNanoUsd: 0,
    taskCounts: {},
    planRound: 0,
    openEscalations: 0,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    outcome: null,
    resultKind: null,
    ...over,
  };
}

function view(over: Partial<MissionView> = {}): MissionView {
  return {
    ...summary(over),
    designRevision: 1,
    skipPlanApproval: false,
    allowedCommands: [],
    setupCommand: null,
    copyFiles: [],
    settings: DEFAULT_MISSION_SETTINGS,
    missionBranch: null,
    keepBranches: false,
    finalCommit: null,
    startedAt: null,
    endedAt: null,
    ...over,
  };
}

function agent(over: Partial<AgentView> = {}): AgentView {
  return agentView({ id: 'a1', name: 'Coder 1', ...over });
}

function task(over: Partial<TaskView> = {}): TaskView {
  return {
    id: 'k1',
    missionId: 'm1',
    teamId: 't1',
    key: 'T1',
    title: 'Add the parser',
    description: '',
    acceptanceCriteria: [],
    owns: [],
    dependsOn: [],
    planRound: 0,
    state: 'ready',
    assignee: null,
    attempts: 0,
    feedback: null,
    submissionSummary: null,
    mergedCommit: null,
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...over,
  };
}

function escalation(over: Partial<EscalationView> = {}): EscalationView {
  return {
    id: 'e1',
    missionId: 'm1',
    teamId: null,
    agentId: null,
    taskId: null,
    type: 'plan_approval',
    level: 'human',
    state: 'open',
    title: 'Approve the plan?',
    detail: '',
    payload: {},
    decision: null,
    comment: null,
    alwaysAllow: false,
    decidedBy: null,
    timeoutAt: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    decidedAt: null,
    ...over,
  };
}

function detail(over: Partial<MissionDetail> = {}): MissionDetail {
  return {
    mission: view(),
    teams: [{ id: 't1', name: 'Core', budgetNanoUsd: null, planState: 'submitted', planSummary: null, phase: 1, after: [], phaseState: 'active', share: null, startCommit: null, mergedCommit: null, delivery: null, priorityWeight: 1, paused: false }],
    agents: [agent(), agent({ id: 'lead', name: 'Lead', role: 'leader' })],
    tasks: [task()],
    escalations: [],
    ...over,
  };
}

const event = <E extends EventName>(name: E, payload: EventPayload<E>) => ({ name, payload });

describe('mission events', () => {
  it('replaces what each event describes by id, and ignores tasks of missions not loaded', () => {
    const state = {
      missions: { m1: summary(), m2: summary({ id: 'm2' }) },
      missionDetails: { m1: { status: 'ready' as const, error: null, view: view(), teams: [] } },
      tasks: { [entityKey('m1', 'k1')]: task() },
      escalations: {},
    };
    const patch = reduceMissionEvents(state, [
      event('tasks:changed', task({ state: 'claimed' })),
      event('tasks:changed', task({ id: 'k9', missionId: 'm2' })),
      event('missions:changed', summary({ state: 'paused', spentNanoUsd: 5 })),
      event('tasks:changed', task({ state: 'in_progress' })),
    ]);
    expect(patch.tasks).toEqual({ [entityKey('m1', 'k1')]: task({ state: 'in_progress' }) });
    expect(patch.missions?.m1?.state).toBe('paused');
    expect(patch.missions?.m2).toBe(state.missions.m2);
    // The detailed view keeps its extra fields and takes the summary's new ones.
    expect(patch.missionDetails?.m1?.view).toMatchObject({ state: 'paused', spentNanoUsd: 5, designRevision: 1 });
    // Nothing changes what the batch does not touch.
    expect(reduceMissionEvents(state, [])).toEqual({});
  });

  it('keeps a loaded mission’s task and escalation counts current between summaries', async () => {
    const { store, emit } = makeStore({ 'missions:get': () => ok(detail({ tasks: [task(), task({ id: 'k2', key: 'T2' })] })) });
    await store.getState().loadMission('m1');
    emit([event('tasks:changed', task({ state: 'merged' })), event('escalations:changed', escalation())]);
    await flush();
    expect(store.getState().missions.m1).toMatchObject({ taskCounts: { merged: 1, ready: 1 }, openEscalations: 1 });
    expect(store.getState().missionDetails.m1?.view?.taskCounts).toEqual({ merged: 1, ready: 1 });
  });

  it('applies a whole batch of events in one store update', async () => {
    const { store, emit } = makeStore({ 'missions:get': () => ok(detail()) });
    await store.getState().loadMission('m1');
    let updates = 0;
    store.subscribe(() => updates++);
    emit([
      event('tasks:changed', task({ state: 'claimed', assignee: 'a1' })),
      event('agents:changed', agent({ state: 'working', currentTaskId: 'k1' })),
      event('missions:changed', summary({ taskCounts: { claimed: 1 } })),
      event('agents:changed', agent({ id: 'lead', name: 'Lead', role: 'leader', state: 'working' })),
    ]);
    expect(updates).toBe(0);
    await flush();
    // One for the missions slice's events, one for the agents slice's.
    expect(updates).toBe(2);
    const s = store.getState();
    expect(s.tasks[entityKey('m1', 'k1')]?.state).toBe('claimed');
    expect(s.agents[entityKey('m1', 'a1')]?.state).toBe('working');
    expect(s.agents[entityKey('m1', 'lead')]?.state).toBe('working');
    expect(s.missionDetails.m1?.view?.taskCounts).toEqual({ claimed: 1 });
  });

  it('keeps missions apart that reuse a design (and so its agent ids)', async () => {
    const { store } = makeStore({
      'missions:get': (req: { id: string }) =>
        ok(
          detail({
            mission: view({ id: req.id }),
            agents: [agent({ missionId: req.id, state: req.id === 'm1' ? 'idle' : 'working' })],
            tasks: [task({ missionId: req.id })],
          }),
        ),
    });
    await store.getState().loadMission('m1');
    await store.getState().loadMission('m2');
    const s = store.getState();
    expect(s.agents[entityKey('m1', 'a1')]?.state).toBe('idle');
    expect(s.agents[entityKey('m2', 'a1')]?.state).toBe('working');
    expect(Object.keys(s.tasks).sort()).toEqual(['m1/k1', 'm2/k1']);
  });
});

describe('launching', () => {
  const filled = { ...emptyLaunchForm('d1'), goal: 'Build a todo app', repoPath: '/repo' };

  it('creates, then starts, and answers the new id', async () => {
    const { store, calls, hashes } = makeStore({
      'missions:create': () => ok(view({ state: 'draft' })),
      'missions:start': () => ok(view({ state: 'planning' })),
    });
    expect(await store.getState().launchMission({ ...filled, budgetUsd: '12.50', allowedCommands: 'npm test\nnpm test, git status' })).toBe('m1');
    expect(calls.map((c) => c.channel)).toEqual(['missions:create', 'missions:start']);
    expect(calls[0]?.request).toEqual({
      designId: 'd1',
      goal: 'Build a todo app',
      repoPath: '/repo',
      baseBranch: 'main',
      budgetUsd: 12.5,
      skipPlanApproval: false,
      allowedCommands: ['npm test', 'git status'],
    });
    expect(store.getState().missions.m1?.state).toBe('planning');
    expect(store.getState().launching).toBe(false);
    // Its page opens at once, and the launch's message survives the move.
    expect(hashes.at(-1)).toBe('#/missions/m1');
    expect(store.getState().missionNotice?.text).toMatch(/^Mission launched/);
    store.getState().navigate({ area: 'agents' });
    expect(store.getState().missionNotice).toBeNull();
  });

  it('puts the engine’s repository errors next to the field they are about', async () => {
    const { store } = makeStore({
      'missions:create': () => fail('invalid_request', 'missions:create: "/tmp/x" is not a git repository (or has no working tree)'),
    });
    expect(await store.getState().launchMission(filled)).toBeNull();
    expect(store.getState().launchErrors).toEqual({ repoPath: '"/tmp/x" is not a git repository (or has no working tree)' });

    const branch = makeStore({
      'missions:create': () =>
        fail('not_found', 'the base branch "develop" does not exist in /repo; its branches are: main'),
    });
    await branch.store.getState().launchMission({ ...filled, baseBranch: 'develop' });
    expect(branch.store.getState().launchErrors.baseBranch).toBe('The base branch "develop" does not exist; its branches are: main');
  });

  it('checks the form before asking the engine', async () => {
    const { store, calls } = makeStore();
    expect(await store.getState().launchMission({ ...emptyLaunchForm(), budgetUsd: '12,5.0x' })).toBeNull();
    expect(Object.keys(store.getState().launchErrors).sort()).toEqual(['budgetUsd', 'designId', 'goal', 'repoPath']);
    expect(calls).toEqual([]);
  });
});

describe('mission actions and decisions', () => {
  it('pauses, shows what it did, and says why when the engine refuses', async () => {
    const { store } = makeStore({
      'missions:get': () => ok(detail()),
      'missions:pause': () => ok(view({ state: 'paused' })),
      'missions:resume': () => fail('conflict', 'missions:resume: mission "Mission one" is running, not paused'),
    });
    await store.getState().loadMission('m1');
    expect(await store.getState().runMissionAction('m1', 'pause')).toBe(true);
    expect(store.getState().missionDetails.m1?.view?.state).toBe('paused');
    expect(store.getState().missionNotice?.tone).toBe('success');
    expect(await store.getState().runMissionAction('m1', 'resume')).toBe(false);
    expect(store.getState().missionNotice).toEqual({
      tone: 'error',
      text: 'Could not resume the mission: Mission "Mission one" is running, not paused',
    });
    expect(store.getState().missionActions).toEqual({});
  });

  it('approves the plan through escalations:decide', async () => {
    const { store, calls } = makeStore({
      'missions:get': () => ok(detail({ escalations: [escalation()] })),
      'escalations:decide': () => ok(escalation({ state: 'resolved', decision: 'approve' })),
    });
    await store.getState().loadMission('m1');
    expect(await store.getState().decideEscalation('e1', 'approve')).toBe(true);
    expect(calls.at(-1)).toEqual({ channel: 'escalations:decide', request: { id: 'e1', decision: 'approve', comment: '' } });
    expect(store.getState().escalations.e1?.state).toBe('resolved');
  });
});

describe('agent events', () => {
  it('replaces agents by mission and id, leaving the record untouched for an empty batch', () => {
    const agents = { [entityKey('m1', 'a1')]: agent() };
    expect(reduceAgentEvents(agents, [])).toBe(agents);
    const next = reduceAgentEvents(agents, [agent({ state: 'working' }), agent({ missionId: 'm2', state: 'killed' })]);
    expect(next[entityKey('m1', 'a1')]?.state).toBe('working');
    expect(next[entityKey('m2', 'a1')]?.state).toBe('killed');
    expect(agents[entityKey('m1', 'a1')]?.state).toBe('idle');
  });

  it('loads a mission it has not seen when its agents show up, for team and task names', async () => {
    const { store, calls, emit } = makeStore({
      'missions:list': () => ok([]),
      // Asked after the events, the engine's answer includes what they described.
      'missions:get': (req: { id: string }) =>
        ok(detail({ mission: view({ id: req.id }), agents: [agent({ missionId: req.id }), agent({ missionId: req.id, id: 'a2' })], tasks: [] })),
    });
    await store.getState().loadAgents();
    emit([event('agents:changed', agent({ missionId: 'm7' })), event('agents:changed', agent({ missionId: 'm7', id: 'a2' }))]);
    await flush();
    await flush();
    expect(calls.filter((c) => c.channel === 'missions:get')).toEqual([{ channel: 'missions:get', request: { id: 'm7' } }]);
    expect(store.getState().missionDetails.m7?.status).toBe('ready');
    expect(selectAgentKeys(store.getState())).toHaveLength(2);
  });

  it('follows the open agent’s transcript from the last entry it holds', async () => {
    let served = 0;
    const { store, calls, emit } = makeStore({
      'missions:get': () => ok(detail()),
      'agents:get-transcript': (req: { afterId: number }) => {
        served++;
        const entry = (id: number) => ({ id, conversation: 'plan:r1', seq: id, kind: 'message', role: 'assistant', content: 'hi', createdAt: '' });
        return ok(req.afterId === 0 ? [entry(1), entry(2)] : [entry(3)]);
      },
    });
    await store.getState().loadMission('m1');
    store.getState().openAgent('m1', 'a1');
    await flush();
    expect(store.getState().agentDetail?.transcript.map((e) => e.id)).toEqual([1, 2]);
    emit([event('agents:changed', agent({ state: 'working' }))]);
    await flush();
    await flush();
    expect(calls.filter((c) => c.channel === 'agents:get-transcript').map((c) => (c.request as { afterId: number }).afterId)).toEqual([0, 2]);
    expect(store.getState().agentDetail?.transcript.map((e) => e.id)).toEqual([1, 2, 3]);
    // Another agent's change does not poll this one's transcript.
    emit([event('agents:changed', agent({ id: 'lead', role: 'leader', state: 'working' }))]);
    await flush();
    expect(served).toBe(2);
  });

  it('kills an agent and says so; kill-idle reports when nothing could be stopped', async () => {
    const { store } = makeStore({
      'missions:get': () => ok(detail()),
      'agents:kill': () => ok(agent({ state: 'killed', stateReason: 'killed by the person' })),
      'agents:kill-idle': () => ok({ killed: [] }),
    });
    await store.getState().loadMission('m1');
    expect(await store.getState().killAgent('m1', 'a1')).toBe(true);
    expect(store.getState().agents[entityKey('m1', 'a1')]?.state).toBe('killed');
    expect(store.getState().agentNotice?.text).toBe('Coder 1 was killed.');
    expect(store.getState().killing).toEqual([]);
    await store.getState().killIdle('m1');
    expect(store.getState().agentNotice?.text).toMatch(/^No idle agent could be stopped/);
  });
});
