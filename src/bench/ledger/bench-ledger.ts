import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MODELS } from '../../shared/models.js';
import { BudgetGuard, ledgerSpendSource } from '../../main/ledger/budgets.js';
import { CALL_STATUSES, CallsRepository, type CallRecord } from '../../main/ledger/calls-repository.js';
import { openLedger } from '../../main/ledger/database.js';
import { LedgerMetrics, MINUTE_MS } from '../../main/ledger/metrics.js';
import { defaultPricer } from '../../main/ledger/pricing.js';

export interface LedgerBenchOptions {
  /** Calls in the big ledger the dashboard queries run against (default 1,000,000). */
  rows?: number;
  /** Rows per insertMany transaction (default 500). */
  batchSize?: number;
  /** Rows written one per transaction for the baseline (default 20,000, at most `rows`). */
  baselineRows?: number;
  /** Agents the calls are spread over (default 1,000, in teams of 20, 5 missions). */
  agents?: number;
  /** Timed repetitions per query; the median is printed (default 5). */
  repeats?: number;
  /** Folder for the bench databases (default: a new temp folder, removed afterwards). */
  dir?: string;
  log?: (line: string) => void;
}

export interface LedgerBenchResult {
  baseline: { rows: number; ms: number; rowsPerSecond: number };
  batchedSameSize: { rows: number; ms: number; rowsPerSecond: number };
  batchedAll: { rows: number; ms: number; rowsPerSecond: number };
  /** batchedSameSize / baseline rows per second, on equally sized ledgers. */
  ratio: number;
  queries: { name: string; medianMs: number; maxMs: number }[];
}

/** Deterministic xorshift so runs are comparable. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

/**
 * Synthetic calls shaped like a busy mission: ~1,000 calls a minute spread over many
 * agents, mostly successful, latencies of seconds to minutes, heavy cache reads.
 */
