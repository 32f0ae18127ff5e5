import { useId } from 'react';
import {
  DEFAULT_WORKLOAD,
  LIMIT_LABELS,
  MIN_MEASURED_CALLS,
  POOL_LABELS,
  describePool,
  workloadFigures,
  type DesignEstimate,
  type WorkloadFigure,
} from '../../../../src/shared/design-estimate.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { AGENT_ROLES } from '../../../../src/shared/team.js';
import { ROLE_LABELS } from '../../domain/design-form.js';
import { plural } from '../../lib/format.js';
import type { DesignerSettings } from '../../store/index.js';
import { shortModel } from './agent-row.js';

export const CONFIGURED_LIMITS = 'configured';

const hours = (h: number) =>
  h >= 10 ? `${Math.round(h)} h` : h >= 1 ? `${h.toFixed(1)} h` : `${Math.round(h * 60)} min`;
/** 950 → "950", 1,200 → "1.2k", 450,000 → "450k", 2,000,000 → "2M": figures to compare, not to add up. */
const kilo = (n: number): string => {
  const short = (v: number) => String(Number(v.toFixed(v < 10 ? 1 : 0)));
  if (n >= 1_000_000) return `${short(n / 1_000_000)}M`;
  if (n >= 1_000) return `${short(n / 1_000)}k`;
  return String(Math.round(n));
};

/** "measured over 412 calls" or "assumed": where a figure of the estimate comes from. */
export function sourceText(figure: WorkloadFigure): string {
  return figure.source === 'measured' ? `measured over ${figure.calls.toLocaleString('en-US')} calls` : 'assumed';
}

interface EstimatePanelProps {
  estimate: DesignEstimate;
  settings: DesignerSettings;
  limitsChoice: string;
  limitsLabel: string;
  /** The configured limits' tier name, or "custom". */
  configuredLabel: string;
  onLimitsChoice(choice: string): void;
  onRetry(): void;
}

