import type { BudgetBar } from '../../../../src/shared/costs.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { budgetLevel, formatPercent } from '../../domain/costs-model.js';

const SCOPE_LABEL: Record<BudgetBar['scope'], string> = { mission: 'Mission', team: 'Team', agent: 'Agent' };

/** Every cap that applies, with what is spent and what calls in flight hold against it. */
export function BudgetPanel({ budgets, filtered }: { budgets: readonly BudgetBar[]; filtered: boolean }) {
  return (
    <section className="card budget-card" aria-labelledby="budgets-title">
      <div className="card-head">
        <h3 className="card-title" id="budgets-title">
          Budgets
        </h3>
        <span className="card-meta">{filtered ? 'This mission' : 'Active missions'}</span>
      </div>
      {budgets.length === 0 ? (
        <p className="muted budget-empty">
          No caps set{filtered ? ' for this mission' : ' on active missions'}. Give a mission, team or agent a
          budget and its spend is tracked against it here; a call that would overrun a cap is stopped before
          it is sent.
        </p>
      ) : (
        <ul className="budget-list">
          {budgets.map((b) => (
            <BudgetRow key={`${b.scope}:${b.missionId}:${b.id}`} bar={b} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BudgetRow({ bar }: { bar: BudgetBar }) {
  const level = budgetLevel(bar);
  const name = `${SCOPE_LABEL[bar.scope]} ${bar.label}`;
  return (
    <li className={`budget-row budget-${bar.scope}`}>
      <div className="budget-line">
        <span className="budget-name" title={name}>
          <span className="budget-scope">{SCOPE_LABEL[bar.scope]}</span> {bar.label}
        </span>
        <span className={`budget-figures tone-${level.tone}`}>
          {formatUsd(bar.spentNano)} <span className="muted">/ {formatUsd(bar.capNano)}</span>
        </span>
      </div>
      <div
        className="meter"
        role="meter"
        aria-label={`${name} budget used`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(Math.min(1, level.used) * 100)}
        aria-valuetext={`${formatPercent(level.used)} used, ${formatUsd(level.leftNano)} left`}
      >
        <span
          className={`meter-fill tone-${level.tone}`}
          style={{ width: `${Math.min(1, level.used) * 100}%` }}
        />
        {bar.reservedNano > 0 ? (
          <span
            className="meter-reserved"
            style={{
              left: `${Math.min(1, level.used) * 100}%`,
              width: `${Math.max(0, Math.min(1, level.committed) - Math.min(1, level.used)) * 100}%`,
            }}
            title={`${formatUsd(bar.reservedNano)} held by calls in flight`}
          />
        ) : null}
      </div>
    </li>
  );
}
