import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { zeroTotals } from '../testing/fixtures.js';
import type { ControlRoomApi, EventName, EventPayload } from '../../../src/shared/contract.js';
import type { CostsDashboard } from '../../../src/shared/costs.js';
import type { LimiterState } from '../../../src/shared/limits.js';
import type { Result } from '../../../src/shared/result.js';
import { alwaysOpen } from '../api/connection.js';
import { COSTS_POLL_MS, COSTS_REFRESH_MS, LIMITS_POLL_MS } from './costs-slice.js';
import { createControlRoomStore } from './store.js';

const NOW = Date.UTC(2026, 0, 15, 10, 30, 30);
/** Longer than the limiter throttle's quiet time, so the next event applies at once. */
const LIMITS_APPLY = 1_000;

function dashboard(over: Partial<CostsDashboard> = {}): CostsDashboard {
  const totals = zeroTotals();
  return {
    at: NOW,
    missionId: null,
    windowMinutes: 60,
    totals,
    breakdowns: { agent: [], team: [], model: [], mission: [] },
    series: [],
    seriesTeams: [],
    burnRate: { from: NOW, to: NOW, windowMinutes: 5, costNano: 0, nanoPerMinute: 0 },
    projection: {
      nanoPerMinute: 0,
      minutesToExhaustion: null,
      exhaustionAt: null,
      projectedSpendToEndNano: null,
      exceedsBudget: null,
    },
    projectionBasis: { missionEndAt: null, remainingBudgetNano: null, tasksDone: 0, tasksTotal: 0 },
    latency: { count: 0, p50Ms: null, p95Ms: null, p99Ms: null, meanMs: null, maxMs: null },
    errorRate: { calls: 0, errors: 0, rate: 0 },
    throughput: {
      windowMinutes: 5,
      callsPerMinute: 0,
      inputTokensPerMinute: 0,
      outputTokensPerMinute: 0,
      tokensPerMinute: 0,
    },
    budgets: [],
    alerts: [],
    names: { missions: {}, teams: {}, agents: {} },
    missions: [],
    ...over,
  };
}

const limiterState = (at: number) => ({ at, pools: {}, outputEstimates: {} }) as unknown as LimiterState;

type Handler = (request: never) => Result<unknown>;

function makeStore(handlers: Record<string, Handler> = {}) {
  const calls: { channel: string; request: unknown }[] = [];
  const listeners = new Map<string, ((payload: never) => void)[]>();
  let spent = 0;
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const handler = handlers[channel];
      const fallback: Result<unknown> =
        channel === 'costs:get-dashboard'
          ? {
              ok: true,
              data: dashboard({ totals: { ...dashboard().totals, costTotalNano: (spent += 1_000) } }),
            }
          : channel === 'limits:get-state'
            ? { ok: true, data: limiterState(0) }
            : { ok: true, data: [] };
      return Promise.resolve(handler ? handler(request as never) : fallback) as never;
    },
    on: (event, listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (payload: never) => void]);
      return () => undefined;
    },
  };
  const files: { name: string; text: string; type: string | undefined }[] = [];
  const hashes: string[] = [];
  const store = createControlRoomStore({
    api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => 'id',
    saveFile: (name, text, type) => files.push({ name, text, type }),
    writeHash: (hash) => hashes.push(hash),
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const l of listeners.get(event) ?? []) l(payload as never);
  };
  const count = (channel: string) => calls.filter((c) => c.channel === channel).length;
  return { store, calls, emit, count, files, hashes };
}

