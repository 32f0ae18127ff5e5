import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { PullRequestOptionsView, PullRequestView } from '../../../src/shared/pull-request.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { createControlRoomStore } from './store.js';

const OPTIONS: PullRequestOptionsView = {
  allowed: true,
  reason: null,
  remotes: [{ name: 'origin', url: 'https://github.com/acme/widgets.git', github: 'acme/widgets' }],
  via: 'api',
  viaProblem: null,
  pullRequests: [],
};
const PR: PullRequestView = {
  missionId: 'm1',
  remote: 'origin',
  branch: 'cr/m1/@mission',
  base: 'main',
  url: 'https://github.com/acme/widgets/pull/1',
  number: 1,
  via: 'api',
  draft: false,
  createdAt: '2026-12-07T14:00:00.000Z',
};

function makeStore(open: () => Result<PullRequestView>) {
  const calls: { channel: string; request: unknown }[] = [];
  let opened = false;
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      if (channel === 'missions:open-pull-request') {
        const answer = open();
        opened = answer.ok;
        return Promise.resolve(answer) as never;
      }
      if (channel === 'missions:pull-request-options') {
        return Promise.resolve({ ok: true, data: opened ? { ...OPTIONS, allowed: false, pullRequests: [PR] } : OPTIONS }) as never;
      }
      return Promise.resolve({ ok: true, data: [] }) as never;
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

describe('pull requests slice', () => {
  it('loads the options, opens one with the form values, and shows it once the engine answers', async () => {
    const { store, calls } = makeStore(() => ({ ok: true, data: PR }));
    await store.getState().loadPullRequestOptions('m1');
    expect(store.getState().pullRequests.m1).toMatchObject({ status: 'ready', options: OPTIONS, opening: false });
    const answer = await store.getState().openPullRequest('m1', { remote: 'origin', draft: true });
    expect(answer).toEqual(PR);
    expect(calls.find((c) => c.channel === 'missions:open-pull-request')?.request).toEqual({ missionId: 'm1', remote: 'origin', draft: true });
    expect(store.getState().pullRequests.m1?.options?.pullRequests).toEqual([PR]);
    expect(store.getState().pullRequests.m1?.openError).toBeNull();
  });

  it("keeps the engine's one-line error and the form as it was when opening fails", async () => {
    const { store } = makeStore(() => ({ ok: false, error: { code: 'forbidden', message: 'GitHub refused the token (401: Bad credentials): set a valid one under Settings > GitHub' } }));
    await store.getState().loadPullRequestOptions('m1');
    expect(await store.getState().openPullRequest('m1', { remote: 'origin', draft: false })).toBeNull();
    expect(store.getState().pullRequests.m1).toMatchObject({
      opening: false,
      openError: 'GitHub refused the token (401: Bad credentials): set a valid one under Settings > GitHub',
      options: OPTIONS,
    });
  });
});
