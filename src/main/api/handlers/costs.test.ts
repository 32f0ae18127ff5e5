import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands, type CommandName, type CommandResponse } from '../../../shared/contract.js';
import type { LimiterState, PoolState } from '../../../shared/limits.js';
import { CallsRepository, type CallRecord } from '../../ledger/calls-repository.js';
import { defaultPricer } from '../../ledger/pricing.js';
import { scopedId } from '../../ledger/budgets.js';
import { TeamRepository } from '../../ledger/team-repository.js';
import { RateLimiter } from '../../limiter/index.js';
import type { ModelProvider } from '../../llm/provider.js';
import { openBackend } from '../../app/backend.js';
import { createHarness, saveDesign, type Harness } from '../../engine/testing/harness.js';
import { dispatch, type Handlers } from '../dispatch.js';
import { EventHub } from '../event-hub.js';
import { costsChangedNotifier, costsHandlers, exportFileName, forwardLimiterState } from './costs.js';

const M = 60_000;
/** 10:30:30 UTC: half a minute into the minute in progress. */
const NOW = Date.UTC(2026, 0, 15, 10, 30, 30);
const NANO = 1_000_000_000;

let h: Harness;
let calls: CallsRepository;
let missionId: string;
let limiter: LimiterFake;
let reserved: Map<string, number>;
let handlers: Handlers;

/** Enough of the limiter for the handlers; pools can be stopped by a test. */
class LimiterFake {
  resumed: string[] = [];
  state: LimiterState = {
    at: NOW,
    pools: { opus: pool('opus'), sonnet: pool('sonnet'), haiku: pool('haiku') },
    outputEstimates: {},
  };
  getState(): LimiterState {
    return structuredClone(this.state);
  }
  resumePool(name: 'opus' | 'sonnet' | 'haiku'): void {
    this.resumed.push(name);
    this.state.pools[name].stopped = null;
  }
}

function pool(name: PoolState['pool']): PoolState {
  const bucket = {
    limit: 1_000,
    limitSource: 'configured' as const,
    effectiveLimit: 1_000,
    capacity: 1_000,
    level: 800,
    utilization: 0.2,
    usedLastMinute: 200,
    refillPerMs: 1_000 / M,
    serverRemaining: null,
    serverResetAt: null,
  };
  return {
    pool: name,
    buckets: { requests: { ...bucket }, input: { ...bucket }, output: { ...bucket } },
    rateFactor: 1,
    queueDepth: 0,
    waiting: { queued: 0, parked: 0, retrying: 0 },
    inFlight: 0,
    pausedUntil: null,
    breaker: { state: 'closed', consecutiveFailures: 0, openUntil: null },
    stopped: null,
  };
}

let seq = 0;
function call(endedAt: number, r: Partial<CallRecord>): CallRecord {
  seq += 1;
  return {
    requestId: `r${seq}`,
    modelRequested: 'claude-sonnet-4-6',
    status: 'ok',
    startedAt: endedAt - 2_000,
    endedAt,
    missionId,
    ...r,
  };
}

async function invoke<K extends CommandName>(channel: K, request: unknown): Promise<CommandResponse<K>> {
  const result = await dispatch(handlers, channel, request, (_, error) => {
    throw error;
  });
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.data as CommandResponse<K>;
}

