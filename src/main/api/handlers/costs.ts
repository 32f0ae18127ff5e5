import type Database from 'better-sqlite3';
import { MAX_EXPORT_ROWS } from '../../../shared/costs.js';
import type { AlertThresholds } from '../../../shared/costs.js';
import { CostDashboardBuilder } from '../../ledger/cost-dashboard.js';
import type { BudgetGuard } from '../../ledger/budgets.js';
import { callsCsv } from '../../ledger/export.js';
import type { RateLimiter } from '../../limiter/index.js';
import type { Handlers } from '../dispatch.js';
import type { EventHub } from '../event-hub.js';

type CostsHandlers = Pick<
  Handlers,
  'costs:get-dashboard' | 'costs:export-calls' | 'limits:get-state' | 'limits:resume-pool'
>;

export interface CostsHandlerDeps {
  db: Database.Database;
  limiter: Pick<RateLimiter, 'getState' | 'resumePool'>;
  budgets?: Pick<BudgetGuard, 'reservedNano'>;
  /** Alert thresholds as the person set them; the defaults otherwise. */
  thresholds?: () => AlertThresholds;
  /** Wall-clock epoch ms (tests pin it). */
  now?: () => number;
  /** Most rows one CSV export carries. */
  maxExportRows?: number;
}

/** A file name that sorts by time and says what it holds: `calls-m-1a2b-20260115-1005.csv`. */
export function exportFileName(missionId: string | undefined, at: number): string {
  const stamp = new Date(at).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const scope = missionId === undefined ? 'all' : missionId.replace(/[^A-Za-z0-9_-]/g, '_');
  return `calls-${scope}-${stamp}.csv`;
}

/**
 * The Costs area's commands: the dashboard snapshot, the CSV of the calls it shows, and
 * the rate limiter's state and resume. Read-only except `limits:resume-pool`.
 */
export function costsHandlers(deps: CostsHandlerDeps): CostsHandlers {
  const now = deps.now ?? Date.now;
  const dashboard = new CostDashboardBuilder(deps.db, {
    ...(deps.budgets ? { budgets: deps.budgets } : {}),
    limiterState: () => deps.limiter.getState(),
    ...(deps.thresholds ? { thresholds: deps.thresholds } : {}),
    now,
  });
  return {
    'costs:get-dashboard': ({ missionId, windowMinutes }) =>
      dashboard.build({ windowMinutes, ...(missionId !== undefined ? { missionId } : {}) }),
    'costs:export-calls': ({ missionId, from, to }) => {
      const out = callsCsv(
        deps.db,
        {
          ...(missionId !== undefined ? { missionId } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
        },
        deps.maxExportRows ?? MAX_EXPORT_ROWS,
      );
      return { fileName: exportFileName(missionId, now()), ...out };
    },
    'limits:get-state': () => deps.limiter.getState(),
    'limits:resume-pool': ({ pool }) => {
      deps.limiter.resumePool(pool);
      return deps.limiter.getState();
    },
  };
}

/**
 * What the gateway calls after each ledger row: a `costs:changed` event, coalesced per
 * mission by the hub, so a thousand busy agents still cost the UI a few refreshes a second.
 */
export function costsChangedNotifier(
  events: Pick<EventHub, 'emit'>,
  now: () => number = Date.now,
): (record: { missionId?: string | null }) => void {
  return (record) => {
    const missionId = record.missionId ?? null;
    events.emit('costs:changed', { at: now(), missionId }, missionId ?? '');
  };
}

/** Forwards the limiter's (already throttled) state to the UI as `limits:changed`; returns the unsubscribe. */
export function forwardLimiterState(
  limiter: Pick<RateLimiter, 'onChange'>,
  events: Pick<EventHub, 'emit'>,
): () => void {
  return limiter.onChange((state) => events.emit('limits:changed', state, 'state'));
}