/** Cost per hour and rate-limit headroom before launch, with the assumptions in view. */
export function EstimatePanel({
  estimate,
  settings,
  limitsChoice,
  limitsLabel,
  configuredLabel,
  onLimitsChoice,
  onRetry,
}: EstimatePanelProps) {
  const id = useId();
  // The design's roles and models as the estimate priced them; the role defaults for an empty design.
  const rows =
    estimate.workload.length > 0
      ? estimate.workload
      : AGENT_ROLES.map((role) => workloadFigures(role, '', undefined, DEFAULT_WORKLOAD));
  const measuredAny = rows.some((w) => w.callsPerHour.source === 'measured');
  const limited = estimate.limitedNanoPerHour < estimate.nanoPerHour;
  const ready = settings.status === 'ready';

  return (
    <section className="card estimate" aria-labelledby={`${id}-title`}>
      <div className="estimate-head">
        <h3 id={`${id}-title`} className="card-title">
          Estimate before launch
        </h3>
        <div className="estimate-limits">
          <label htmlFor={`${id}-limits`} className="field-label">
            Rate limits
          </label>
          <select
            id={`${id}-limits`}
            className="input input-compact"
            value={limitsChoice}
            onChange={(event) => onLimitsChoice(event.target.value)}
          >
            <option value={CONFIGURED_LIMITS}>
              {settings.poolLimitsStored
                ? `Configured (${configuredLabel})`
                : `Engine default (${configuredLabel})`}
            </option>
            {settings.presets.map((preset) => (
              <option key={preset.id} value={preset.id}>
                {preset.label}
              </option>
            ))}
          </select>
        </div>
      </div>

      {settings.status === 'loading' || settings.status === 'idle' ? (
        <p className="muted" role="status">
          <span className="spinner spinner-inline" aria-hidden="true" /> Loading prices and limits…
        </p>
      ) : settings.status === 'error' ? (
        <div className="inline-error estimate-error" role="alert">
          <span>Could not load the price table and limits: {settings.error}</span>
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Try again
          </button>
        </div>
      ) : null}

      {ready ? (
        <>
          <div className="estimate-total">
            <span className="estimate-figure" data-testid="estimate-total">
              {formatUsd(estimate.nanoPerHour)}
            </span>
            <span className="muted">per hour with every agent busy</span>
          </div>
          {limited ? (
            <p className="estimate-limited">
              The rate limits allow about <strong>{formatUsd(estimate.limitedNanoPerHour)}/h</strong>: agents
              queue for the rest.
            </p>
          ) : null}

          {estimate.teams.length > 0 ? (
            <table className="estimate-table" aria-label="Cost per team">
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col" className="num">
                    $/hour
                  </th>
                  <th scope="col" className="num">
                    Budget lasts
                  </th>
                </tr>
              </thead>
              <tbody>
                {estimate.teams.map((team) => (
                  <tr key={team.teamId}>
                    <th scope="row">{team.name.trim() || 'Unnamed team'}</th>
                    <td className="num">{formatUsd(team.nanoPerHour)}</td>
                    <td className="num">{team.budgetHours === null ? '—' : hours(team.budgetHours)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}

          {estimate.pools.length > 0 ? (
            <ul className="pool-list" aria-label="Rate-limit pools">
              {estimate.pools.map((pool) => {
                const pct = Math.round(pool.utilisation * 100);
                const tone = pool.utilisation > 1 ? 'over' : pool.utilisation > 0.8 ? 'near' : 'ok';
                const binding = estimate.binding?.pool === pool.pool;
                return (
                  <li key={pool.pool} className={`pool pool-${tone}`}>
                    <div className="pool-line">
                      <span className="pool-name">
                        {POOL_LABELS[pool.pool]}
                        {binding ? <span className="pool-binding">binding</span> : null}
                      </span>
                      <span className="pool-pct">{pct}%</span>
                    </div>
                    <div
                      className="pool-bar"
                      role="meter"
                      aria-label={`${POOL_LABELS[pool.pool]} pool use of ${LIMIT_LABELS[pool.binding]}`}
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={Math.min(pct, 100)}
                      aria-valuetext={`${pct}%`}
                    >
                      <span style={{ width: `${Math.min(pct, 100)}%` }} />
                    </div>
                    <p className="pool-text">{describePool(pool, limitsLabel)}.</p>
                    <p className="pool-detail muted">
                      {plural(pool.agents, 'agent')} · {kilo(pool.use.rpm.need)}/{kilo(pool.use.rpm.limit)}{' '}
                      RPM · {kilo(pool.use.itpm.need)}/{kilo(pool.use.itpm.limit)} in ·{' '}
                      {kilo(pool.use.otpm.need)}/{kilo(pool.use.otpm.limit)} out TPM
                    </p>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p className="muted">Add agents to see the estimate.</p>
          )}

          {estimate.unpriced.length > 0 ? (
            <p className="estimate-unpriced" role="note">
              No price for {estimate.unpriced.join(', ')}: left out of the totals. Add it in Settings →
              Prices.
            </p>
          ) : null}

          <details className="estimate-assumptions" open={measuredAny || undefined}>
            <summary>{measuredAny ? 'Workload: measured and assumed' : 'Assumptions'}</summary>
            <p className="muted">
              Every agent busy all hour, at prices in force now. Cached prompt reads are billed at the
              cache-read price and do not count against input TPM. A role on a model that past missions ran for
              at least {MIN_MEASURED_CALLS} calls is estimated from what they measured (calls per hour from each
              agent&apos;s first call to its last, waits included); any other is assumed. Real figures for a
              mission are on the Costs screen.
            </p>
            <table className="estimate-table" aria-label="Workload per role">
              <thead>
                <tr>
                  <th scope="col">Role</th>
                  <th scope="col" className="num">
                    Calls/h
                  </th>
                  <th scope="col" className="num">
                    In + cached + written
                  </th>
                  <th scope="col" className="num">
                    Out
                  </th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((w) => (
                  <tr key={`${w.role}/${w.model}`} data-testid="estimate-workload-row">
                    <th scope="row">
                      {ROLE_LABELS[w.role]}
                      {w.model ? <span className="muted"> · {shortModel(w.model)}</span> : null}
                    </th>
                    <td className="num">{kilo(w.callsPerHour.value)}</td>
                    <td className="num">
                      {kilo(w.inputTokensPerCall.value)} + {kilo(w.cachedInputTokensPerCall.value)} +{' '}
                      {kilo(w.cacheWriteTokensPerCall.value)}
                    </td>
                    <td className="num">{kilo(w.outputTokensPerCall.value)}</td>
                    <td className="muted">{sourceText(w.callsPerHour)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      ) : null}
    </section>
  );
}
