import type Database from 'better-sqlite3';
import { MODELS, type ModelPool } from '../../shared/models.js';
import type {
  BreakdownDimension,
  BreakdownRow,
  BurnRate,
  ErrorRate,
  LatencySummary,
  Projection,
  SeriesPoint,
  Throughput,
  UsageTotals,
} from '../../shared/costs.js';
import { AppError } from '../../shared/result.js';

// The result types live in src/shared so the renderer can read them; re-exported here
// so callers of the metrics keep importing them from one place.
export type {
  BreakdownDimension,
  BreakdownRow,
  BurnRate,
  ErrorRate,
  LatencySummary,
  Projection,
  SeriesPoint,
  Throughput,
  UsageTotals,
} from '../../shared/costs.js';

/**
 * Dashboard queries over the calls ledger. They read the roll-ups of migration 0002,
 * never the raw rows, so each stays fast at millions of calls:
 *   - no time range: `call_totals` (one row per mission x team x agent x model);
 *   - a time range: `call_mission_minutes` (minute x mission x model), or `call_minutes`
 *     (minute x mission x team x agent x model) for breakdowns by team or agent; a call
 *     counts in the minute it ended;
 *   - latency percentiles: the `call_latency_totals` histogram, or `call_latency_minutes`
 *     for a time range.
 * Time ranges are epoch ms, snapped outward to whole minutes: every minute that overlaps
 * [from, to) is included. All money is integer nano-dollars; every result is plain JSON.
 */

export const MINUTE_MS = 60_000;
/** Longest per-minute series one query returns (a week). */
export const MAX_SERIES_MINUTES = 7 * 24 * 60;

/** Narrows a query. Every field is optional; ids match exactly. */
export interface MetricsFilter {
  missionId?: string;
  /** Epoch ms, inclusive (snapped down to its minute). */
  from?: number;
  /** Epoch ms, exclusive (snapped up to a minute boundary). */
  to?: number;
  model?: string;
  pool?: ModelPool;
}

/** One minute of one team's spend (see {@link LedgerMetrics.teamSeries}). */
export interface TeamMinute {
  /** Epoch ms at which the minute starts. */
  minute: number;
  /** `<missionId>/<teamId>` (`scopedKey`): a design's team ids repeat in each of its missions. */
  teamKey: string | null;
  calls: number;
  costNano: number;
}

export interface WindowOptions {
  /** Epoch ms; the window is the `windowMinutes` whole minutes before now's minute. */
  now: number;
  windowMinutes: number;
  missionId?: string;
}

export interface ProjectionOptions extends WindowOptions {
  /** What is left of the budget being watched, in nano-dollars. */
  remainingBudgetNano?: number;
  /** When the mission is expected to end (epoch ms). */
  missionEndAt?: number;
}

const TOTAL_FIELDS: readonly [keyof UsageTotals, string][] = [
  ['calls', 'calls'],
  ['okCalls', 'ok_calls'],
  ['errorCalls', 'error_calls'],
  ['cancelledCalls', 'cancelled_calls'],
  ['partialCalls', 'partial_calls'],
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['cacheCreation5mTokens', 'cache_creation_5m_tokens'],
  ['cacheCreation1hTokens', 'cache_creation_1h_tokens'],
  ['cacheReadTokens', 'cache_read_tokens'],
  ['thinkingTokens', 'thinking_tokens'],
  ['serverToolRequests', 'server_tool_requests'],
  ['costInputNano', 'cost_input_nano'],
  ['costOutputNano', 'cost_output_nano'],
  ['costCacheWriteNano', 'cost_cache_write_nano'],
  ['costCacheReadNano', 'cost_cache_read_nano'],
  ['costServerToolsNano', 'cost_server_tools_nano'],
  ['costTotalNano', 'cost_total_nano'],
];
const TOTALS_SELECT = TOTAL_FIELDS.map(([key, col]) => `coalesce(sum(${col}), 0) AS ${key}`).join(', ');

/**
 * What each breakdown groups by, and the key it answers. Team and agent ids come from the
 * design and repeat in every mission made from it, so their keys are `<missionId>/<id>`
 * (`scopedKey` in src/shared/team-label.ts); a call without one keys as ''.
 */
