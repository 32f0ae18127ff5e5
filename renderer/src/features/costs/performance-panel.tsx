import type { CostsDashboard } from '../../../../src/shared/costs.js';
import { formatCount, formatMs, formatPercent } from '../../domain/costs-model.js';

/** How calls fare: latency percentiles, errors and throughput over the window. */
export function PerformancePanel({ costs }: { costs: CostsDashboard }) {
  const { latency, errorRate, throughput } = costs;
  return (
    <section className="card perf-card" aria-labelledby="perf-title">
      <div className="card-head">
        <h3 className="card-title" id="perf-title">
          Call performance
        </h3>
        <span className="card-meta">
          Latency and errors over the window · throughput over the last {throughput.windowMinutes} minutes
        </span>
      </div>
      <dl className="stat-grid">
        <Stat label="P50 latency" value={formatMs(latency.p50Ms)} />
        <Stat label="P95 latency" value={formatMs(latency.p95Ms)} />
        <Stat label="P99 latency" value={formatMs(latency.p99Ms)} />
        <Stat
          label="Error rate"
          value={errorRate.calls === 0 ? '—' : formatPercent(errorRate.rate)}
          detail={`${errorRate.errors} of ${errorRate.calls}`}
        />
        <Stat label="Calls / min" value={formatCount(throughput.callsPerMinute)} />
        <Stat
          label="Tokens / min"
          value={formatCount(throughput.tokensPerMinute)}
          detail={`${formatCount(throughput.inputTokensPerMinute)} in · ${formatCount(throughput.outputTokensPerMinute)} out`}
        />
      </dl>
    </section>
  );
}

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
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
