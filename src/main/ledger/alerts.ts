import {
  alertThresholdsSchema,
  type Alert,
  type AlertCause,
  type AlertKind,
  type AlertSeverity,
  type AlertThresholds,
} from '../../shared/costs.js';
import { MODELS, type ModelPool } from '../../shared/models.js';
import { formatUsd } from '../../shared/money.js';
import type { Result } from '../../shared/result.js';
import { formatIssues } from '../../shared/validation.js';
import type { BudgetGuard, BudgetScope } from './budgets.js';
import { MINUTE_MS, type LedgerMetrics } from './metrics.js';

/**
 * Alerts: a pure function from a metrics snapshot and editable thresholds to the list of
 * what needs a person's attention. Ids are stable (`kind:cause`), so the UI can tell a
 * standing alert from a new one across evaluations. The types and the thresholds'
 * schema live in src/shared (the UI shows and edits them) and are re-exported here.
 */

export {
  alertThresholdsSchema,
  type Alert,
  type AlertCause,
  type AlertKind,
  type AlertSeverity,
  type AlertThresholds,
} from '../../shared/costs.js';

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  budgetUsedRatio: 0.8,
  budgetCriticalRatio: 0.95,
  errorRate: 0.02,
  minCallsForErrorRate: 20,
  p95LatencyMs: 30_000,
  queueDepth: 500,
  poolUtilization: 0.9,
  criticalFactor: 2,
};

/**
 * Validates thresholds a person edited; missing fields keep their defaults. Answers
 * `invalid_request` naming each bad field.
 */
export function resolveAlertThresholds(edited: unknown): Result<AlertThresholds> {
  const base = typeof edited === 'object' && edited !== null ? edited : {};
  const parsed = alertThresholdsSchema.safeParse({ ...DEFAULT_ALERT_THRESHOLDS, ...base });
  if (!parsed.success) {
    return { ok: false, error: { code: 'invalid_request', message: formatIssues(parsed.error.issues, 'thresholds') } };
  }
  if (parsed.data.budgetCriticalRatio < parsed.data.budgetUsedRatio) {
    return {
      ok: false,
      error: { code: 'invalid_request', message: 'thresholds.budgetCriticalRatio: must not be below budgetUsedRatio' },
    };
  }
  return { ok: true, data: parsed.data };
}

/** What the engine, limiter and ledger know right now; any part may be left out. */
export interface AlertMetricsSnapshot {
  /**
   * Caps and their spend. `missionId` scopes a team's or agent's cap to its mission (the
   * cause then names both); `label` is what the message calls it (default: the id).
   */
  budgets?: { scope: BudgetScope; id: string; capNano: number; spentNano: number; missionId?: string; label?: string }[];
  errorRates?: ({ calls: number; errors: number } & AlertCause)[];
  latencies?: ({ p95Ms: number | null; count: number } & AlertCause)[];
  queues?: ({ depth: number } & AlertCause)[];
  pools?: { pool: ModelPool; utilization: number }[];
  /** Pools the limiter stopped until a person resumes them (a spend limit, a hard 429). */
  stoppedPools?: { pool: ModelPool; message: string; since: number }[];
}

const SCOPE_CAUSE: Record<BudgetScope, keyof AlertCause> = { mission: 'missionId', team: 'teamId', agent: 'agentId' };

function causeOf(source: AlertCause): AlertCause {
  const cause: AlertCause = {};
  if (source.missionId !== undefined) cause.missionId = source.missionId;
  if (source.teamId !== undefined) cause.teamId = source.teamId;
  if (source.agentId !== undefined) cause.agentId = source.agentId;
  if (source.pool !== undefined) cause.pool = source.pool;
  return cause;
}