const DIMENSION_GROUP: Record<BreakdownDimension, { key: string; group: string }> = {
  agent: { key: scopedColumn('agent_id'), group: 'mission_id, agent_id' },
  team: { key: scopedColumn('team_id'), group: 'mission_id, team_id' },
  model: { key: 'model', group: 'model' },
  mission: { key: 'mission_id', group: 'mission_id' },
};

function scopedColumn(column: string): string {
  return `CASE WHEN ${column} = '' THEN '' ELSE mission_id || '/' || ${column} END`;
}

type Param = string | number;
interface Where {
  table: string;
  sql: string;
  params: Param[];
}

function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

function checkTime(name: string, value: number | undefined): void {
  if (value !== undefined && !Number.isSafeInteger(value)) {
    throw new AppError('invalid_request', `${name} must be epoch milliseconds`);
  }
}

/** Models of a pool as the roll-ups key them (the requested model id). */
function modelsOf(pool: ModelPool): string[] {
  return MODELS.filter((m) => m.pool === pool).map((m) => m.id);
}

/**
 * Read-only dashboard queries. Statements are prepared once per distinct SQL shape and
 * reused, so a dashboard polling every second costs only the reads.
 */
export class LedgerMetrics {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** Totals over the filter (all time when no range is given). */
  totals(filter: MetricsFilter = {}): UsageTotals {
    const where = this.where(filter);
    const row = this.stmt(`SELECT ${TOTALS_SELECT} FROM ${where.table} ${where.sql}`).get(...where.params);
    return toTotals(row as Record<string, number>);
  }

  /** Totals grouped by agent, team, model or mission, dearest first. */
  breakdown(by: BreakdownDimension, filter: MetricsFilter = {}): BreakdownRow[] {
    const { key, group } = DIMENSION_GROUP[by];
    const where = this.where(filter, by === 'agent' || by === 'team' ? 'attribution' : 'summary');
    const rows = this.stmt(
      `SELECT ${key} AS key, ${TOTALS_SELECT} FROM ${where.table} ${where.sql} ` +
        `GROUP BY ${group} ORDER BY costTotalNano DESC, key`,
    ).all(...where.params) as Record<string, number | string>[];
    return rows.map((r) => ({ key: r.key === '' ? null : String(r.key), ...toTotals(r) }));
  }

  /** A dense per-minute series over [from, to): minutes without calls are zeros. */
  timeSeries(filter: MetricsFilter & { from: number; to: number }): SeriesPoint[] {
    checkTime('from', filter.from);
    checkTime('to', filter.to);
    const first = minuteOf(filter.from);
    const end = Math.ceil(filter.to / MINUTE_MS);
    if (end - first > MAX_SERIES_MINUTES) {
      throw new AppError('invalid_request', `a series covers at most ${MAX_SERIES_MINUTES} minutes; narrow the range`);
    }
    const where = this.where(filter, 'series');
    const rows = this.stmt(
      `SELECT minute, sum(calls) AS calls, sum(error_calls) + sum(partial_calls) AS errorCalls, ` +
        `sum(input_tokens) AS inputTokens, sum(output_tokens) AS outputTokens, ` +
        `sum(cache_creation_5m_tokens) + sum(cache_creation_1h_tokens) AS cacheWriteTokens, ` +
        `sum(cache_read_tokens) AS cacheReadTokens, sum(cost_total_nano) AS costNano ` +
        `FROM ${where.table} ${where.sql} GROUP BY minute ORDER BY minute`,
    ).all(...where.params) as (Omit<SeriesPoint, 'minute'> & { minute: number })[];
    const byMinute = new Map(rows.map((r) => [r.minute, r]));
    const points: SeriesPoint[] = [];
    for (let m = first; m < end; m += 1) {
      const r = byMinute.get(m);
      points.push({
        minute: m * MINUTE_MS,
        calls: r?.calls ?? 0,
        errorCalls: r?.errorCalls ?? 0,
        inputTokens: r?.inputTokens ?? 0,
        outputTokens: r?.outputTokens ?? 0,
        cacheWriteTokens: r?.cacheWriteTokens ?? 0,
        cacheReadTokens: r?.cacheReadTokens ?? 0,
        costNano: r?.costNano ?? 0,
      });
    }
    return points;
  }

