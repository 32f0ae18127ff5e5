import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../shared/models.js';
import { CALL_STATUSES, CallsRepository, type CallRecord } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { defaultPricer } from './pricing.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const open: Ledger[] = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

function ledger(path = ':memory:'): Ledger {
  const l = openLedger(path);
  open.push(l);
  return l;
}

function call(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    requestId: 'req-1',
    messageId: 'msg_1',
    missionId: 'm1',
    teamId: 't1',
    agentId: 'a1',
    role: 'coder',
    taskId: 'task-1',
    modelRequested: 'claude-sonnet-4-5',
    modelResolved: 'claude-sonnet-4-5-20250929',
    startedAt: T0,
    firstTokenAt: T0 + 400,
    endedAt: T0 + 2_000,
    status: 'ok',
    httpStatus: 200,
    stopReason: 'end_turn',
    usage: { inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 5_000, thinkingTokens: 50 },
    limiter: { estInput: 1_100, estOutput: 4_096, reservedInput: 1_100, reservedOutput: 4_096, waitMs: 12 },
    ...overrides,
  };
}

describe('migration 0002', () => {
  it('applies on top of a database at 0001 and keeps its data', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'calls-')), 'ledger.db');
    const db = new Database(file);
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare(
      `INSERT INTO team_designs (id, name, canvas_json, revision, created_at, updated_at) VALUES ('d1', 'D', '{}', 1, 'x', 'x')`,
    ).run();
    // Later migrations may follow; 0002 must apply cleanly on 0001 whatever comes after.
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([2]);
    migrate(db);
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['calls', 'call_minutes', 'call_mission_minutes', 'call_totals', 'call_latency_minutes', 'team_designs']));
    expect(db.prepare('SELECT count(*) FROM team_designs').pluck().get()).toBe(1);
    db.close();
    // And the real open path accepts the result.
    const reopened = ledger(file);
    expect(reopened.db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
  });
});