function describeCause(cause: AlertCause): string {
  const parts = [
    cause.missionId !== undefined && `mission ${cause.missionId}`,
    cause.teamId !== undefined && `team ${cause.teamId}`,
    cause.agentId !== undefined && `agent ${cause.agentId}`,
    cause.pool !== undefined && `${cause.pool} pool`,
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 0 ? parts.join(', ') : 'overall';
}

function alertId(kind: AlertKind, cause: AlertCause): string {
  const key = (['missionId', 'teamId', 'agentId', 'pool'] as const)
    .filter((k) => cause[k] !== undefined)
    .map((k) => `${k}=${String(cause[k])}`)
    .join(',');
  return `${kind}:${key || 'all'}`;
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/**
 * Evaluates every threshold against the snapshot. Pure: same input, same alerts, in a
 * stable order (critical first, then by id).
 */
export function evaluateAlerts(
  snapshot: AlertMetricsSnapshot,
  thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS,
): Alert[] {
  const alerts: Alert[] = [];
  const push = (kind: AlertKind, cause: AlertCause, severity: AlertSeverity, value: number, threshold: number, message: string) =>
    alerts.push({ id: alertId(kind, cause), kind, severity, message, cause, value, threshold });

  for (const b of snapshot.budgets ?? []) {
    // A zero cap means "spend nothing": a setting, not an emergency, until something is
    // spent; then it counts as fully used (not Infinity, which JSON cannot carry).
    const used = b.capNano > 0 ? b.spentNano / b.capNano : b.spentNano > 0 ? 1 : 0;
    if (used < thresholds.budgetUsedRatio) continue;
    const cause: AlertCause = {
      ...(b.missionId !== undefined && b.scope !== 'mission' && { missionId: b.missionId }),
      [SCOPE_CAUSE[b.scope]]: b.id,
    };
    push(
      'budget',
      cause,
      used >= thresholds.budgetCriticalRatio ? 'critical' : 'warning',
      used,
      thresholds.budgetUsedRatio,
      `${b.scope} ${b.label ?? b.id} has used ${pct(used)} of its ${formatUsd(b.capNano)} budget ` +
        `(${formatUsd(b.spentNano)} spent)`,
    );
  }

  for (const e of snapshot.errorRates ?? []) {
    if (e.calls < thresholds.minCallsForErrorRate) continue;
    const rate = e.errors / e.calls;
    if (rate <= thresholds.errorRate) continue;
    const cause = causeOf(e);
    push(
      'error_rate',
      cause,
      rate >= thresholds.errorRate * thresholds.criticalFactor ? 'critical' : 'warning',
      rate,
      thresholds.errorRate,
      `error rate ${pct(rate)} (${e.errors} of ${e.calls} calls) for ${describeCause(cause)} is above ${pct(thresholds.errorRate)}`,
    );
  }

  for (const l of snapshot.latencies ?? []) {
    if (l.p95Ms === null || l.count === 0 || l.p95Ms <= thresholds.p95LatencyMs) continue;
    const cause = causeOf(l);
    push(
      'latency',
      cause,
      l.p95Ms >= thresholds.p95LatencyMs * thresholds.criticalFactor ? 'critical' : 'warning',
      l.p95Ms,
      thresholds.p95LatencyMs,
      `P95 latency ${(l.p95Ms / 1000).toFixed(1)} s for ${describeCause(cause)} is above ${(thresholds.p95LatencyMs / 1000).toFixed(1)} s`,
    );
  }

  for (const q of snapshot.queues ?? []) {
    if (q.depth <= thresholds.queueDepth) continue;
    const cause = causeOf(q);
    push(
      'queue_depth',
      cause,
      q.depth >= thresholds.queueDepth * thresholds.criticalFactor ? 'critical' : 'warning',
      q.depth,
      thresholds.queueDepth,
      `${q.depth} calls waiting for ${describeCause(cause)} (more than ${thresholds.queueDepth})`,
    );
  }

  for (const p of snapshot.pools ?? []) {
    if (p.utilization <= thresholds.poolUtilization) continue;
    const cause: AlertCause = { pool: p.pool };
    push(
      'pool_utilization',
      cause,
      p.utilization >= 1 ? 'critical' : 'warning',
      p.utilization,
      thresholds.poolUtilization,
      `${p.pool} pool at ${pct(p.utilization)} of its rate limit (above ${pct(thresholds.poolUtilization)})`,
    );
  }

  for (const p of snapshot.stoppedPools ?? []) {
    // Nothing runs on a stopped pool until a person resumes it: always critical.
    push('pool_stopped', { pool: p.pool }, 'critical', 1, 1, `${p.pool} pool stopped: ${p.message}`);
  }

  const rank = (s: AlertSeverity) => (s === 'critical' ? 0 : 1);
  return alerts.sort((a, b) => rank(a.severity) - rank(b.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Gathers the ledger's side of an alert snapshot: every cap's usage, and the error rate
 * and P95 latency overall and per pool over the last `windowMinutes` whole minutes. The
 * limiter adds `queues`, `pools` and `stoppedPools`, which the ledger cannot know; given
 * `budgets` replace the guard's caps (the dashboard passes caps scoped to missions).
 */
export function collectAlertSnapshot(
  metrics: LedgerMetrics,
  budgets: BudgetGuard | undefined,
  options: { now: number; windowMinutes?: number } & Pick<AlertMetricsSnapshot, 'budgets' | 'queues' | 'pools' | 'stoppedPools'>,
): AlertMetricsSnapshot {
  const to = Math.floor(options.now / MINUTE_MS) * MINUTE_MS;
  const from = to - (options.windowMinutes ?? 5) * MINUTE_MS;
  const pools = [...new Set(MODELS.map((m) => m.pool))];
  const scopes: ({ pool?: ModelPool })[] = [{}, ...pools.map((pool) => ({ pool }))];
  return {
    budgets: options.budgets ?? budgets?.usage() ?? [],
    errorRates: scopes.map((scope) => {
      const { calls, errors } = metrics.errorRate({ from, to, ...scope });
      return { calls, errors, ...scope };
    }),
    latencies: scopes.map((scope) => {
      const { p95Ms, count } = metrics.latency({ from, to, ...scope });
      return { p95Ms, count, ...scope };
    }),
    ...(options.queues && { queues: options.queues }),
    ...(options.pools && { pools: options.pools }),
    ...(options.stoppedPools && { stoppedPools: options.stoppedPools }),
  };
}