  /**
   * Spend per minute and team over [from, to), from the `call_minutes` roll-up (keyed by
   * minute first, so this is a range scan). Sparse: only minutes and teams with calls,
   * in minute order; `teamKey` is `<missionId>/<teamId>`, null for calls without a team.
   */
  teamSeries(filter: MetricsFilter & { from: number; to: number }): TeamMinute[] {
    checkTime('from', filter.from);
    checkTime('to', filter.to);
    if (Math.ceil(filter.to / MINUTE_MS) - minuteOf(filter.from) > MAX_SERIES_MINUTES) {
      throw new AppError('invalid_request', `a series covers at most ${MAX_SERIES_MINUTES} minutes; narrow the range`);
    }
    const where = this.where(filter, 'attribution');
    const rows = this.stmt(
      `SELECT minute, ${scopedColumn('team_id')} AS teamKey, sum(calls) AS calls, sum(cost_total_nano) AS costNano ` +
        `FROM ${where.table} ${where.sql} GROUP BY minute, mission_id, team_id ORDER BY minute, teamKey`,
    ).all(...where.params) as { minute: number; teamKey: string; calls: number; costNano: number }[];
    return rows.map((r) => ({
      minute: r.minute * MINUTE_MS,
      teamKey: r.teamKey === '' ? null : r.teamKey,
      calls: r.calls,
      costNano: r.costNano,
    }));
  }

  /**
   * Spend per minute over the last `windowMinutes` whole minutes (the current, partial
   * minute is left out so it cannot drag the rate down).
   */
  burnRate(options: WindowOptions): BurnRate {
    const { from, to } = windowOf(options);
    const totals = this.totals({ from, to, ...(options.missionId !== undefined && { missionId: options.missionId }) });
    return {
      from,
      to,
      windowMinutes: options.windowMinutes,
      costNano: totals.costTotalNano,
      nanoPerMinute: Math.round(totals.costTotalNano / options.windowMinutes),
    };
  }

  /** Extrapolates the burn rate: when a remaining budget runs out, and spend to the mission's end. */
  projection(options: ProjectionOptions): Projection {
    const { nanoPerMinute } = this.burnRate(options);
    const remaining = options.remainingBudgetNano;
    const minutesToExhaustion =
      remaining === undefined || nanoPerMinute === 0 ? null : Math.max(0, remaining) / nanoPerMinute;
    const projectedSpendToEndNano =
      options.missionEndAt === undefined
        ? null
        : Math.round((Math.max(0, options.missionEndAt - options.now) / MINUTE_MS) * nanoPerMinute);
    return {
      nanoPerMinute,
      minutesToExhaustion,
      exhaustionAt: minutesToExhaustion === null ? null : Math.round(options.now + minutesToExhaustion * MINUTE_MS),
      projectedSpendToEndNano,
      exceedsBudget:
        projectedSpendToEndNano === null || remaining === undefined ? null : projectedSpendToEndNano > remaining,
    };
  }

  /** P50/P95/P99 of completed calls' duration (started to ended), from the histogram. */
  latency(filter: MetricsFilter = {}): LatencySummary {
    const hist = this.where(filter, 'histogram');
    const buckets = this.stmt(
      `SELECT upper_ms AS upper, sum(calls) AS n FROM ${hist.table} ${hist.sql} ` +
        `GROUP BY upper_ms ORDER BY upper_ms`,
    ).all(...hist.params) as { upper: number; n: number }[];
    const where = this.where(filter);
    const agg = this.stmt(
      `SELECT coalesce(sum(latency_count), 0) AS count, coalesce(sum(latency_sum_ms), 0) AS total, ` +
        `max(latency_max_ms) AS max FROM ${where.table} ${where.sql}`,
    ).get(...where.params) as { count: number; total: number; max: number | null };
    const count = buckets.reduce((sum, b) => sum + b.n, 0);
    if (count === 0) return { count: 0, p50Ms: null, p95Ms: null, p99Ms: null, meanMs: null, maxMs: null };
    const max = agg.max ?? Number.MAX_SAFE_INTEGER;
    const percentile = (p: number): number => {
      // Nearest rank: the smallest value with at least p of the calls at or below it.
      const rank = Math.max(1, Math.ceil(p * count));
      let seen = 0;
      for (const b of buckets) {
        seen += b.n;
        if (seen >= rank) return Math.min(b.upper, max);
      }
      return max;
    };
    return {
      count,
      p50Ms: percentile(0.5),
      p95Ms: percentile(0.95),
      p99Ms: percentile(0.99),
      meanMs: agg.count > 0 ? agg.total / agg.count : null,
      maxMs: agg.max,
    };
  }

