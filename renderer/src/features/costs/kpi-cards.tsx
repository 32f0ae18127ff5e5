import type { ReactNode } from 'react';
import type { CostsDashboard } from '../../../../src/shared/costs.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { formatMinutes, formatPercent, formatRate, windowSpendNano } from '../../domain/costs-model.js';
import { plural } from '../../lib/format.js';

/** The four figures a person looks at first: spent, burn, where it is heading, and how calls fare. */
export function KpiCards({ costs }: { costs: CostsDashboard }) {
  const { totals, burnRate, projectionBasis: basis, errorRate } = costs;
  const missionCap = costs.missionId
    ? costs.budgets.find((b) => b.scope === 'mission' && b.id === costs.missionId)
    : undefined;
  return (
    <section className="kpi-row" aria-label="Spend summary">
      <Kpi label="Spent" value={formatUsd(totals.costTotalNano)} testId="kpi-spent">
        {missionCap ? (
          <>of {formatUsd(missionCap.capNano)} budget</>
        ) : (
          <>
            {formatUsd(windowSpendNano(costs))} in the window · {plural(totals.calls, 'call')}
          </>
        )}
      </Kpi>
      <Kpi label="Burn rate" value={formatRate(burnRate.nanoPerMinute)} testId="kpi-burn">
        {burnRate.nanoPerMinute > 0 ? (
          <>≈ {formatUsd(burnRate.nanoPerMinute * 60)} an hour</>
        ) : (
          <>Nothing spent lately</>
        )}
      </Kpi>
      <Kpi label={projectionLabel(costs)} value={projectionValue(costs)} testId="kpi-projection">
        {projectionDetail(costs)}
      </Kpi>
      <Kpi
        label="Error rate"
        value={errorRate.calls === 0 ? '—' : formatPercent(errorRate.rate)}
        tone={errorRate.rate > 0.02 && errorRate.calls >= 20 ? 'warn' : undefined}
        testId="kpi-errors"
      >
        {errorRate.calls === 0
          ? 'No calls in the window'
          : `${plural(errorRate.errors, 'failed call')} of ${errorRate.calls.toLocaleString('en-US')}`}
        {basis.tasksTotal > 0 ? ` · ${basis.tasksDone}/${basis.tasksTotal} tasks done` : ''}
      </Kpi>
    </section>
  );
}

function projectionLabel(costs: CostsDashboard): string {
  if (costs.projection.projectedSpendToEndNano !== null) return 'Projected at the end';
  if (costs.projection.minutesToExhaustion !== null) return 'Budget lasts';
  return 'Projection';
}

function projectionValue(costs: CostsDashboard): string {
  const { projection, totals } = costs;
  if (projection.projectedSpendToEndNano !== null)
    return formatUsd(totals.costTotalNano + projection.projectedSpendToEndNano);
  if (projection.minutesToExhaustion !== null) return formatMinutes(projection.minutesToExhaustion);
  return '—';
}

function projectionDetail(costs: CostsDashboard) {
  const { projection, projectionBasis: basis } = costs;
  if (projection.projectedSpendToEndNano !== null) {
    const over = projection.exceedsBudget === true;
    return (
      <span className={over ? 'kpi-warn-text' : undefined}>
        {over
          ? 'Over budget at this rate'
          : basis.remainingBudgetNano !== null
            ? 'Within budget at this rate'
            : 'No budget set'}
        {basis.missionEndAt !== null && basis.missionEndAt > costs.at
          ? ` · ends in ~${formatMinutes((basis.missionEndAt - costs.at) / 60_000)}`
          : ''}
      </span>
    );
  }
  if (projection.minutesToExhaustion !== null) {
    return (
      <>
        Until the{' '}
        {basis.remainingBudgetNano !== null ? `${formatUsd(basis.remainingBudgetNano)} left` : 'budget'} runs
        out at this rate
      </>
    );
  }
  if (basis.remainingBudgetNano !== null) return <>{formatUsd(basis.remainingBudgetNano)} of budget left</>;
  return costs.missionId ? (
    <>Needs a finished task to estimate the end</>
  ) : (
    <>Choose a mission to project its end</>
  );
}

function Kpi({
  label,
  value,
  children,
  tone,
  testId,
}: {
  label: string;
  value: string;
  children: ReactNode;
  tone?: 'warn' | undefined;
  testId: string;
}) {
  return (
    <div className={`card kpi${tone ? ` kpi-${tone}` : ''}`} data-testid={testId}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value" aria-label={`${label}: ${value}`}>
        {value}
      </div>
      <div className="kpi-detail">{children}</div>
    </div>
  );
}
