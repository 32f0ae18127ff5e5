import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ControlRoomApi, EventName } from '../../../src/shared/contract.js';
import type { MissionTeamStatus } from '../../../src/shared/team-status.js';
import { alwaysOpen } from '../api/connection.js';
import { createControlRoomStore } from './store.js';
import { TEAM_STATUS_REFRESH_MS } from './team-status-slice.js';

/** A fake engine that counts `missions:get-team-status` and `costs:by-task` asks; other channels answer empty lists. */
function setup(fail?: string) {
  const asked: { channel: string; missionId: string }[] = [];
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      const missionId = (request as { missionId?: string }).missionId ?? '';
      if (channel === 'missions:get-team-status' || channel === 'costs:by-task') {
        asked.push({ channel, missionId });
        if (fail) return Promise.resolve({ ok: false, error: { code: 'not_found', message: fail } }) as never;
        const data =
          channel === 'costs:by-task'
            ? { missionId, rows: [], unattributed: { calls: asked.length, inputTokens: 0, outputTokens: 0, costNanoUsd: 0 } }
            : ({ missionId, at: new Date(asked.length * 1_000).toISOString(), teams: [] } satisfies MissionTeamStatus);
        return Promise.resolve({ ok: true, data }) as never;
      }
      return Promise.resolve({ ok: true, data: [] }) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: unknown) => void]);
      return () => undefined;
    },
  };
  const emit = (name: EventName, payload: unknown) => {
    for (const l of listeners.get(name) ?? []) l(payload);
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
  const count = (channel: string, missionId: string) => asked.filter((a) => a.channel === channel && a.missionId === missionId).length;
  return { store, emit, count };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the team status slice', () => {
  it("measures a watched mission, again on its events (coalesced), and not once nobody watches", async () => {
    const { store, emit, count } = setup();
    const stop = store.getState().watchTeamStatus('m1');
    await vi.advanceTimersByTimeAsync(0);
    expect(count('missions:get-team-status', 'm1')).toBe(1);
    expect(store.getState().teamStatus.m1?.status).toBe('ready');

    // Another mission's events ask nothing.
    emit('tasks:changed', { missionId: 'm2', id: 't' });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('missions:get-team-status', 'm2')).toBe(0);

    // A burst of this mission's events costs one fetch now and one at the end of the wait.
    emit('tasks:changed', { missionId: 'm1', id: 't1' });
    emit('escalations:changed', { missionId: 'm1', id: 'e1' });
    emit('missions:team-changed', { missionId: 'm1', id: 'core' });
    emit('costs:changed', { missionId: 'm1', at: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(count('missions:get-team-status', 'm1')).toBe(2);
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('missions:get-team-status', 'm1')).toBe(3);

    // Two views watch; the first leaving keeps it followed, the last one stops it.
    const second = store.getState().watchTeamStatus('m1');
    stop();
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    emit('missions:changed', { id: 'm1' });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('missions:get-team-status', 'm1')).toBe(4);
    second();
    emit('missions:changed', { id: 'm1' });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS * 2);
    expect(count('missions:get-team-status', 'm1')).toBe(4);
  });

  it('measures again when an escalation of the mission changes, through the escalations slice', async () => {
    const { store, emit, count } = setup();
    store.getState().watchTeamStatus('m1');
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('missions:get-team-status', 'm1')).toBe(1);
    emit('escalations:changed', {
      id: 'e1',
      missionId: 'm1',
      teamId: 'core',
      agentId: 'core-c1',
      taskId: null,
      type: 'question',
      level: 'human',
      state: 'open',
      title: 'Which runner?',
      detail: '',
      payload: {},
      decision: null,
      comment: null,
      alwaysAllow: false,
      decidedBy: null,
      timeoutAt: null,
      createdAt: '2026-01-15T10:00:00.000Z',
      decidedAt: null,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(count('missions:get-team-status', 'm1')).toBe(2);
  });

  it("shows the engine's message when the mission cannot be measured", async () => {
    const { store } = setup('no mission "m9"');
    store.getState().watchTeamStatus('m9');
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().teamStatus.m9).toMatchObject({ status: 'error', error: 'No mission "m9"', data: null });
  });

  it("reads the shown mission's spend per task, again on its cost events only", async () => {
    const { store, emit, count } = setup();
    store.getState().showTaskSpend('m1');
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().taskSpend.m1?.status).toBe('ready');
    emit('costs:changed', { missionId: 'm2', at: 1 });
    emit('tasks:changed', { missionId: 'm1', id: 't1' });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('costs:by-task', 'm1')).toBe(1);
    emit('costs:changed', { missionId: 'm1', at: 2 });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('costs:by-task', 'm1')).toBe(2);
    store.getState().showTaskSpend(null);
    emit('costs:changed', { missionId: 'm1', at: 3 });
    await vi.advanceTimersByTimeAsync(TEAM_STATUS_REFRESH_MS);
    expect(count('costs:by-task', 'm1')).toBe(2);
  });
});
