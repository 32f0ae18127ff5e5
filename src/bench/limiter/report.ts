/** Plain-text table of the limiter benchmark: contenders side by side. */
import type { ScenarioResult } from './run-scenario.js';

const pct = (x: number, digits = 1): string => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '-');
const secs = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const share = (part: number, whole: number): string => (whole > 0 ? pct(part / whole, 2) : '-');

/** Rows of metric name then one cell per result. */
export function resultRows(results: readonly ScenarioResult[]): string[][] {
  const row = (name: string, cell: (r: ScenarioResult) => string): string[] => [name, ...results.map(cell)];
  return [
    row('output tokens billed / OTPM (binding)', (r) => pct(r.endpointOutputFraction)),
    row('  least-squares rate over the window', (r) => pct(r.fraction.output)),
    row('input tokens billed / ITPM', (r) => pct(r.fraction.input)),
    row('requests billed / RPM', (r) => pct(r.fraction.requests)),
    row(
      'server OTPM bucket, window start -> end',
      (r) => `${pct(r.outputLevel.start, 0)} -> ${pct(r.outputLevel.end, 0)}`,
    ),
    row('HTTP 429 responses, whole run', (r) => `${r.http.rateLimited} of ${r.http.total}`),
    row('  share of all HTTP responses', (r) => share(r.http.rateLimited, r.http.total)),
    row(
      '  by limit named',
      (r) =>
        Object.entries(r.http.rateLimitedBy)
          .map(([limit, n]) => `${limit.replace(' tokens', '')}: ${n}`)
          .join(', ') || '-',
    ),
    row('  share in the measured window', (r) => share(r.http.windowRateLimited, r.http.windowTotal)),
    row(
      'other non-200 responses',
      (r) =>
        Object.entries(r.http.other)
          .map(([s, n]) => `${s}: ${n}`)
          .join(', ') || '0',
    ),
    row('calls issued / completed', (r) => `${r.calls.issued} / ${r.calls.completed}`),
    row('calls the client gave up on (re-issued)', (r) => String(r.calls.giveUps)),
    row('calls sent OK in the window (wait sample)', (r) => String(r.calls.sentOkInWindow)),
    row('P50 wait', (r) => secs(r.waitMs.p50)),
    row('P95 wait', (r) => secs(r.waitMs.p95)),
    row('max wait', (r) => secs(r.waitMs.max)),
    row('most requests in flight at the server', (r) => String(r.serverMaxInFlight)),
    row('event-loop delay P99 (fake + clients)', (r) => `${r.eventLoopP99Ms.toFixed(0)} ms`),
    row(
      'CPU used, fake + clients (per completed call)',
      (r) => `${(r.cpuMs / 1000).toFixed(1)} s (${(r.cpuMs / Math.max(1, r.calls.completed)).toFixed(1)} ms)`,
    ),
    row(
      'service time P50 / P95 (sent to streamed)',
      (r) => `${secs(r.serviceMs.p50)} / ${secs(r.serviceMs.p95)}`,
    ),
  ];
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** ours / baseline for the headline metrics. */
export function ratioRows(ours: ScenarioResult, baselines: readonly ScenarioResult[]): string[][] {
  const ratio = (a: number, b: number): string =>
    b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-';
  const share429 = (r: ScenarioResult): number => (r.http.total > 0 ? r.http.rateLimited / r.http.total : 0);
  return baselines.map((b) => [
    `${ours.contender.label} vs ${b.contender.label}`,
    `throughput ${ratio(ours.endpointOutputFraction, b.endpointOutputFraction)}`,
    `429 share ${share429(b) > 0 ? ratio(share429(ours), share429(b)) : '-'}`,
    `P95 wait ${ratio(ours.waitMs.p95, b.waitMs.p95)}`,
    `give-ups ${ours.calls.giveUps} vs ${b.calls.giveUps}`,
  ]);
}
