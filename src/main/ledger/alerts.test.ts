import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_THRESHOLDS, collectAlertSnapshot, evaluateAlerts, resolveAlertThresholds } from './alerts.js';
import { BudgetGuard, ledgerSpendSource } from './budgets.js';
import { CallsRepository } from './calls-repository.js';
import { openLedger } from './database.js';
import { LedgerMetrics } from './metrics.js';
import { defaultPricer } from './pricing.js';

describe('evaluateAlerts', () => {
  it('raises nothing for a healthy snapshot', () => {
    expect(
      evaluateAlerts({
        budgets: [{ scope: 'mission', id: 'm1', capNano: 100, spentNano: 79 }],
        errorRates: [{ calls: 1_000, errors: 20 }],
        latencies: [{ p95Ms: 30_000, count: 10 }],
        queues: [{ depth: 500 }],
        pools: [{ pool: 'opus', utilization: 0.9 }],
      }),
    ).toEqual([]);
  });

  it('raises each kind at its default threshold, with its cause, critical first', () => {
    const alerts = evaluateAlerts({
      budgets: [
        { scope: 'mission', id: 'm1', capNano: 10_000_000_000, spentNano: 8_000_000_000 },
        { scope: 'agent', id: 'a7', capNano: 1_000_000_000, spentNano: 990_000_000 },
      ],
      errorRates: [{ calls: 100, errors: 3, missionId: 'm1', pool: 'sonnet' }],
      latencies: [{ p95Ms: 31_000, count: 40, pool: 'opus' }],
      queues: [{ depth: 1_200, pool: 'haiku' }],
      pools: [{ pool: 'opus', utilization: 0.95 }],
    });
    expect(alerts.map((a) => [a.id, a.kind, a.severity])).toEqual([
      ['budget:agentId=a7', 'budget', 'critical'],
      ['queue_depth:pool=haiku', 'queue_depth', 'critical'],
      ['budget:missionId=m1', 'budget', 'warning'],
      ['error_rate:missionId=m1,pool=sonnet', 'error_rate', 'warning'],
      ['latency:pool=opus', 'latency', 'warning'],
      ['pool_utilization:pool=opus', 'pool_utilization', 'warning'],
    ]);
    expect(alerts.find((a) => a.kind === 'budget' && a.severity === 'warning')).toMatchObject({
      cause: { missionId: 'm1' },
      value: 0.8,
      threshold: 0.8,
      message: 'mission m1 has used 80.0% of its $10.00 budget ($8.00 spent)',
    });
    expect(alerts.find((a) => a.kind === 'error_rate')).toMatchObject({
      cause: { missionId: 'm1', pool: 'sonnet' },
      message: 'error rate 3.0% (3 of 100 calls) for mission m1, sonnet pool is above 2.0%',
    });
    expect(alerts.find((a) => a.kind === 'latency')!.message).toBe('P95 latency 31.0 s for opus pool is above 30.0 s');
    expect(JSON.parse(JSON.stringify(alerts))).toEqual(alerts);
  });

  it('ignores error rates over too few calls and latencies without calls', () => {
    expect(
      evaluateAlerts({ errorRates: [{ calls: 5, errors: 5 }], latencies: [{ p95Ms: null, count: 0 }] }),
    ).toEqual([]);
  });

  it('uses edited thresholds, keeping defaults for the rest', () => {
    const edited = resolveAlertThresholds({ queueDepth: 10, errorRate: 0.5 });
    expect(edited).toEqual({ ok: true, data: { ...DEFAULT_ALERT_THRESHOLDS, queueDepth: 10, errorRate: 0.5 } });
    if (!edited.ok) throw new Error('unreachable');
    const snapshot = { queues: [{ depth: 11 }], errorRates: [{ calls: 100, errors: 3 }] };
    expect(evaluateAlerts(snapshot, edited.data).map((a) => a.id)).toEqual(['queue_depth:all']);
    expect(resolveAlertThresholds({ poolUtilization: 2, queueDepth: -1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringMatching(/thresholds\.queueDepth.*thresholds\.poolUtilization|thresholds\.poolUtilization.*thresholds\.queueDepth/) },
    });
    expect(resolveAlertThresholds({ budgetUsedRatio: 0.9, budgetCriticalRatio: 0.5 })).toMatchObject({ ok: false });
  });
});

describe('collectAlertSnapshot', () => {
  it('feeds ledger figures into evaluateAlerts', () => {
    const ledger = openLedger(':memory:');
    const pricer = defaultPricer();
    const repo = new CallsRepository(ledger.db, pricer);
    const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
    // 30 opus calls in the last minutes, 3 failed and all slow (45 s); haiku healthy.
    repo.insertMany(
      Array.from({ length: 60 }, (_, i) => ({
        requestId: `r${i}`,
        missionId: 'm1',
        modelRequested: i % 2 === 0 ? 'claude-opus-4-5' : 'claude-haiku-4-5',
        status: i % 2 === 0 && i < 6 ? ('error' as const) : ('ok' as const),
        startedAt: T0 + i * 1_000,
        endedAt: T0 + i * 1_000 + (i % 2 === 0 ? 45_000 : 2_000),
        usage: { inputTokens: 100_000 },
      })),
    );
    const guard = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
    guard.setCap('mission', 'm1', 20_000_000_000);
    const snapshot = collectAlertSnapshot(new LedgerMetrics(ledger.db), guard, {
      now: T0 + 3 * 60_000,
      windowMinutes: 3,
      pools: [{ pool: 'sonnet', utilization: 0.5 }],
    });
    expect(snapshot.errorRates?.find((e) => e.pool === 'opus')).toEqual({ calls: 30, errors: 3, pool: 'opus' });
    // Spend 18 of 20 dollars (90%); errors 5% overall, 10% on opus (critical at 2x 2%); P95 45 s.
    expect(evaluateAlerts(snapshot).map((a) => [a.id, a.severity])).toEqual([
      ['error_rate:all', 'critical'],
      ['error_rate:pool=opus', 'critical'],
      ['budget:missionId=m1', 'warning'],
      ['latency:all', 'warning'],
      ['latency:pool=opus', 'warning'],
    ]);
    ledger.close();
  });

  it('names a scoped cap by its label with its mission, and a stopped pool is critical', () => {
    const alerts = evaluateAlerts({
      budgets: [{ scope: 'agent', id: 'a1', missionId: 'm1', label: '“Ada”', capNano: 100, spentNano: 90 }],
      stoppedPools: [{ pool: 'opus', message: 'spend limit reached', since: 0 }],
    });
    expect(alerts.map((a) => [a.id, a.severity, a.cause])).toEqual([
      ['pool_stopped:pool=opus', 'critical', { pool: 'opus' }],
      ['budget:missionId=m1,agentId=a1', 'warning', { missionId: 'm1', agentId: 'a1' }],
    ]);
    expect(alerts[1]!.message).toBe('agent “Ada” has used 90.0% of its $0.0000 budget ($0.0000 spent)');
  });
});
