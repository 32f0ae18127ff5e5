import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { MissionView } from '../../../src/shared/mission.js';
import type { Result } from '../../../src/shared/result.js';
import type { TeamDesign } from '../../../src/shared/team.js';
import { alwaysOpen } from '../api/connection.js';
import { emptyLaunchForm } from '../domain/launch-form.js';
import { createControlRoomStore } from './store.js';

type Answer = (request: { id?: string }) => Promise<Result<unknown>>;

/** A store over a fake engine that answers each channel with `answers` and records the requests. */
function makeStore(answers: Record<string, Answer>) {
  const calls: { channel: string; request: unknown }[] = [];
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const answer = answers[channel];
      return (answer ? answer(request as { id?: string }) : Promise.resolve({ ok: true, data: [] })) as never;
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
  return { store, calls };
}

function design(id: string, focus: string): TeamDesign {
  return {
    id,
    name: `Design ${id}`,
    description: '',
    revision: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    teams: [
      { id: 'infra', name: 'Infra', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [], brief: { focus, owns: [] } },
      { id: 'web', name: 'Web', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [], brief: { focus: 'The pages', owns: [] }, after: ['infra'] },
    ],
  } as TeamDesign;
}

const ok = <T,>(data: T): Promise<Result<T>> => Promise.resolve({ ok: true, data });

describe('loading the design chosen for launch', () => {
  it('loads the whole design through teams:get, and a later choice wins over an earlier slow answer', async () => {
    let releaseSlow: (() => void) | undefined;
    const { store, calls } = makeStore({
      'teams:get': ({ id }) =>
        id === 'slow'
          ? new Promise((resolve) => (releaseSlow = () => resolve({ ok: true, data: design('slow', 'Old') })))
          : ok(design(id!, 'Schema and config')),
    });
    const first = store.getState().loadLaunchDesign('slow');
    expect(store.getState().launchDesign).toMatchObject({ id: 'slow', status: 'loading' });
    await store.getState().loadLaunchDesign('d2');
    releaseSlow!();
    await first;
    expect(calls.filter((c) => c.channel === 'teams:get').map((c) => c.request)).toEqual([{ id: 'slow' }, { id: 'd2' }]);
    expect(store.getState().launchDesign).toMatchObject({ id: 'd2', status: 'ready', error: null });
    expect(store.getState().launchDesign?.design?.teams.map((t) => t.brief?.focus)).toEqual(['Schema and config', 'The pages']);
  });

  it("says why when the design cannot be loaded, in the engine's words", async () => {
    const { store } = makeStore({
      'teams:get': () => Promise.resolve({ ok: false, error: { code: 'not_found', message: 'no team design with id "gone"' } }),
    });
    await store.getState().loadLaunchDesign('gone');
    expect(store.getState().launchDesign).toMatchObject({ id: 'gone', status: 'error', design: null });
    expect(store.getState().launchDesign?.error).toBe('No team design with id "gone"');
  });

  it("launches with only the shares changed from the loaded design's briefs", async () => {
    const view = { id: 'm1', state: 'draft' } as MissionView;
    const { store, calls } = makeStore({
      'teams:get': ({ id }) => ok(design(id!, 'Schema and config')),
      'missions:create': () => ok(view),
      'missions:start': () => ok({ ...view, state: 'planning' }),
    });
    await store.getState().loadLaunchDesign('d1');
    const form = {
      ...emptyLaunchForm('d1'),
      goal: 'Build a todo service',
      repoPath: '/repo',
      shares: { infra: 'Schema and config', web: 'Only the list page' },
    };
    expect(await store.getState().launchMission(form)).toBe('m1');
    const create = calls.find((c) => c.channel === 'missions:create');
    expect(create?.request).toMatchObject({ designId: 'd1', teamShares: { web: 'Only the list page' } });
  });
});