const flush = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('costs slice', () => {
  it('loads on open, refreshes on a burst of events at most once a second, and stops when closed', async () => {
    const { store, emit, count } = makeStore();
    store.getState().openCosts();
    await flush();
    expect(store.getState().costsStatus).toBe('ready');
    expect(store.getState().limiterStatus).toBe('ready');
    expect(count('costs:get-dashboard')).toBe(1);

    // First event after a quiet second: at once; the rest of the burst: once, a second later.
    vi.advanceTimersByTime(COSTS_REFRESH_MS);
    for (let i = 0; i < 50; i += 1) emit('costs:changed', { at: NOW, missionId: 'm1' });
    await flush();
    expect(count('costs:get-dashboard')).toBe(2);
    vi.advanceTimersByTime(COSTS_REFRESH_MS);
    await flush();
    expect(count('costs:get-dashboard')).toBe(3);
    expect(store.getState().costs?.totals.costTotalNano).toBe(3_000);

    // The window slides without events too.
    vi.advanceTimersByTime(COSTS_POLL_MS);
    await flush();
    expect(count('costs:get-dashboard')).toBe(4);

    store.getState().closeCosts();
    emit('costs:changed', { at: NOW, missionId: 'm1' });
    vi.advanceTimersByTime(COSTS_POLL_MS * 2);
    await flush();
    expect(count('costs:get-dashboard')).toBe(4);
  });

  it('filters by mission: drops the old snapshot, asks for the mission, ignores other missions’ events', async () => {
    const { store, emit, calls, count } = makeStore();
    store.getState().openCosts();
    await flush();
    store.getState().setCostsMission('m2');
    expect(store.getState().costs).toBeNull();
    await flush();
    expect(calls.at(-1)?.request).toEqual({ windowMinutes: 60, missionId: 'm2' });
    vi.advanceTimersByTime(COSTS_REFRESH_MS);
    const before = count('costs:get-dashboard');
    emit('costs:changed', { at: NOW, missionId: 'm1' });
    await flush();
    expect(count('costs:get-dashboard')).toBe(before);
    emit('costs:changed', { at: NOW, missionId: 'm2' });
    await flush();
    expect(count('costs:get-dashboard')).toBe(before + 1);
    store.getState().setCostsWindow(15);
    await flush();
    expect(calls.at(-1)?.request).toEqual({ windowMinutes: 15, missionId: 'm2' });
    store.getState().closeCosts();
  });

  it('keeps the last snapshot when a refresh fails, and says so', async () => {
    let fail = false;
    const { store } = makeStore({
      'costs:get-dashboard': () =>
        fail
          ? { ok: false, error: { code: 'database_error', message: 'disk I/O error' } }
          : { ok: true, data: dashboard() },
    });
    store.getState().openCosts();
    await flush();
    fail = true;
    await store.getState().loadCosts();
    expect(store.getState().costs).not.toBeNull();
    expect(store.getState().costsStatus).toBe('ready');
    expect(store.getState().costsError).toBe('disk I/O error');
    store.getState().closeCosts();
  });

  it('applies limiter snapshots from events, throttled, and resumes a pool', async () => {
    const { store, emit, calls } = makeStore({
      'limits:resume-pool': () => ({ ok: true, data: limiterState(99) }),
    });
    store.getState().openCosts();
    await flush();
    vi.advanceTimersByTime(1_000);
    emit('limits:changed', limiterState(1));
    emit('limits:changed', limiterState(2));
    expect(store.getState().limiter?.at).toBe(1);
    vi.advanceTimersByTime(500);
    expect(store.getState().limiter?.at).toBe(2);

    expect(await store.getState().resumePool('opus')).toBe(true);
    expect(calls.find((c) => c.channel === 'limits:resume-pool')?.request).toEqual({ pool: 'opus' });
    expect(store.getState().limiter?.at).toBe(99);
    expect(store.getState().costsNotice?.tone).toBe('success');
    store.getState().closeCosts();
  });

  it("reads the limiter again while open, so a quiet pool's last minute falls, and never goes back in time", async () => {
    let at = 10;
    const { store, emit, count } = makeStore({ 'limits:get-state': () => ({ ok: true, data: limiterState(at) }) });
    store.getState().openCosts();
    await flush();
    expect(store.getState().limiter?.at).toBe(10);
    at = 20;
    vi.advanceTimersByTime(LIMITS_POLL_MS);
    await flush();
    expect(store.getState().limiter?.at).toBe(20);
    // An event newer than the next read wins over it.
    vi.advanceTimersByTime(LIMITS_APPLY);
    emit('limits:changed', limiterState(50));
    at = 30;
    vi.advanceTimersByTime(LIMITS_POLL_MS - LIMITS_APPLY);
    await flush();
    expect(store.getState().limiter?.at).toBe(50);
    const reads = count('limits:get-state');
    store.getState().closeCosts();
    vi.advanceTimersByTime(LIMITS_POLL_MS * 3);
    await flush();
    expect(count('limits:get-state')).toBe(reads);
  });

  it('exports the rows behind the view as a CSV download', async () => {
    const { store, calls, files } = makeStore({
      'costs:export-calls': () => ({
        ok: true,
        data: { fileName: 'calls-m1-20260115-1030.csv', csv: 'id\r\n1\r\n', rows: 1, truncated: true },
      }),
    });
    store.getState().openCosts();
    await flush();
    store.getState().setCostsMission('m1');
    await flush();
    expect(await store.getState().exportCalls()).toBe(true);
    expect(calls.find((c) => c.channel === 'costs:export-calls')?.request).toEqual({
      missionId: 'm1',
      from: Date.UTC(2026, 0, 15, 9, 31),
    });
    expect(files).toEqual([{ name: 'calls-m1-20260115-1030.csv', text: 'id\r\n1\r\n', type: 'text/csv' }]);
    expect(store.getState().costsNotice?.text).toContain('Older calls were left out');
    store.getState().closeCosts();
  });

  it('follows an alert to its mission or agent', () => {
    const { store, hashes } = makeStore({
      // The missions area loads what it opens; this test only follows the link.
      'missions:get': () => ({ ok: false, error: { code: 'not_found', message: 'no such mission' } }),
    });
    store.getState().followCostCause({ kind: 'mission', missionId: 'm1', label: '' });
    expect(hashes.at(-1)).toBe('#/missions/m1');
    store.getState().followCostCause({ kind: 'agent', missionId: 'm1', agentId: 'a1', label: '' });
    expect(hashes.at(-1)).toBe('#/agents');
    expect(store.getState().agentQuery.missionId).toBe('m1');
  });
});
