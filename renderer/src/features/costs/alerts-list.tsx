import type { Alert } from '../../../../src/shared/costs.js';
import { alertTarget } from '../../domain/costs-model.js';
import { useStore } from '../../store/index.js';

const KIND_LABEL: Record<Alert['kind'], string> = {
  budget: 'Budget',
  error_rate: 'Errors',
  latency: 'Latency',
  queue_depth: 'Queue',
  pool_utilization: 'Rate limit',
  pool_stopped: 'Pool stopped',
};

/** What needs a person now, each with a way to the mission, team, agent or pool it is about. */
export function AlertsList({
  alerts,
  missionId,
  onShowPool,
}: {
  alerts: readonly Alert[];
  missionId: string | null;
  onShowPool(pool: string): void;
}) {
  const follow = useStore((s) => s.followCostCause);
  if (alerts.length === 0) return null;
  return (
    <section className="alerts" aria-label="Alerts">
      <ul className="alert-list">
        {alerts.map((alert) => {
          const target = alertTarget(alert, missionId);
          return (
            <li key={alert.id} className={`alert alert-${alert.severity}`}>
              <span className={`badge ${alert.severity === 'critical' ? 'badge-danger' : 'badge-warn'}`}>
                {KIND_LABEL[alert.kind]}
              </span>
              <span className="alert-message">{capitalise(alert.message)}</span>
              {target ? (
                <button
                  type="button"
                  className="btn btn-small alert-link"
                  onClick={() => (target.kind === 'pool' ? onShowPool(target.pool) : follow(target))}
                >
                  {target.label} →
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