beforeEach(() => {
  h = createHarness({} as ModelProvider);
  const design = saveDesign(h.ledger, [
    { id: 'alpha', coders: 2 },
    { id: 'beta', coders: 1 },
  ]);
  // Caps: the mission $1, team alpha $0.50, agent alpha-c1 $0.10.
  const teams = design.teams.map((t) =>
    t.id === 'alpha'
      ? {
          ...t,
          name: 'Alpha squad',
          budgetNanoUsd: NANO / 2,
          agents: t.agents.map((a) =>
            a.id === 'alpha-c1' ? { ...a, name: 'Ada', budgetNanoUsd: NANO / 10 } : a,
          ),
        }
      : t,
  );
  new TeamRepository(h.ledger.db).save({
    id: design.id,
    name: design.name,
    description: design.description,
    canvas: design.canvas,
    teams,
  });
  const mission = h.engine.create({
    designId: design.id,
    goal: 'Add a changelog',
    name: 'Changelog',
    repoPath: h.repo,
    baseBranch: 'main',
    budgetNanoUsd: NANO,
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  missionId = mission.id;
  calls = new CallsRepository(h.ledger.db, defaultPricer());
  limiter = new LimiterFake();
  reserved = new Map();
  handlers = {
    ...({} as Handlers),
    ...costsHandlers({
      db: h.ledger.db,
      limiter,
      budgets: { reservedNano: (scope, id) => reserved.get(`${scope}:${id}`) ?? 0 },
      now: () => NOW,
      maxExportRows: 3,
    }),
  };
});

afterEach(() => h.cleanup());

describe('costs:get-dashboard', () => {
  it('answers an empty, well-formed dashboard before any call', async () => {
    const d = await invoke('costs:get-dashboard', {});
    expect(d.totals.calls).toBe(0);
    expect(d.windowMinutes).toBe(60);
    expect(d.series).toHaveLength(60);
    expect(d.series.at(-1)?.minute).toBe(Date.UTC(2026, 0, 15, 10, 30));
    expect(d.seriesTeams).toEqual([]);
    expect(d.burnRate.nanoPerMinute).toBe(0);
    expect(d.latency.count).toBe(0);
    expect(d.alerts).toEqual([]);
    expect(d.missions.map((m) => m.id)).toEqual([missionId]);
    // A draft mission is not active: no caps listed until it is chosen.
    expect(d.budgets).toEqual([]);
  });

  it('totals, breaks down, stacks by team and names what it shows', async () => {
    calls.insertMany([
      call(NOW - 20 * M, {
        teamId: 'alpha',
        agentId: 'alpha-lead',
        modelRequested: 'claude-opus-4-8',
        usage: { inputTokens: 10_000, outputTokens: 1_000 },
      }),
      call(NOW - 2 * M, {
        teamId: 'alpha',
        agentId: 'alpha-c1',
        usage: {
          inputTokens: 20_000,
          outputTokens: 2_000,
          cacheReadTokens: 50_000,
          cacheCreation5mTokens: 4_000,
        },
      }),
      call(NOW - 10_000, {
        teamId: 'beta',
        agentId: 'beta-c1',
        modelRequested: 'claude-haiku-4-5',
        usage: { inputTokens: 5_000, outputTokens: 500 },
      }),
      call(NOW - 5_000, { teamId: 'beta', agentId: 'beta-c1', status: 'error', httpStatus: 500 }),
      // Outside any mission: background work.
      call(NOW - 5_000, {
        missionId: null,
        modelRequested: 'claude-haiku-4-5',
        usage: { inputTokens: 1_000, outputTokens: 10 },
      }),
    ]);
    const all = await invoke('costs:get-dashboard', { windowMinutes: 30 });
    expect(all.totals.calls).toBe(5);
    expect(all.series).toHaveLength(30);
    const byModel = Object.fromEntries(all.breakdowns.model.map((r) => [r.key, r]));
    expect(byModel['claude-sonnet-4-6']).toMatchObject({
      cacheReadTokens: 50_000,
      cacheCreation5mTokens: 4_000,
    });
    expect(byModel['claude-sonnet-4-6']!.costCacheReadNano).toBeGreaterThan(0);
    expect(all.breakdowns.mission.map((r) => r.key).sort()).toEqual([missionId, null].sort());
    expect(all.names.missions[missionId]).toBe('Changelog');
    expect(all.names.teams[`${missionId}/alpha`]).toBe('Alpha squad');
    expect(all.names.agents[`${missionId}/alpha-c1`]).toMatchObject({ name: 'Ada', teamKey: `${missionId}/alpha`, role: 'coder' });

    // Stacked series: every minute's bands add up to its total.
    for (const p of all.series) {
      expect(Object.values(p.byTeam).reduce((a, b) => a + b, 0)).toBe(p.totalNano);
    }
    expect(all.seriesTeams).toEqual(expect.arrayContaining([`${missionId}/alpha`, `${missionId}/beta`, '(none)']));
    const last = all.series.at(-1)!;
    expect(last.calls).toBe(3);
    expect(last.byTeam[`${missionId}/beta`]).toBeGreaterThan(0);

    // Filtered: only the mission, and its totals are the sum of its agents.
    const one = await invoke('costs:get-dashboard', { missionId, windowMinutes: 30 });
    expect(one.totals.calls).toBe(4);
    expect(one.breakdowns.agent.reduce((s, r) => s + r.costTotalNano, 0)).toBe(one.totals.costTotalNano);
    expect(one.seriesTeams).not.toContain('(none)');
    expect(one.errorRate).toMatchObject({ calls: 4, errors: 1 });
    expect(one.latency.count).toBe(3);
  });

  it('keeps two missions of one design apart, and says the mission where team names repeat', async () => {
    // A second mission of the same design: its teams and agents have the same ids and names.
    const design = h.engine.get(missionId).mission.designId;
    const second = h.engine.create({
      designId: design,
      goal: 'Add a readme',
      name: 'Readme',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: true,
      allowedCommands: [],
      copyFiles: [],
    }).id;
    calls.insertMany([
      call(NOW - 2 * M, { teamId: 'alpha', agentId: 'alpha-c1', usage: { inputTokens: 1_000 } }),
      call(NOW - M, { missionId: second, teamId: 'alpha', agentId: 'alpha-c1', usage: { inputTokens: 3_000 } }),
      call(NOW - M, { missionId: second, teamId: 'beta', agentId: 'beta-c1', usage: { inputTokens: 2_000 } }),
    ]);
    const d = await invoke('costs:get-dashboard', { windowMinutes: 30 });
    expect(d.breakdowns.team.map((r) => r.key).sort()).toEqual(
      [`${missionId}/alpha`, `${second}/alpha`, `${second}/beta`].sort(),
    );
    const legend = d.seriesTeams.map((k) => d.names.teams[k]);
    expect(legend).toEqual(expect.arrayContaining(['Alpha squad · Changelog', 'Alpha squad · Readme', 'beta']));
    expect(new Set(legend).size).toBe(legend.length);
    expect(d.names.agents[`${second}/alpha-c1`]).toMatchObject({ name: 'Ada · Readme', teamKey: `${second}/alpha` });
  });

  it('burns per minute elapsed since the first call, and projects to the budget and the end', async () => {
    // $0.12 spent 30 s into the first (and only) minute of activity: $0.24 a minute.
    const ended = NOW - 1_000;
    calls.insertMany([
      call(ended, { teamId: 'alpha', agentId: 'alpha-lead', usage: { inputTokens: 40_000 } }),
    ]);
    const cost = (await invoke('costs:get-dashboard', { missionId })).totals.costTotalNano;
    const d = await invoke('costs:get-dashboard', { missionId });
    expect(d.burnRate.nanoPerMinute).toBe(Math.round(cost * 2));
    expect(d.throughput.callsPerMinute).toBeCloseTo(2);
    expect(d.projectionBasis.remainingBudgetNano).toBe(NANO - cost);
    // No task is finished yet: the end cannot be told.
    expect(d.projectionBasis.missionEndAt).toBeNull();
    expect(d.projection.minutesToExhaustion).toBeCloseTo((NANO - cost) / (cost * 2));
    expect(d.projection.projectedSpendToEndNano).toBeNull();
  });

  it('lists the caps of a mission with spend and reservations, and alerts with a cause', async () => {
    calls.insertMany([
      // Ada spends $0.09 of her $0.10.
      call(NOW - 3 * M, {
        teamId: 'alpha',
        agentId: 'alpha-c1',
        modelRequested: 'claude-opus-4-8',
        usage: { inputTokens: 18_000 },
      }),
    ]);
    reserved.set(`agent:${scopedId(missionId, 'alpha-c1')}`, 5_000_000);
    const d = await invoke('costs:get-dashboard', { missionId });
    const ada = d.budgets.find((b) => b.scope === 'agent' && b.id === 'alpha-c1');
    expect(ada).toEqual({
      scope: 'agent',
      missionId,
      id: 'alpha-c1',
      label: 'Ada',
      capNano: NANO / 10,
      spentNano: 90_000_000,
      reservedNano: 5_000_000,
    });
    expect(d.budgets.map((b) => `${b.scope}:${b.id}`)).toEqual([
      `mission:${missionId}`,
      'team:alpha',
      'agent:alpha-c1',
    ]);
    expect(d.alerts).toHaveLength(1);
    expect(d.alerts[0]).toMatchObject({
      id: `budget:missionId=${missionId},agentId=alpha-c1`,
      kind: 'budget',
      severity: 'warning',
      cause: { missionId, agentId: 'alpha-c1' },
    });
    expect(d.alerts[0]!.message).toContain('“Ada”');
  });

  it('raises a critical alert for a stopped pool and a deep queue', async () => {
    limiter.state.pools.opus.stopped = {
      reason: 'spend-limit',
      message: 'the account hit its spend limit',
      since: NOW,
    };
    limiter.state.pools.haiku.queueDepth = 600;
    const d = await invoke('costs:get-dashboard', {});
    expect(d.alerts.map((a) => [a.kind, a.severity, a.cause])).toEqual([
      ['pool_stopped', 'critical', { pool: 'opus' }],
      ['queue_depth', 'warning', { pool: 'haiku' }],
    ]);
  });

  it('refuses a bad window or an unknown field', async () => {
    for (const request of [{ windowMinutes: 2 }, { windowMinutes: 5_000 }, { missionId: '' }, { nope: 1 }]) {
      const result = await dispatch(handlers, 'costs:get-dashboard', request);
      expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
  });
});

describe('costs:export-calls', () => {
  it('answers the newest matching rows as CSV, capped, with a telling file name', async () => {
    calls.insertMany([
      call(NOW - 50 * M, { agentId: 'a, "quoted"' }),
      call(NOW - 40 * M, {}),
      call(NOW - 30 * M, {}),
      call(NOW - 20 * M, {}),
      call(NOW - 10 * M, { missionId: null }),
    ]);
    const all = await invoke('costs:export-calls', {});
    expect(all).toMatchObject({ rows: 3, truncated: true, fileName: 'calls-all-20260115-1030.csv' });
    const lines = all.csv.trimEnd().split('\r\n');
    // For people: times, names and dollars first; the ids (the request id among them) at the end.
    expect(lines[0]).toMatch(/^Started \(UTC\),Ended \(UTC\),/);
    const requestId = lines[0]!.split(',').indexOf('Request id');
    expect(lines.slice(1).map((l) => l.split(',')[requestId])).toEqual(
      ['r3', 'r4', 'r5'].map((r) => `r${Number(r.slice(1)) + seq - 5}`),
    );

    const mine = await invoke('costs:export-calls', { missionId, from: NOW - 45 * M, to: NOW - 15 * M });
    expect(mine).toMatchObject({ rows: 3, truncated: false });
    expect(mine.fileName).toBe(`calls-${missionId}-20260115-1030.csv`);

    const quoted = await invoke('costs:export-calls', { missionId, to: NOW - 45 * M });
    expect(quoted.csv).toContain('"a, ""quoted"""');

    expect(await dispatch(handlers, 'costs:export-calls', { from: 10, to: 5 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('makes a safe file name of any mission id', () => {
    expect(exportFileName('m/../x', Date.UTC(2026, 1, 3, 4, 5))).toBe('calls-m____x-20260203-0405.csv');
  });
});

describe('limits', () => {
  it('answers the state and resumes a stopped pool', async () => {
    limiter.state.pools.sonnet.stopped = {
      reason: 'rate-limit-without-retry-after',
      message: '429',
      since: NOW,
    };
    expect((await invoke('limits:get-state', {})).pools.sonnet.stopped).not.toBeNull();
    const after = await invoke('limits:resume-pool', { pool: 'sonnet' });
    expect(after.pools.sonnet.stopped).toBeNull();
    expect(limiter.resumed).toEqual(['sonnet']);
    expect(await dispatch(handlers, 'limits:resume-pool', { pool: 'gpt' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('works with the real limiter: its state is plain JSON', async () => {
    const real = new RateLimiter({
      pools: {
        opus: { rpm: 50, itpm: 30_000, otpm: 8_000 },
        sonnet: { rpm: 50, itpm: 30_000, otpm: 8_000 },
        haiku: { rpm: 50, itpm: 50_000, otpm: 10_000 },
      },
    });
    try {
      const own = { ...({} as Handlers), ...costsHandlers({ db: h.ledger.db, limiter: real }) };
      const result = await dispatch(own, 'limits:resume-pool', { pool: 'opus' });
      expect(result.ok).toBe(true);
      const state = (result as { data: LimiterState }).data;
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      expect(Object.keys(state.pools).sort()).toEqual(['haiku', 'opus', 'sonnet']);
    } finally {
      real.close();
    }
  });
});

describe('events', () => {
  it('coalesces costs:changed per mission and forwards limiter changes', () => {
    const timers: (() => void)[] = [];
    const hub = new EventHub({ setTimer: (fn) => timers.push(fn), clearTimer: () => undefined });
    const batches: { name: string; payload: unknown }[][] = [];
    hub.subscribe((batch) => batches.push(batch));
    const notify = costsChangedNotifier(hub, () => NOW);
    for (let i = 0; i < 100; i += 1) notify({ missionId: i % 2 === 0 ? 'm1' : 'm2' });
    notify({ missionId: null });
    let listener: ((state: LimiterState) => void) | undefined;
    const stop = forwardLimiterState(
      { onChange: (fn) => ((listener = fn), () => (listener = undefined)) },
      hub,
    );
    listener?.(limiter.getState());
    listener?.(limiter.getState());
    hub.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.name)).toEqual([
      'costs:changed',
      'costs:changed',
      'costs:changed',
      'limits:changed',
    ]);
    expect(batches[0]![0]!.payload).toEqual({ at: NOW, missionId: 'm1' });
    stop();
    expect(listener).toBeUndefined();
  });

  it('the contract declares every costs and limits command', () => {
    for (const name of [
      'costs:get-dashboard',
      'costs:export-calls',
      'limits:get-state',
      'limits:resume-pool',
    ]) {
      expect(Object.hasOwn(commands, name)).toBe(true);
    }
  });
});

describe('in the backend, with the simulated provider', () => {
  it('emits costs:changed as a mission spends, and the dashboard follows', async () => {
    const dataDir = join(h.dir, 'backend');
    const backend = openBackend({
      dataDir,
      runtime: 'browser',
      env: { CONTROL_ROOM_SIM_LATENCY: '0' },
      flushIntervalMs: 20,
      logError: (channel, error) => {
        throw new Error(`${channel}: ${String(error)}`);
      },
    });
    const seen: string[] = [];
    backend.events.subscribe((batch) => seen.push(...batch.map((e) => e.name)));
    try {
      const design = saveDesign(backend.ledger, [{ id: 'solo', coders: 1 }]);
      const created = await backend.invoke('missions:create', {
        designId: design.id,
        goal: 'Add a README section',
        repoPath: h.repo,
        skipPlanApproval: true,
      });
      if (!created.ok) throw new Error(created.error.message);
      const id = (created.data as { id: string }).id;
      expect((await backend.invoke('missions:start', { id })).ok).toBe(true);
      const start = Date.now();
      let spent = 0;
      while (Date.now() - start < 20_000) {
        const d = await backend.invoke('costs:get-dashboard', { missionId: id });
        if (!d.ok) throw new Error(d.error.message);
        spent = (d.data as CommandResponse<'costs:get-dashboard'>).totals.costTotalNano;
        if (spent > 0 && seen.includes('costs:changed') && seen.includes('limits:changed')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(spent).toBeGreaterThan(0);
      expect(seen).toContain('costs:changed');
      expect(seen).toContain('limits:changed');
      const exported = await backend.invoke('costs:export-calls', { missionId: id });
      expect(exported.ok && (exported.data as { rows: number }).rows).toBeGreaterThan(0);
      await backend.invoke('missions:cancel', { id });
    } finally {
      backend.close();
    }
  }, 30_000);
});
