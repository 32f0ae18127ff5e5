import { useEffect } from 'react';
import type { Alert } from '../../../../src/shared/costs.js';
import type { PoolState } from '../../../../src/shared/limits.js';
import type { ModelPool } from '../../../../src/shared/models.js';
import { priorityLabel } from '../../../../src/shared/steering.js';
import { alertsForPool, formatCount, formatPercent, poolGauges, poolStatus } from '../../domain/costs-model.js';
import { useStore } from '../../store/index.js';
import { teamTitle } from '../../../../src/shared/team-label.js';

const POOL_LABEL: Record<ModelPool, string> = { opus: 'Opus', sonnet: 'Sonnet', haiku: 'Haiku' };
const POOLS: readonly ModelPool[] = ['opus', 'sonnet', 'haiku'];

/** The shared rate limiter, pool by pool: how full each bucket is, what waits, and what is stopped. */
export function LimitsPanel({
  alerts,
  focusedPool,
}: {
  alerts: readonly Alert[];
  focusedPool: string | null;
}) {
  const limiter = useStore((s) => s.limiter);
  const status = useStore((s) => s.limiterStatus);
  const error = useStore((s) => s.limiterError);
  const loadLimiter = useStore((s) => s.loadLimiter);
  return (
    <section className="limits" aria-labelledby="limits-title">
      <div className="section-head">
        <h3 className="section-title" id="limits-title">
          Rate limits
        </h3>
        <span className="card-meta">Shared by every agent, per model pool</span>
      </div>
      {limiter ? (
        <div className="pool-grid">
          {POOLS.map((pool) => (
            <PoolCard
              key={pool}
              state={limiter.pools[pool]}
              at={limiter.at}
              alerts={alertsForPool(alerts, pool).filter((a) => a.kind !== 'pool_stopped')}
              focused={focusedPool === pool}
            />
          ))}
        </div>
      ) : status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not read the rate limiter: {error}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadLimiter()}>
            Retry
          </button>
        </div>
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Reading the rate limiter…
        </div>
      )}
      <TeamShares />
    </section>
  );
}

/** Team priorities change on the missions' pages, not here: a slow refresh is enough. */
const PRIORITIES_REFRESH_MS = 5_000;

/**
 * Each running team's weight in the limiter's fair share, as the person set it on the
 * mission's page, and the share of a busy pool it gets while every unpaused team waits.
 */
function TeamShares() {
  const priorities = useStore((s) => s.teamPriorities);
  const load = useStore((s) => s.loadTeamPriorities);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), PRIORITIES_REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  if (priorities.length === 0) return null;
  const total = priorities.reduce((n, p) => n + (p.paused ? 0 : p.weight), 0);
  return (
    <div className="card team-shares" style={{ marginTop: 12 }} aria-labelledby="team-shares-title">
      <h4 className="pool-name" id="team-shares-title">
        Team priorities
      </h4>
      <ul className="gauge-list">
        {priorities.map((p) => {
          const share = p.paused || total === 0 ? 0 : p.weight / total;
          const label = `${p.missionName} · ${teamTitle(p.teamName)}`;
          return (
            <li key={`${p.missionId}/${p.teamId}`} className="gauge">
              <div className="gauge-line">
                <span>{label}</span>
                <span className="gauge-figures">
                  {p.paused ? 'paused' : priorityLabel(p.weight)}
                  <span className="muted"> · {formatPercent(share)} when all are busy</span>
                </span>
              </div>
              <div
                className="meter meter-thin"
                role="meter"
                aria-label={`${label}: share of a busy pool`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(share * 100)}
              >
                <span className="meter-fill tone-ok" style={{ width: `${share * 100}%` }} />
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function PoolCard({
  state,
  at,
  alerts,
  focused,
}: {
  state: PoolState;
  at: number;
  alerts: Alert[];
  focused: boolean;
}) {
  const resume = useStore((s) => s.resumePool);
  const resuming = useStore((s) => s.resumingPools.includes(state.pool));
  const status = poolStatus(state, at);
  const name = `${POOL_LABEL[state.pool]} pool`;
  const needsResume = status.condition === 'stopped' || status.condition === 'breaker-open';
  return (
    <article
      className={`card pool-card${focused ? ' pool-focused' : ''}${alerts.length > 0 ? ' pool-alerting' : ''}`}
      id={`pool-${state.pool}`}
      tabIndex={-1}
      aria-label={name}
    >
      <header className="pool-head">
        <h4 className="pool-name">{name}</h4>
        <span className={`badge ${toneBadge(status.tone)}`}>{status.label}</span>
      </header>
      {status.detail ? <p className={`pool-detail tone-${status.tone}`}>{status.detail}</p> : null}
      <ul className="gauge-list">
        {poolGauges(state).map((g) => (
          <li key={g.bucket} className="gauge">
            <div className="gauge-line">
              <span>{g.label}</span>
              <span className={`gauge-figures tone-${g.tone}`}>
                {formatPercent(g.fill)}
                <span className="muted">
                  {' '}
                  · {formatCount(g.used)} / {formatCount(g.limit)}
                </span>
              </span>
            </div>
            <div
              className="meter meter-thin"
              role="meter"
              aria-label={`${name}: ${g.label}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(g.fill * 100)}
            >
              <span className={`meter-fill tone-${g.tone}`} style={{ width: `${g.fill * 100}%` }} />
            </div>
          </li>
        ))}
      </ul>
      <dl className="pool-stats">
        <div>
          <dt>Queued</dt>
          <dd>{state.queueDepth.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{state.inFlight.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{formatPercent(state.rateFactor)}</dd>
        </div>
        <div>
          <dt>Breaker</dt>
          <dd>{state.breaker.state}</dd>
        </div>
      </dl>
      {alerts.map((a) => (
        <p key={a.id} className={`pool-alert tone-${a.severity === 'critical' ? 'critical' : 'warn'}`}>
          {a.message}
        </p>
      ))}
      {needsResume ? (
        <button
          type="button"
          className="btn btn-primary pool-resume"
          onClick={() => void resume(state.pool)}
          disabled={resuming}
        >
          {resuming ? <span className="spinner" aria-hidden="true" /> : null}
          Resume {POOL_LABEL[state.pool]} pool
        </button>
      ) : null}
    </article>
  );
}

function toneBadge(tone: 'ok' | 'warn' | 'critical'): string {
  return tone === 'ok' ? 'badge-success' : tone === 'warn' ? 'badge-warn' : 'badge-danger';
}
