import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { ProjectMemoryInfo } from '../../../src/shared/project-memory.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { createControlRoomStore } from './store.js';

type Answer = (request: Record<string, unknown>) => Promise<Result<unknown>>;

function makeStore(answers: Record<string, Answer>) {
  const calls: { channel: string; request: unknown }[] = [];
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const answer = answers[channel];
      return (answer ? answer(request as Record<string, unknown>) : Promise.resolve({ ok: true, data: [] })) as never;
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

const info = (path: string, lines: number): ProjectMemoryInfo => ({ path, lines, chars: lines * 10, tokens: lines * 3 });

describe('the ledger insights slice', () => {
  it('keeps the answer for the path typed last, not a slower one typed before', async () => {
    const release: Record<string, () => void> = {};
    const { store } = makeStore({
      'missions:check-project-memory': ({ repoPath }) =>
        new Promise((resolve) => {
          release[String(repoPath)] = () => resolve({ ok: true, data: info(`${String(repoPath)}/CLAUDE.md`, repoPath === '/a' ? 900 : 12) });
        }),
    });
    const first = store.getState().checkProjectMemory('/a');
    const second = store.getState().checkProjectMemory(' /ab ');
    release['/ab']!();
    await second;
    release['/a']!();
    await first;
    expect(store.getState().projectMemory).toEqual({ repoPath: '/ab', status: 'ready', error: null, data: info('/ab/CLAUDE.md', 12) });
    await store.getState().checkProjectMemory('  ');
    expect(store.getState().projectMemory).toBeNull();
  });

  it('keeps the figures it holds when a refetch fails, and asks for one mission or all', async () => {
    let fail = false;
    const { store, calls } = makeStore({
      'costs:by-role': () => Promise.resolve(fail ? { ok: false, error: { code: 'database_error', message: 'locked' } } : { ok: true, data: [{ role: 'coder' }] }),
    });
    await store.getState().loadRoleCosts(null);
    fail = true;
    await store.getState().loadRoleCosts(null);
    expect(store.getState().roleCosts['']).toEqual({ status: 'ready', error: 'Locked', data: [{ role: 'coder' }] });
    await store.getState().loadRoleCosts('m1');
    expect(store.getState().roleCosts.m1).toMatchObject({ status: 'error', error: 'Locked', data: null });
    expect(calls.filter((c) => c.channel === 'costs:by-role').map((c) => c.request)).toEqual([{}, {}, { missionId: 'm1' }]);
  });
});