  /** Share of calls that failed ('error' or 'partial') over the filter. */
  errorRate(filter: MetricsFilter = {}): ErrorRate {
    const t = this.totals(filter);
    const errors = t.errorCalls + t.partialCalls;
    return { calls: t.calls, errors, rate: t.calls === 0 ? 0 : errors / t.calls };
  }

  /** Calls and tokens per minute over the last `windowMinutes` whole minutes. */
  throughput(options: WindowOptions): Throughput {
    const { from, to } = windowOf(options);
    const t = this.totals({ from, to, ...(options.missionId !== undefined && { missionId: options.missionId }) });
    const per = (n: number) => n / options.windowMinutes;
    return {
      windowMinutes: options.windowMinutes,
      callsPerMinute: per(t.calls),
      inputTokensPerMinute: per(t.inputTokens),
      outputTokensPerMinute: per(t.outputTokens),
      tokensPerMinute: per(t.inputTokens + t.outputTokens + t.cacheCreation5mTokens + t.cacheCreation1hTokens + t.cacheReadTokens),
    };
  }

  /**
   * The WHERE clause for a filter, and the smallest roll-up that can answer it: the
   * all-time table without a range, else the per-minute table with just enough keys.
   */
  private where(filter: MetricsFilter, need: 'summary' | 'attribution' | 'series' | 'histogram' = 'summary'): Where {
    const allTime = filter.from === undefined && filter.to === undefined;
    const table =
      need === 'histogram'
        ? allTime
          ? 'call_latency_totals'
          : 'call_latency_minutes'
        : need === 'series'
          ? 'call_mission_minutes'
          : allTime
            ? 'call_totals'
            : need === 'attribution'
              ? 'call_minutes'
              : 'call_mission_minutes';
    checkTime('from', filter.from);
    checkTime('to', filter.to);
    const clauses: string[] = [];
    const params: Param[] = [];
    if (filter.missionId !== undefined) {
      clauses.push('mission_id = ?');
      params.push(filter.missionId);
    }
    if (filter.from !== undefined) {
      clauses.push('minute >= ?');
      params.push(minuteOf(filter.from));
    }
    if (filter.to !== undefined) {
      clauses.push('minute < ?');
      params.push(Math.ceil(filter.to / MINUTE_MS));
    }
    if (filter.model !== undefined) {
      clauses.push('model = ?');
      params.push(filter.model);
    }
    if (filter.pool !== undefined) {
      if (need === 'histogram') {
        const models = modelsOf(filter.pool);
        clauses.push(`model IN (${models.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...models);
      } else {
        clauses.push('pool = ?');
        params.push(filter.pool);
      }
    }
    return {
      table,
      sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '',
      params,
    };
  }

  private stmt(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

function windowOf(options: WindowOptions): { from: number; to: number } {
  checkTime('now', options.now);
  if (!Number.isSafeInteger(options.windowMinutes) || options.windowMinutes < 1) {
    throw new AppError('invalid_request', 'windowMinutes must be a whole number of minutes, at least 1');
  }
  const to = minuteOf(options.now) * MINUTE_MS;
  return { from: to - options.windowMinutes * MINUTE_MS, to };
}

function toTotals(row: Record<string, number | string>): UsageTotals {
  const totals = {} as UsageTotals;
  for (const [key] of TOTAL_FIELDS) totals[key] = Number(row[key] ?? 0);
  return totals;
}