describe('CallsRepository', () => {
  it('records a priced row with every field and the price row that priced it', () => {
    const { db } = ledger();
    const repo = new CallsRepository(db, defaultPricer());
    const outcome = repo.insert(call());
    expect(outcome).toMatchObject({ inserted: true, requestId: 'req-1' });
    const row = repo.get('req-1')!;
    expect(row).toMatchObject({
      attempt: 1,
      pool: 'sonnet',
      status: 'ok',
      usage: { inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 5_000, thinkingTokens: 50, cacheCreation1hTokens: 0 },
      limiter: { estInput: 1_100, waitMs: 12 },
      batch: false,
      // 1,000 x 3,000 + 200 x 15,000 + 5,000 x 300 nano.
      cost: { priceRowId: 'claude-sonnet-4-5@2025-09-29', inputNano: 3_000_000, outputNano: 3_000_000, cacheReadNano: 1_500_000, totalNano: 7_500_000 },
    });
  });

  it('never records the same request id twice', () => {
    const { db } = ledger();
    const repo = new CallsRepository(db, defaultPricer());
    expect(repo.insert(call()).inserted).toBe(true);
    expect(repo.insert(call({ usage: { inputTokens: 99 } }))).toEqual({ inserted: false, requestId: 'req-1' });
    const batch = repo.insertMany([call({ requestId: 'req-2' }), call(), call({ requestId: 'req-3' }), call({ requestId: 'req-2' })]);
    expect(batch).toEqual({ inserted: 2, duplicates: ['req-1', 'req-2'] });
    expect(db.prepare('SELECT count(*) FROM calls').pluck().get()).toBe(3);
    expect(repo.get('req-1')!.usage.inputTokens).toBe(1_000);
    // Roll-ups count each attempt once.
    expect(db.prepare('SELECT sum(calls) FROM call_totals').pluck().get()).toBe(3);
  });

  it('records partial and cancelled streams with what they were billed, and retries', () => {
    const { db } = ledger();
    const repo = new CallsRepository(db, defaultPricer());
    repo.insertMany([
      call({ requestId: 'a1', status: 'partial', errorType: 'overloaded_error', stopReason: null, usage: { inputTokens: 10_000, outputTokens: 321 } }),
      call({ requestId: 'a2', retryOf: 'a1', attempt: 2, status: 'cancelled', usage: { inputTokens: 10_000, outputTokens: 5 } }),
      call({ requestId: 'a3', status: 'error', httpStatus: 529, messageId: null, firstTokenAt: null, usage: {} }),
    ]);
    expect(repo.get('a1')!.cost.totalNano).toBe(10_000 * 3_000 + 321 * 15_000);
    expect(repo.get('a2')).toMatchObject({ retryOf: 'a1', attempt: 2, status: 'cancelled' });
    expect(repo.get('a3')!.cost).toMatchObject({ totalNano: 0, priceRowId: 'claude-sonnet-4-5@2025-09-29' });
  });

  it('writes nothing of a batch with an unknown model or a malformed row', () => {
    const { db } = ledger();
    const repo = new CallsRepository(db, defaultPricer());
    expect(() => repo.insertMany([call({ requestId: 'ok' }), call({ requestId: 'x', modelRequested: 'gpt-4o', modelResolved: null })])).toThrow(
      /no price for model "gpt-4o"/,
    );
    expect(() => repo.insertMany([call({ requestId: 'ok' }), call({ requestId: 'y', endedAt: T0 - 1 })])).toThrow(
      /call "y": endedAt is before startedAt/,
    );
    expect(db.prepare('SELECT count(*) FROM calls').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM call_minutes').pluck().get()).toBe(0);
  });

  it('queues a row with the write group, priced and checked at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-calls-'));
    const writer = openLedger(join(dir, 'ledger.db'), { groupCommit: true });
    const reader = ledger(join(dir, 'ledger.db'));
    open.push(writer);
    const repo = new CallsRepository(writer.db, defaultPricer());
    const committed: number[] = [];
    const cost = repo.insertLater(call(), () => committed.push(Number(reader.db.prepare('SELECT count(*) FROM calls').pluck().get())));
    expect(cost).toEqual(repo.price(call()));
    // Anything reading the calls tables on this connection sees the row; others after the turn.
    expect(reader.db.prepare('SELECT count(*) FROM calls').pluck().get()).toBe(0);
    expect(repo.get('req-1')?.cost).toEqual(cost);
    expect(() => repo.insertLater(call({ requestId: 'x', modelRequested: 'gpt-4o', modelResolved: null }))).toThrow(/no price/);
    expect(() => repo.insertLater(call({ requestId: 'y', firstTokenAt: T0 + 5_000 }))).toThrow(/firstTokenAt is outside/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(committed).toEqual([1]);
    expect(reader.db.prepare('SELECT request_id FROM calls').pluck().all()).toEqual(['req-1']);
    expect(reader.db.prepare('SELECT sum(calls) FROM call_totals').pluck().get()).toBe(1);
  });

  it('keeps the ledger append-only', () => {
    const { db } = ledger();
    new CallsRepository(db, defaultPricer()).insert(call());
    expect(() => db.prepare('UPDATE calls SET cost_total_nano = 0').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM calls').run()).toThrow(/append-only/);
  });

  it('keeps roll-ups equal to a from-scratch aggregation of the raw rows', () => {
    const recordArb = fc.record({
      missionId: fc.constantFrom(null, 'm1', 'm2'),
      teamId: fc.constantFrom(null, 't1', 't2'),
      agentId: fc.constantFrom(null, 'a1', 'a2', 'a3'),
      modelRequested: fc.constantFrom(...MODEL_IDS),
      startedAt: fc.integer({ min: T0, max: T0 + 10 * 60_000 }),
      duration: fc.integer({ min: 0, max: 200_000 }),
      status: fc.constantFrom(...CALL_STATUSES),
      usage: fc.record({
        inputTokens: fc.nat(50_000),
        outputTokens: fc.nat(8_000),
        cacheCreation5mTokens: fc.nat(5_000),
        cacheCreation1hTokens: fc.nat(5_000),
        cacheReadTokens: fc.nat(20_000),
        thinkingTokens: fc.nat(1_000),
        serverToolRequests: fc.nat(3),
      }),
      waitMs: fc.nat(5_000),
    });
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 60 }), (records) => {
        const l = openLedger(':memory:');
        try {
          const repo = new CallsRepository(l.db, defaultPricer());
          repo.insertMany(
            records.map(({ duration, waitMs, ...r }, i) => ({ ...r, requestId: `r${i}`, endedAt: r.startedAt + duration, limiter: { waitMs } })),
          );
          const sums = `count(*), sum(status = 'ok'), sum(status = 'error'), sum(status = 'cancelled'), sum(status = 'partial'),
            sum(input_tokens), sum(output_tokens), sum(cache_creation_5m_tokens), sum(cache_creation_1h_tokens),
            sum(cache_read_tokens), sum(thinking_tokens), sum(server_tool_requests), sum(cost_input_nano),
            sum(cost_output_nano), sum(cost_cache_write_nano), sum(cost_cache_read_nano), sum(cost_server_tools_nano),
            sum(cost_total_nano), sum(status = 'ok'), sum(CASE WHEN status = 'ok' THEN ended_at - started_at ELSE 0 END),
            sum(coalesce(wait_ms, 0)), max(CASE WHEN status = 'ok' THEN ended_at - started_at ELSE 0 END)`;
          const rolled = `calls, ok_calls, error_calls, cancelled_calls, partial_calls, input_tokens, output_tokens,
            cache_creation_5m_tokens, cache_creation_1h_tokens, cache_read_tokens, thinking_tokens, server_tool_requests,
            cost_input_nano, cost_output_nano, cost_cache_write_nano, cost_cache_read_nano, cost_server_tools_nano,
            cost_total_nano, latency_count, latency_sum_ms, wait_sum_ms, latency_max_ms`;
          const keys = `coalesce(mission_id, ''), coalesce(team_id, ''), coalesce(agent_id, ''), model_requested`;
          const raw = (sql: string) => l.db.prepare(sql).raw().all();
          expect(raw(`SELECT minute, mission_id, team_id, agent_id, model, ${rolled} FROM call_minutes ORDER BY 1, 2, 3, 4, 5`)).toEqual(
            raw(`SELECT ended_at / 60000, ${keys}, ${sums} FROM calls GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`),
          );
          expect(raw(`SELECT minute, mission_id, model, ${rolled} FROM call_mission_minutes ORDER BY 1, 2, 3`)).toEqual(
            raw(`SELECT ended_at / 60000, coalesce(mission_id, ''), model_requested, ${sums} FROM calls GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
          );
          expect(raw(`SELECT mission_id, team_id, agent_id, model, ${rolled}, first_minute, last_minute FROM call_totals ORDER BY 1, 2, 3, 4`)).toEqual(
            raw(`SELECT ${keys}, ${sums}, min(ended_at / 60000), max(ended_at / 60000) FROM calls GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`),
          );
          expect(raw(`SELECT mission_id, model, upper_ms, calls FROM call_latency_totals ORDER BY 1, 2, 3`)).toEqual(
            raw(`SELECT mi, mo, u, sum(n) FROM (SELECT coalesce(mission_id, '') AS mi, model_requested AS mo,
                   (SELECT min(upper_ms) FROM call_latency_buckets WHERE upper_ms >= ended_at - started_at) AS u, 1 AS n
                 FROM calls WHERE status = 'ok') GROUP BY mi, mo, u ORDER BY 1, 2, 3`),
          );
          expect(raw(`SELECT minute, mission_id, model, upper_ms, calls FROM call_latency_minutes ORDER BY 1, 2, 3, 4`)).toEqual(
            raw(`SELECT ended_at / 60000 AS m, coalesce(mission_id, '') AS mi, model_requested AS mo,
                   (SELECT min(upper_ms) FROM call_latency_buckets WHERE upper_ms >= ended_at - started_at) AS u, count(*)
                 FROM calls WHERE status = 'ok' GROUP BY m, mi, mo, u ORDER BY 1, 2, 3, 4`),
          );
        } finally {
          l.close();
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});
