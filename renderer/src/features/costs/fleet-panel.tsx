import type { FleetStatusView, FleetWorkerView } from '../../../../src/shared/contract/fleet.js';
import { formatMs, formatPercent } from '../../domain/costs-model.js';
import { fleetCapacity, formatUptime, unreachableText, workerLoad } from '../../domain/fleet-model.js';
import { plural } from '../../lib/format.js';
import { useStore, type LoadStatus } from '../../store/index.js';

/** The fleet panel as the Costs screen shows it, from the store (which polls while the screen is open). */
export function FleetPanel() {
  const fleet = useStore((s) => s.fleet);
  const status = useStore((s) => s.fleetStatus);
  const error = useStore((s) => s.fleetError);
  const at = useStore((s) => s.fleetAt);
  const loadFleet = useStore((s) => s.loadFleet);
  return (
    <FleetPanelView
      fleet={fleet}
      status={status}
      error={error}
      onRetry={() => void loadFleet()}
      now={at ?? 0}
    />
  );
}

export interface FleetPanelViewProps {
  fleet: FleetStatusView | null;
  status: LoadStatus;
  /** Why the last ask failed; with `fleet` set, the last snapshot stays shown under it. */
  error: string | null;
  onRetry(): void;
  /** When the snapshot was taken, for the workers' uptimes. */
  now: number;
}

/**
 * Where built-in agents' turns run when a fleet is configured: the workers online and
 * their load, the queue, how long turns wait, and the dead letters (in the Inbox).
 */
export function FleetPanelView({ fleet, status, error, onRetry, now }: FleetPanelViewProps) {
  return (
    <section className="card fleet-card" aria-labelledby="fleet-title">
      <div className="card-head">
        <h3 className="card-title" id="fleet-title">
          Fleet
        </h3>
        <span className="card-meta">
          {fleet?.enabled ? (
            <>
              Workers on <code>{fleet.redisUrl}</code> · refreshed every 2 s
            </>
          ) : (
            "Worker machines for built-in agents' turns"
          )}
        </span>
      </div>
      {fleet && error ? (
        <div className="inline-error" role="alert">
          <span>Could not refresh the fleet: {error}. Showing the last snapshot.</span>
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Retry
          </button>
        </div>
      ) : null}
      {fleet ? (
        <FleetBody fleet={fleet} now={now} />
      ) : status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not read the fleet: {error}</span>
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Retry
          </button>
        </div>
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Reading the fleet…
        </div>
      )}
    </section>
  );
}

function FleetBody({ fleet, now }: { fleet: FleetStatusView; now: number }) {
  if (!fleet.enabled) {
    return (
      <div className="fleet-off" role="status">
        <p className="fleet-state">
          <span className="badge">Not enabled</span> Every turn runs in this process.
        </p>
        <p className="muted">
          To run built-in agents' turns on worker machines, start with <code>--redis URL</code> or set the
          Redis URL in <a href="#/settings">Settings</a>, then start workers with{' '}
          <code>control-room worker --redis URL</code>.
        </p>
      </div>
    );
  }
  if (!fleet.connected) {
    return (
      <div className="fleet-down">
        <div className="inline-error" role="alert">
          <span>{unreachableText(fleet.error)}</span>
        </div>
        <p className="muted">Built-in agents' turns fail with this reason until Redis answers.</p>
      </div>
    );
  }
  const capacity = fleetCapacity(fleet.workers);
  return (
    <>
      <dl className="stat-grid fleet-stats">
        <Stat
          label="Workers online"
          value={String(capacity.online)}
          detail={capacity.draining > 0 ? `${capacity.draining} draining` : undefined}
        />
        <Stat
          label="Turns running"
          value={`${capacity.active} / ${capacity.concurrency}`}
          detail={
            capacity.concurrency > 0
              ? `${formatPercent(capacity.active / capacity.concurrency)} of capacity`
              : 'no capacity'
          }
        />
        <Stat
          label="Queue"
          value={`${fleet.queue.waiting.toLocaleString('en-US')} waiting`}
          detail={`${fleet.queue.active.toLocaleString('en-US')} active · ${fleet.queue.delayed.toLocaleString('en-US')} delayed`}
        />
        <Stat
          label="Wait P50"
          value={formatMs(fleet.waitMs.p50)}
          detail={plural(fleet.waitMs.samples, 'turn')}
        />
        <Stat label="Wait P95" value={formatMs(fleet.waitMs.p95)} />
        <div className="stat">
          <dt>Dead letters</dt>
          <dd>
            <span className={`stat-value${fleet.deadLetters > 0 ? ' tone-critical' : ''}`}>
              {fleet.deadLetters.toLocaleString('en-US')}
            </span>
            <a className="stat-detail" href="#/inbox">
              {fleet.deadLetters > 0 ? 'Review in the Inbox' : 'Inbox'}
            </a>
          </dd>
        </div>
      </dl>
      {fleet.workers.length === 0 ? (
        <p className="muted fleet-empty" role="status">
          No workers online: turns wait in the queue until one starts (
          <code>control-room worker --redis URL</code>).
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table costs-table fleet-table" aria-label="Fleet workers">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Load</th>
                <th scope="col" className="num">
                  Processed
                </th>
                <th scope="col">Up</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {fleet.workers.map((w) => (
                <WorkerRow key={w.id} worker={w} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function WorkerRow({ worker, now }: { worker: FleetWorkerView; now: number }) {
  const load = workerLoad(worker);
  return (
    <tr>
      <th scope="row">
        <span className="cell-main">{worker.host}</span>
        <span className="cell-sub">
          pid {worker.pid} · {worker.id}
        </span>
      </th>
      <td>
        <div className="fleet-load">
          <div
            className="meter meter-thin"
            role="meter"
            aria-label={`${worker.host}: turns running`}
            aria-valuemin={0}
            aria-valuemax={worker.concurrency}
            aria-valuenow={worker.active}
          >
            <span className={`meter-fill tone-${load.tone}`} style={{ width: `${load.ratio * 100}%` }} />
          </div>
          <span className="fleet-load-figures">
            {worker.active} / {worker.concurrency}
          </span>
        </div>
      </td>
      <td className="num">{worker.processed.toLocaleString('en-US')}</td>
      <td className="nowrap">
        <time dateTime={new Date(worker.startedAt).toISOString()}>{formatUptime(worker.startedAt, now)}</time>
      </td>
      <td>
        {worker.draining ? (
          <span className="badge badge-warn" title="Finishing the turns it holds; takes no new ones">
            Draining
          </span>
        ) : (
          <span className="badge badge-success">Online</span>
        )}
      </td>
    </tr>
  );
}

function Stat({ label, value, detail }: { label: string; value: string; detail?: string | undefined }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>
        <span className="stat-value">{value}</span>
        {detail ? <span className="stat-detail">{detail}</span> : null}
      </dd>
    </div>
  );
}
