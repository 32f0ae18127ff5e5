import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { ChangeReview } from '../../../src/shared/review.js';
import { alwaysOpen } from '../api/connection.js';
import { changeReviewKey } from './reviews-slice.js';
import { createControlRoomStore } from './store.js';

const review = (over: Partial<ChangeReview> = {}): ChangeReview => ({
  missionId: 'm1',
  scope: 'final-merge',
  title: 'Mission "Todo" into main',
  teamId: null,
  taskId: null,
  baseRef: 'main',
  headRef: 'cr/todo/@mission',
  base: 'a'.repeat(40),
  head: 'b'.repeat(40),
  files: [
    {
      path: 'src/a.js',
      status: 'added',
      additions: 1,
      deletions: 0,
      patch: 'diff --git a/src/a.js b/src/a.js\n',
      truncated: false,
    },
  ],
  additions: 1,
  deletions: 0,
  truncated: false,
  commits: [],
  tests: [],
  verdicts: [],
  costNanoUsd: 1_000,
  calls: 1,
  ...over,
});

function makeStore(answer: (request: unknown) => Promise<unknown>) {
  const calls: unknown[] = [];
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      return answer(request) as never;
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

describe('reviews slice', () => {
  it('keeps each review under its request, and one fetch at a time per request', async () => {
    let release: (value: unknown) => void = () => undefined;
    const { store, calls } = makeStore(() => new Promise((resolve) => (release = resolve)));
    const request = { escalationId: 'e1' };
    const first = store.getState().loadChangeReview(request);
    const second = store.getState().loadChangeReview({ escalationId: 'e1' });
    expect(store.getState().changeReviews['esc:e1']).toMatchObject({ status: 'loading', review: null });
    release({ ok: true, data: review() });
    await Promise.all([first, second]);
    expect(calls).toEqual([{ channel: 'reviews:get-change', request }]);
    expect(store.getState().changeReviews['esc:e1']).toMatchObject({
      status: 'ready',
      error: null,
      review: { costNanoUsd: 1_000 },
    });
    expect(changeReviewKey({ missionId: 'm1', teamId: 'core' })).not.toBe(
      changeReviewKey({ missionId: 'm1', taskId: 'core' }),
    );
  });

  it('shows the engine’s error as one plain line, keeping the last review', async () => {
    let fail = false;
    const { store } = makeStore(() =>
      Promise.resolve(
        fail
          ? { ok: false, error: { code: 'not_found', message: 'no escalation "e1"' } }
          : { ok: true, data: review() },
      ),
    );
    await store.getState().loadChangeReview({ escalationId: 'e1' });
    fail = true;
    await store.getState().loadChangeReview({ escalationId: 'e1' });
    expect(store.getState().changeReviews['esc:e1']).toMatchObject({
      status: 'error',
      error: 'No escalation "e1"',
      review: { title: 'Mission "Todo" into main' },
    });
  });
});