function makeCalls(count: number, agents: number, startMs: number, prefix: string): CallRecord[] {
  const next = random(count * 31 + prefix.length);
  const models = MODELS.map((m) => m.id);
  const perMinute = 1_000;
  const calls: CallRecord[] = new Array<CallRecord>(count);
  for (let i = 0; i < count; i += 1) {
    const agent = Math.floor(next() * agents);
    const team = Math.floor(agent / 20);
    const r = next();
    const status = r < 0.97 ? 'ok' : CALL_STATUSES[1 + Math.floor(next() * 3)]!;
    const endedAt = startMs + Math.floor((i / perMinute) * MINUTE_MS);
    const duration = Math.floor(500 + next() ** 3 * 120_000);
    calls[i] = {
      requestId: `${prefix}${i}`,
      messageId: `msg_${i}`,
      missionId: `m${team % 5}`,
      teamId: `t${team}`,
      agentId: `a${agent}`,
      role: agent % 20 === 0 ? 'leader' : 'coder',
      taskId: `task-${Math.floor(next() * 10_000)}`,
      modelRequested: models[agent % models.length]!,
      startedAt: endedAt - duration,
      firstTokenAt: endedAt - Math.floor(duration / 2),
      endedAt,
      status,
      httpStatus: status === 'error' ? 529 : 200,
      stopReason: status === 'ok' ? 'end_turn' : null,
      usage: {
        inputTokens: Math.floor(next() * 5_000),
        outputTokens: Math.floor(next() * 4_000),
        cacheCreation5mTokens: Math.floor(next() * 2_000),
        cacheReadTokens: Math.floor(next() * 50_000),
        thinkingTokens: Math.floor(next() * 1_000),
      },
      limiter: { estInput: 60_000, estOutput: 8_192, reservedInput: 60_000, reservedOutput: 8_192, waitMs: Math.floor(next() * 200) },
    };
  }
  return calls;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/**
 * Measures the ledger: rows per second written with `insertMany` in batches against a
 * one-row-per-transaction baseline on an equally sized ledger (both on disk, WAL), then
 * the latency of each dashboard query over a ledger of `rows` calls. Prints as it goes.
 */
export async function runLedgerBench(options: LedgerBenchOptions = {}): Promise<LedgerBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const batchSize = options.batchSize ?? 500;
  const baselineRows = Math.min(options.baselineRows ?? 20_000, rows);
  const agents = options.agents ?? 1_000;
  const repeats = options.repeats ?? 5;
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const pricer = defaultPricer();
  // Data ends just before "now", so windowed queries see a full, busy window.
  const now = Date.now();
  const durationMs = Math.ceil(rows / 1_000) * MINUTE_MS;
  const startMs = now - durationMs;
  const rate = (n: number, ms: number) => Math.round((n / ms) * 1_000);

  log(`ledger bench: ${rows.toLocaleString('en-US')} calls, ${agents} agents, batches of ${batchSize}, in ${dir}`);
  try {
    // Baseline: one transaction per row.
    const base = openLedger(join(dir, 'baseline.db'));
    const baseRepo = new CallsRepository(base.db, pricer);
    const baseCalls = makeCalls(baselineRows, agents, startMs, 'b');
    const baseMs = time(() => {
      for (const call of baseCalls) baseRepo.insert(call);
    });
    base.close();
    const baseline = { rows: baselineRows, ms: baseMs, rowsPerSecond: rate(baselineRows, baseMs) };
    log(`  one row per transaction: ${baseline.rowsPerSecond.toLocaleString('en-US')} rows/s (${baselineRows} rows, ${baseMs.toFixed(0)} ms)`);

    // Batched, into the big ledger; the first baselineRows are timed separately.
    const ledger = openLedger(join(dir, 'ledger.db'));
    const repo = new CallsRepository(ledger.db, pricer);
    const calls = makeCalls(rows, agents, startMs, 'c');
    let firstMs = 0;
    let allMs = 0;
    for (let i = 0; i < rows; i += batchSize) {
      const batch = calls.slice(i, i + batchSize);
      const ms = time(() => repo.insertMany(batch));
      allMs += ms;
      if (i < baselineRows) firstMs += ms;
    }
    calls.length = 0;
    const sameRows = Math.min(rows, Math.ceil(baselineRows / batchSize) * batchSize);
    const batchedSameSize = { rows: sameRows, ms: firstMs, rowsPerSecond: rate(sameRows, firstMs) };
    const batchedAll = { rows, ms: allMs, rowsPerSecond: rate(rows, allMs) };
    const ratio = batchedSameSize.rowsPerSecond / Math.max(1, baseline.rowsPerSecond);
    log(`  insertMany, first ${sameRows} rows: ${batchedSameSize.rowsPerSecond.toLocaleString('en-US')} rows/s -> ${ratio.toFixed(1)}x the baseline`);
    log(`  insertMany, all ${rows} rows: ${batchedAll.rowsPerSecond.toLocaleString('en-US')} rows/s (${(allMs / 1000).toFixed(1)} s)`);
    ledger.db.pragma('wal_checkpoint(TRUNCATE)');
    ledger.db.exec('ANALYZE');

    const metrics = new LedgerMetrics(ledger.db);
    const guard = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
    guard.setCap('mission', 'm1', 1e15);
    guard.setCap('team', 't7', 1e15);
    guard.setCap('agent', 'a42', 1e15);
    const hour = { from: now - 60 * MINUTE_MS, to: now };
    const all = { from: startMs, to: now };
    const queries: [string, () => unknown][] = [
      ['totals (all time)', () => metrics.totals()],
      ['totals (mission m1)', () => metrics.totals({ missionId: 'm1' })],
      ['totals (last hour)', () => metrics.totals(hour)],
      ['totals (whole range, by minute)', () => metrics.totals(all)],
      ['breakdown by agent (all time)', () => metrics.breakdown('agent')],
      ['breakdown by team (all time)', () => metrics.breakdown('team')],
      ['breakdown by model (all time)', () => metrics.breakdown('model')],
      ['breakdown by mission (all time)', () => metrics.breakdown('mission')],
      ['breakdown by agent (mission m1)', () => metrics.breakdown('agent', { missionId: 'm1' })],
      ['breakdown by agent (last hour)', () => metrics.breakdown('agent', hour)],
      ['breakdown by agent (m1, last hour)', () => metrics.breakdown('agent', { ...hour, missionId: 'm1' })],
      ['time series (last hour)', () => metrics.timeSeries(hour)],
      ['time series (m1, last hour)', () => metrics.timeSeries({ ...hour, missionId: 'm1' })],
      ['time series (last 24 h)', () => metrics.timeSeries({ from: now - 1_440 * MINUTE_MS, to: now })],
      ['burn rate (5 min)', () => metrics.burnRate({ now, windowMinutes: 5 })],
      ['projection (m1, 15 min)', () => metrics.projection({ now, windowMinutes: 15, missionId: 'm1', remainingBudgetNano: 1e12, missionEndAt: now + 3_600_000 })],
      ['latency P50/95/99 (all time)', () => metrics.latency()],
      ['latency P50/95/99 (last hour)', () => metrics.latency(hour)],
      ['latency P50/95/99 (m1, all time)', () => metrics.latency({ missionId: 'm1' })],
      ['latency P95 (opus pool, last 5 min)', () => metrics.latency({ from: now - 5 * MINUTE_MS, to: now, pool: 'opus' })],
      ['error rate (last 15 min)', () => metrics.errorRate({ from: now - 15 * MINUTE_MS, to: now })],
      ['error rate (all time)', () => metrics.errorRate()],
      ['throughput (5 min)', () => metrics.throughput({ now, windowMinutes: 5 })],
      ['budget admission check (3 caps)', () => {
        const d = guard.checkAdmission({ missionId: 'm1', teamId: 't7', agentId: 'a42', worstCaseNano: 1 });
        if (d.admitted) guard.settle(d.reservationId);
      }],
    ];
    log(`  dashboard queries over ${rows.toLocaleString('en-US')} calls (median of ${repeats}):`);
    const results: LedgerBenchResult['queries'] = [];
    for (const [name, run] of queries) {
      run(); // warm: prepare and page in
      const samples = Array.from({ length: repeats }, () => time(() => run())).sort((a, b) => a - b);
      const medianMs = samples[Math.floor(samples.length / 2)]!;
      const maxMs = samples.at(-1)!;
      results.push({ name, medianMs, maxMs });
      log(`    ${name.padEnd(40)} ${medianMs.toFixed(2).padStart(9)} ms  (max ${maxMs.toFixed(2)})`);
      // Let the event loop breathe between queries when embedded in a larger process.
      await new Promise((resolve) => setImmediate(resolve));
    }
    ledger.close();
    return { baseline, batchedSameSize, batchedAll, ratio, queries: results };
  } finally {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}
