import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerSpendSource } from './budgets.js';
import { CallsRepository, INTERRUPTED_ERROR_TYPE, type CallRecord } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { defaultPricer } from './pricing.js';

/**
 * A streamed attempt is in the ledger from its message_start (migration 0010): its
 * in-flight row is replaced by its calls row when it ends, and settled into calls, once,
 * when an engine starts on a ledger a crash left it in.
 */

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
let dir: string;
const open: Ledger[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-in-flight-'));
});
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  rmSync(dir, { recursive: true, force: true });
});

function ledger(groupCommit = false): Ledger {
  const l = openLedger(join(dir, 'ledger.db'), { groupCommit });
  open.push(l);
  return l;
}

/** The row an attempt is billed as at its message_start: input and cache usage, one output token. */
function atStart(requestId: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    requestId,
    messageId: `msg_${requestId}`,
    missionId: 'm1',
    teamId: 't1',
    agentId: 'a1',
    role: 'coder',
    modelRequested: 'claude-sonnet-4-5',
    startedAt: T0,
    endedAt: T0 + 300,
    status: 'partial',
    usage: { inputTokens: 1_200, outputTokens: 1, cacheReadTokens: 9_000, cacheCreation5mTokens: 400 },
    ...overrides,
  };
}

function atEnd(requestId: string): CallRecord {
  return {
    ...atStart(requestId),
    endedAt: T0 + 2_000,
    status: 'ok',
    httpStatus: 200,
    stopReason: 'end_turn',
    usage: { inputTokens: 1_200, outputTokens: 350, cacheReadTokens: 9_000, cacheCreation5mTokens: 400 },
  };
}

const count = (l: Ledger, table: string): number => Number(l.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('calls in flight', () => {
  it('holds an attempt from its message_start, and its end replaces it with the calls row', () => {
    const l = ledger();
    const calls = new CallsRepository(l.db, defaultPricer());
    const handle = calls.startLater(atStart('req-a'));
    expect(calls.inFlight()).toMatchObject([{ requestId: 'req-a', missionId: 'm1', seenAt: T0 + 300 }]);
    expect(calls.inFlight()[0]!.costTotalNano).toBe(calls.price(atStart('req-a')).totalNano);
    expect(count(l, 'calls')).toBe(0);

    calls.insertLater(atEnd('req-a'), undefined, handle);
    expect(calls.inFlight()).toEqual([]);
    expect(calls.get('req-a')).toMatchObject({ status: 'ok', usage: { outputTokens: 350 } });
    // Nothing is left for a start to settle.
    expect(calls.settleInFlight()).toEqual({ settled: 0, alreadyRecorded: 0, costNano: 0, failed: [] });
    expect(count(l, 'calls')).toBe(1);
  });

  it('settles an attempt a crash left in flight as billed for its message_start, exactly once', () => {
    const first = ledger();
    const calls = new CallsRepository(first.db, defaultPricer());
    calls.startLater(atStart('req-a'));
    calls.startLater(atStart('req-b', { agentId: 'a2', usage: { inputTokens: 50, outputTokens: 1, cacheCreation1hTokens: 7_000 } }));
    calls.insertLater(atEnd('req-c'), undefined, calls.startLater(atStart('req-c')));
    // The process dies: nothing more is written (the connection just goes away).
    first.db.close();

    const reopened = ledger();
    const again = new CallsRepository(reopened.db, defaultPricer());
    const spend = ledgerSpendSource(reopened.db);
    expect(spend.committedNano('mission', 'm1')).toBe(again.price(atEnd('req-c')).totalNano);
    const outcome = again.settleInFlight();
    const expectedCost = again.price(atStart('req-a')).totalNano + again.price(atStart('req-b', { usage: { inputTokens: 50, outputTokens: 1, cacheCreation1hTokens: 7_000 } })).totalNano;
    expect(outcome).toEqual({ settled: 2, alreadyRecorded: 0, costNano: expectedCost, failed: [] });
    expect(again.get('req-a')).toMatchObject({
      status: 'partial',
      errorType: INTERRUPTED_ERROR_TYPE,
      endedAt: T0 + 300,
      usage: { inputTokens: 1_200, outputTokens: 1, cacheReadTokens: 9_000, cacheCreation5mTokens: 400 },
    });
    expect(again.get('req-b')).toMatchObject({ status: 'partial', agentId: 'a2', usage: { cacheCreation1hTokens: 7_000 } });
    expect(again.inFlight()).toEqual([]);
    // The roll-ups (what budgets and dashboards read) count them.
    expect(spend.committedNano('agent', 'm1/a2')).toBe(again.price(atStart('req-b', { usage: { inputTokens: 50, outputTokens: 1, cacheCreation1hTokens: 7_000 } })).totalNano);
    expect(Number(reopened.db.prepare("SELECT sum(partial_calls) FROM call_totals WHERE mission_id = 'm1'").pluck().get())).toBe(2);

    // A second start finds nothing to settle; nothing is counted twice.
    expect(again.settleInFlight().settled).toBe(0);
    expect(count(reopened, 'calls')).toBe(3);
  });

  it('never doubles an attempt whose calls row landed while its in-flight row stayed', () => {
    const l = ledger();
    const calls = new CallsRepository(l.db, defaultPricer());
    calls.insertLater(atEnd('req-a'));
    calls.startLater(atStart('req-a'));
    expect(calls.settleInFlight()).toMatchObject({ settled: 0, alreadyRecorded: 1 });
    expect(calls.get('req-a')!.status).toBe('ok');
    expect(count(l, 'calls')).toBe(1);
    expect(calls.inFlight()).toEqual([]);
  });

  it('with group commit, an attempt that ends in the turn of its message_start never writes an in-flight row, and one that ends later does', async () => {
    const l = ledger(true);
    const calls = new CallsRepository(l.db, defaultPricer());
    const writes: string[] = [];
    l.db.function('trace_in_flight', (id: unknown) => (writes.push(String(id)), 0));
    l.db.exec("CREATE TEMP TRIGGER seen AFTER INSERT ON calls_in_flight BEGIN SELECT trace_in_flight(NEW.request_id); END");

    calls.insertLater(atEnd('req-fast'), undefined, calls.startLater(atStart('req-fast')));
    const slow = calls.startLater(atStart('req-slow'));
    await turn();
    // Committed at the end of its turn: a crash now would find it.
    expect(calls.inFlight().map((r) => r.requestId)).toEqual(['req-slow']);
    calls.insertLater(atEnd('req-slow'), undefined, slow);
    await turn();
    expect(writes).toEqual(['req-slow']);
    expect(calls.inFlight()).toEqual([]);
    expect(calls.get('req-fast')!.status).toBe('ok');
    expect(calls.get('req-slow')!.status).toBe('ok');
  });

  it('refuses a start it cannot price, writing nothing', () => {
    const l = ledger();
    const calls = new CallsRepository(l.db, defaultPricer());
    expect(() => calls.startLater(atStart('req-x', { modelRequested: 'no-such-model' }))).toThrow(/no-such-model/);
    expect(count(l, 'calls_in_flight')).toBe(0);
  });
});
