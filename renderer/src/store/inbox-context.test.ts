import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { MissionDetail, MissionSummary } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { escalationView } from '../testing/fixtures.js';
import { createControlRoomStore } from './store.js';

const draft = escalationView({ id: 'e-brief', type: 'mission_brief', teamId: null, agentId: null, title: "The director's draft of each team's share" });
const detail = {
  mission: { id: 'm1', name: 'Todo' } as MissionSummary,
  teams: [{ id: 't-core', name: 'Core' }],
  agents: [],
  tasks: [],
  escalations: [draft],
} as unknown as MissionDetail;

describe("the Inbox's context for an item first loaded by its mission's page", () => {
  it('is loaded when the item is selected, so its teams show by name', async () => {
    const calls: string[] = [];
    const api: ControlRoomApi = {
      invoke: (channel) => {
        calls.push(channel);
        const data: unknown = channel === 'missions:get' ? detail : channel === 'escalations:list' || channel === 'missions:list' ? [] : [];
        return Promise.resolve({ ok: true, data } as Result<unknown>) as never;
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
    // The inbox loaded at start, empty; then the mission's page brought the director's draft in.
    await store.getState().loadInbox();
    await store.getState().loadMission('m1');
    expect(store.getState().escalations['e-brief']).toBeDefined();
    expect(store.getState().inboxContext.m1).toBeUndefined();

    store.getState().selectInboxItem('e-brief');
    await Promise.resolve();
    await Promise.resolve();
    expect(store.getState().inboxContext.m1?.teams.map((t) => t.name)).toEqual(['Core']);
  });
});
