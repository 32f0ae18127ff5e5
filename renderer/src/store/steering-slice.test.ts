import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { MissionTeamView } from '../../../src/shared/mission.js';
import { alwaysOpen } from '../api/connection.js';
import { agentView } from '../testing/fixtures.js';
import { createControlRoomStore } from './store.js';

const team = (over: Partial<MissionTeamView> = {}): MissionTeamView => ({
  id: 'core',
  name: 'Core',
  budgetNanoUsd: null,
  planState: 'submitted',
  planSummary: null,
  phase: 1,
  after: [],
  phaseState: 'active',
  share: null,
  priorityWeight: 1,
  paused: false,
  startCommit: null,
  mergedCommit: null,
  delivery: null,
  ...over,
});

/** A store over an engine that answers each command with `answers[channel]` (a function of the request). */
function makeStore(answers: Record<string, (request: Record<string, unknown>) => unknown>) {
  const calls: { channel: string; request: Record<string, unknown> }[] = [];
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request: request as Record<string, unknown> });
      const answer = answers[channel];
      return Promise.resolve(answer ? answer(request as Record<string, unknown>) : { ok: true, data: [] }) as never;
    },
    on: () => () => undefined,
  };
  const store = createControlRoomStore({
    api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: () => undefined,
    writeHash: () => undefined,
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  store.setState({ missionDetails: { m1: { status: 'ready', error: null, view: null, teams: [team()] } } });
  return { store, calls };
}

describe('steering slice', () => {
  it("sends a message to a team's leader and lists it as waiting", async () => {
    const { store, calls } = makeStore({
      'missions:message-leader': (r) => ({
        ok: true,
        data: { id: 1, missionId: r.missionId, teamId: r.teamId, agentId: 'core-lead', text: r.text, createdAt: '2026-01-01T00:00:00.000Z', deliveredAt: null },
      }),
    });
    expect(await store.getState().messageLeader('m1', 'core', 'Use SQLite')).toBe(true);
    expect(calls).toEqual([{ channel: 'missions:message-leader', request: { missionId: 'm1', teamId: 'core', text: 'Use SQLite' } }]);
    expect(store.getState().steeringMessages.m1).toMatchObject([{ text: 'Use SQLite', deliveredAt: null }]);
    expect(store.getState().steeringNotice.m1?.tone).toBe('success');
  });

  it("puts a team's new priority and pause on the mission's page", async () => {
    const { store } = makeStore({
      'missions:set-team-priority': (r) => ({ ok: true, data: team({ priorityWeight: r.weight as number }) }),
      'missions:pause-team': () => ({ ok: true, data: team({ paused: true }) }),
    });
    await store.getState().setTeamPriority('m1', 'core', 2);
    expect(store.getState().missionDetails.m1?.teams[0]?.priorityWeight).toBe(2);
    expect(store.getState().steeringNotice.m1?.text).toBe("Team Core's priority is now High (×2).");
    await store.getState().setTeamPaused('m1', 'core', true);
    expect(store.getState().missionDetails.m1?.teams[0]?.paused).toBe(true);
  });

  it("shows the engine's refusal to remove a coder that holds a task, and changes nothing", async () => {
    const { store } = makeStore({
      'missions:remove-coder': () => ({ ok: false, error: { code: 'conflict', message: 'Coder 1 holds the task “Parser” (in progress); remove it once that task is merged, or kill it to hand the task back' } }),
    });
    const coder = agentView({ missionId: 'm1', id: 'core-c1', name: 'Coder 1', state: 'working', currentTaskId: 't1' });
    store.setState({ agents: { 'm1/core-c1': coder } });
    expect(await store.getState().removeCoder('m1', 'core-c1')).toBe(false);
    expect(store.getState().steeringNotice.m1).toMatchObject({ tone: 'error', text: expect.stringContaining('Could not remove Coder 1: Coder 1 holds the task') });
    expect(store.getState().agents['m1/core-c1']).toEqual(coder);
    expect(store.getState().steeringBusy).toEqual({});
  });
});
