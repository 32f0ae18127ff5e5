import {
  NO_TEAM_KEY,
  OTHER_TEAMS_KEY,
  type Alert,
  type BreakdownRow,
  type BudgetBar,
  type CostNames,
  type CostsDashboard,
} from '../../../src/shared/costs.js';
import type { BucketName, PoolState } from '../../../src/shared/limits.js';
import { findModel } from '../../../src/shared/models.js';
import { formatUsd, nanoToUsd } from '../../../src/shared/money.js';

/**
 * The Costs area's pure logic: formatting, the chart's data, sorting, budget and gauge
 * levels, pool status and where an alert leads. Components only lay these out.
 */

// Formatting

/** "$0.24/min"; sub-cent rates keep enough digits to not read as zero. */
export function formatRate(nanoPerMinute: number): string {
  return `${formatUsd(nanoPerMinute)}/min`;
}

/** 980, 34.5k, 1.2M: token counts at a glance. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}B`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function trim(n: number): string {
  return (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)).replace(/\.0$/, '');
}

/** 850 ms, 2.3 s, 1 min 05 s; an em dash when unknown. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** 0.4%, 12%, 100%. */
export function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  if (pct !== 0 && Math.abs(pct) < 10) return `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** "45 min", "3 h 20 min", "2 d 4 h": how far away something is. */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes)) return '—';
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** 14:05 for a chart axis. */
export function formatClock(ms: number): string {
  return clock.format(new Date(ms));
}

// Names

export function teamLabel(key: string, names: CostNames): string {
  if (key === OTHER_TEAMS_KEY) return 'Other teams';
  if (key === NO_TEAM_KEY) return 'No team (background)';
  return names.teams[key] ?? key;
}

export function modelLabel(id: string | null): string {
  if (id === null) return 'Unknown model';
  return findModel(id)?.label ?? id;
}

// The chart

/** Mid-tone colours that read on the light and the dark theme alike. */
export const SERIES_COLORS = [
  '#4c6ef5',
  '#12b886',
  '#f59f00',
  '#e8590c',
  '#be4bdb',
  '#15aabf',
  '#e64980',
  '#868e96',
];

/**
 * A colour per stacked team, never two alike. A team keeps its colour while the stack
 * reorders (the dearest team moves to the bottom as spend shifts): each key takes the
 * colour its hash points at, and a key whose colour is taken takes the next free one
 * (keys in sorted order, so every render agrees). The stack holds at most as many teams
 * as there are team colours (`MAX_STACKED_TEAMS` in main); `other` is always grey.
 */
export function seriesColors(keys: readonly string[]): Record<string, string> {
  const teamColors = SERIES_COLORS.length - 1;
  const colors: Record<string, string> = {};
  const taken = new Set<number>();
  for (const key of [...keys].sort()) {
    if (key === OTHER_TEAMS_KEY) {
      colors[key] = SERIES_COLORS[teamColors]!;
      continue;
    }
    let slot = hashOf(key) % teamColors;
    for (let tries = 0; taken.has(slot) && tries < teamColors; tries += 1) slot = (slot + 1) % teamColors;
    taken.add(slot);
    colors[key] = SERIES_COLORS[slot]!;
  }
  return colors;
}

function hashOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i += 1) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return hash;
}

/** One chart row: the minute, and dollars (not nano) per stacked team. */
export type ChartPoint = { minute: number } & Record<string, number>;

export type ChartMode = 'cumulative' | 'per-minute';

/** Minutes always shown, however recent the first call: a one-point chart says nothing. */
export const MIN_CHART_MINUTES = 10;

/**
 * The chart's rows: spend per minute, or spend accumulated since the start of the
 * window. Quiet minutes before the first call are left out (down to
 * {@link MIN_CHART_MINUTES}), so a mission that started two minutes ago fills the chart
 * instead of hugging its right edge.
 */
export function chartPoints(
  dashboard: Pick<CostsDashboard, 'series' | 'seriesTeams'>,
  mode: ChartMode = 'per-minute',
): ChartPoint[] {
  const { series, seriesTeams } = dashboard;
  const firstActive = series.findIndex((p) => p.calls > 0 || p.totalNano > 0);
  const start =
    firstActive < 0 ? 0 : Math.max(0, Math.min(firstActive - 1, series.length - MIN_CHART_MINUTES));
  const running: Record<string, number> = {};
  return series.slice(start).map((p) => {
    const point: ChartPoint = { minute: p.minute };
    for (const key of seriesTeams) {
      const nano = p.byTeam[key] ?? 0;
      running[key] = (running[key] ?? 0) + nano;
      point[key] = nanoToUsd(mode === 'cumulative' ? running[key] : nano);
    }
    return point;
  });
}

/** Total dollars spent over the chart's window. */
export function windowSpendNano(dashboard: Pick<CostsDashboard, 'series'>): number {
  return dashboard.series.reduce((sum, p) => sum + p.totalNano, 0);
}

// The per-agent table

export interface AgentRow {
  key: string;
  name: string;
  team: string;
  model: string;
  role: string;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheTokens: number;
  costNano: number;
  /** Share of the total spend. */
  share: number;
}

export const AGENT_SORT_KEYS = [
  'name',
  'team',
  'model',
  'calls',
  'errors',
  'inputTokens',
  'outputTokens',
  'cacheTokens',
  'costNano',
] as const;
export type AgentSortKey = (typeof AGENT_SORT_KEYS)[number];
export interface AgentSort {
  key: AgentSortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_AGENT_SORT: AgentSort = { key: 'costNano', dir: 'desc' };

/** Text sorts A→Z first; numbers biggest first. */
export function defaultDir(key: AgentSortKey): 'asc' | 'desc' {
  return key === 'name' || key === 'team' || key === 'model' ? 'asc' : 'desc';
}

/** Clicking the sorted column flips it; another column starts in its natural direction. */
export function nextSort(current: AgentSort, key: AgentSortKey): AgentSort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: defaultDir(key) };
}

export function agentRows(rows: readonly BreakdownRow[], names: CostNames, totalNano: number): AgentRow[] {
  return rows.map((r) => {
    const known = r.key === null ? undefined : names.agents[r.key];
    return {
      key: r.key ?? NO_TEAM_KEY,
      name: known?.name ?? r.key ?? 'Background work',
      team: known ? (names.teams[known.teamKey] ?? known.teamKey) : '—',
      model: known ? modelLabel(known.model) : '—',
      role: known?.role ?? '',
      calls: r.calls,
      errors: r.errorCalls + r.partialCalls,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cacheTokens: r.cacheReadTokens + r.cacheCreation5mTokens + r.cacheCreation1hTokens,
      costNano: r.costTotalNano,
      share: totalNano > 0 ? r.costTotalNano / totalNano : 0,
    };
  });
}

export function sortAgentRows(rows: readonly AgentRow[], sort: AgentSort): AgentRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    // Ties keep a stable, readable order: by name.
    return order !== 0 ? sign * order : a.name.localeCompare(b.name);
  });
}

// Budgets

export type Tone = 'ok' | 'warn' | 'critical';

export interface BudgetLevel {
  /** Spent / cap, 0.. (above 1 when overrun). */
  used: number;
  /** Spent + held by calls in flight, over the cap. */
  committed: number;
  tone: Tone;
  leftNano: number;
}

export function budgetLevel(bar: Pick<BudgetBar, 'capNano' | 'spentNano' | 'reservedNano'>): BudgetLevel {
  const ratio = (n: number) => (bar.capNano > 0 ? n / bar.capNano : n > 0 ? 1 : 0);
  const used = ratio(bar.spentNano);
  return {
    used,
    committed: ratio(bar.spentNano + bar.reservedNano),
    tone: used >= 0.95 ? 'critical' : used >= 0.8 ? 'warn' : 'ok',
    leftNano: Math.max(0, bar.capNano - bar.spentNano),
  };
}

// Rate limits

export const BUCKET_LABELS: Record<BucketName, string> = {
  requests: 'Requests / min',
  input: 'Input tokens / min',
  output: 'Output tokens / min',
};

export interface Gauge {
  bucket: BucketName;
  label: string;
  /** In use, 0..1 (clamped for the bar; `debt` says it went beyond). */
  fill: number;
  /** Granted over the last minute. */
  used: number;
  limit: number;
  debt: boolean;
  tone: Tone;
}

/**
 * Each bucket as a gauge of the last minute's use against the per-minute limit. The
 * bucket's own level refills continuously (a request is back within milliseconds at
 * thousands of RPM), so it only adds the case the minute hides: a burst or debt that
 * makes the next call wait.
 */
export function poolGauges(pool: PoolState): Gauge[] {
  return (Object.keys(BUCKET_LABELS) as BucketName[]).map((bucket) => {
    const b = pool.buckets[bucket];
    const minute = b.effectiveLimit > 0 ? b.usedLastMinute / b.effectiveLimit : 0;
    const load = Math.max(minute, b.utilization);
    return {
      bucket,
      label: BUCKET_LABELS[bucket],
      fill: Math.min(1, Math.max(0, load)),
      used: Math.max(0, Math.round(b.usedLastMinute)),
      limit: b.effectiveLimit,
      debt: b.utilization > 1,
      tone: load >= 0.95 ? 'critical' : load >= 0.8 ? 'warn' : 'ok',
    };
  });
}

export type PoolCondition = 'stopped' | 'breaker-open' | 'breaker-half-open' | 'paused' | 'running';

export interface PoolStatus {
  condition: PoolCondition;
  label: string;
  detail: string | null;
  tone: Tone;
}

export function poolStatus(pool: PoolState, now: number): PoolStatus {
  if (pool.stopped)
    return { condition: 'stopped', label: 'Stopped', detail: pool.stopped.message, tone: 'critical' };
  if (pool.breaker.state === 'open') {
    const wait = pool.breaker.openUntil === null ? null : Math.max(0, pool.breaker.openUntil - now);
    return {
      condition: 'breaker-open',
      label: 'Breaker open',
      detail: `${pool.breaker.consecutiveFailures} failures in a row${wait === null ? '' : `; trying again in ${formatMs(wait)}`}`,
      tone: 'critical',
    };
  }
  if (pool.breaker.state === 'half-open') {
    return {
      condition: 'breaker-half-open',
      label: 'Testing',
      detail: 'One trial call after failures',
      tone: 'warn',
    };
  }
  if (pool.pausedUntil !== null && pool.pausedUntil > now) {
    return {
      condition: 'paused',
      label: 'Paused',
      detail: `Rate limited; resumes in ${formatMs(pool.pausedUntil - now)}`,
      tone: 'warn',
    };
  }
  return { condition: 'running', label: 'Running', detail: null, tone: 'ok' };
}

// Alerts

export type AlertTarget =
  | { kind: 'mission'; missionId: string; label: string }
  | { kind: 'team'; missionId: string; teamId: string; label: string }
  | { kind: 'agent'; missionId: string; agentId: string; label: string }
  | { kind: 'pool'; pool: string; label: string };

/** Where "go to the cause" leads: the agent, its team, the mission, or the pool's gauges. */
export function alertTarget(
  alert: Pick<Alert, 'cause'>,
  fallbackMissionId: string | null,
): AlertTarget | null {
  const { cause } = alert;
  const missionId = cause.missionId ?? fallbackMissionId;
  if (cause.agentId !== undefined && missionId)
    return { kind: 'agent', missionId, agentId: cause.agentId, label: 'Open agent' };
  if (cause.teamId !== undefined && missionId)
    return { kind: 'team', missionId, teamId: cause.teamId, label: 'Show team' };
  if (cause.missionId !== undefined)
    return { kind: 'mission', missionId: cause.missionId, label: 'Open mission' };
  if (cause.pool !== undefined) return { kind: 'pool', pool: cause.pool, label: 'Show pool' };
  return null;
}

/** The alerts that concern a pool, for the rate limits panel. */
export function alertsForPool(alerts: readonly Alert[], pool: string): Alert[] {
  return alerts.filter((a) => a.cause.pool === pool && a.cause.missionId === undefined);
}
