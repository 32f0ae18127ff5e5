import { z } from 'zod';
import type { MissionState } from './mission.js';
import type { ModelPool } from './models.js';

/**
 * What the cost dashboard shows, as plain JSON: the ledger's metrics (computed in
 * `src/main/ledger/metrics.ts`), budgets and alerts. Money is always integer nano-dollars;
 * times are epoch milliseconds.
 */

/** Sums over a set of calls. */
export interface UsageTotals {
  calls: number;
  okCalls: number;
  errorCalls: number;
  cancelledCalls: number;
  partialCalls: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreation5mTokens: number;
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  thinkingTokens: number;
  serverToolRequests: number;
  costInputNano: number;
  costOutputNano: number;
  costCacheWriteNano: number;
  costCacheReadNano: number;
  costServerToolsNano: number;
  costTotalNano: number;
}

export type BreakdownDimension = 'agent' | 'team' | 'model' | 'mission';

/** One group of a breakdown; `key` is null for calls without that attribution. */
export interface BreakdownRow extends UsageTotals {
  key: string | null;
}

/** One minute of a time series; `minute` is the epoch ms at which it starts. */
export interface SeriesPoint {
  minute: number;
  calls: number;
  errorCalls: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costNano: number;
}

export interface BurnRate {
  from: number;
  to: number;
  windowMinutes: number;
  costNano: number;
  /** Rounded to the nearest nano-dollar. */
  nanoPerMinute: number;
}

export interface Projection {
  nanoPerMinute: number;
  /** Minutes until the remaining budget is spent at this rate; null without a budget or a burn. */
  minutesToExhaustion: number | null;
  exhaustionAt: number | null;
  /** Spend from now to missionEndAt at this rate; null without an end estimate. */
  projectedSpendToEndNano: number | null;
  /** True when the projected spend to the end exceeds the remaining budget. */
  exceedsBudget: boolean | null;
}

export interface LatencySummary {
  /** Completed ('ok') calls measured. */
  count: number;
  /** Histogram estimates: never below the true value, at most ~5% above it. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  maxMs: number | null;
}

export interface ErrorRate {
  calls: number;
  /** 'error' and 'partial' (a stream that died); a cancel is the user's choice, not an error. */
  errors: number;
  rate: number;
}

export interface Throughput {
  windowMinutes: number;
  callsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
  /** Input, output, cache write and cache read tokens. */
  tokensPerMinute: number;
}

// Alerts

export const alertThresholdsSchema = z.strictObject({
  /** Warn when committed spend reaches this share of a cap. */
  budgetUsedRatio: z.number().gt(0).max(1),
  /** Critical from this share of a cap on. */
  budgetCriticalRatio: z.number().gt(0).max(1),
  /** Share of calls that failed ('error' or 'partial'). */
  errorRate: z.number().gt(0).max(1),
  /** Fewer calls than this say nothing about an error rate. */
  minCallsForErrorRate: z.number().int().min(1).max(1_000_000),
  p95LatencyMs: z.number().int().min(1).max(3_600_000),
  queueDepth: z.number().int().min(1).max(10_000_000),
  /** Share of a pool's rate limit in use (0..1). */
  poolUtilization: z.number().gt(0).max(1),
  /** Error rate, latency and queue depth turn critical at this multiple of their threshold. */
  criticalFactor: z.number().min(1).max(100),
});
export type AlertThresholds = z.infer<typeof alertThresholdsSchema>;

/** What an alert is about; the UI links to it (a mission, team, agent or pool). */
export interface AlertCause {
  missionId?: string;
  teamId?: string;
  agentId?: string;
  pool?: ModelPool;
}

export type AlertKind =
  'budget' | 'error_rate' | 'latency' | 'queue_depth' | 'pool_utilization' | 'pool_stopped';
export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** Stable across evaluations (`kind:cause`), so a standing alert can be told from a new one. */
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  cause: AlertCause;
  value: number;
  threshold: number;
}

// The dashboard

export type BudgetScopeName = 'mission' | 'team' | 'agent';

/** One budget cap with what is spent and held against it, within one mission. */
export interface BudgetBar {
  scope: BudgetScopeName;
  missionId: string;
  /** The mission, team or agent id. */
  id: string;
  label: string;
  capNano: number;
  /** Committed in the ledger (for teams and agents: within this mission). */
  spentNano: number;
  /** Held by calls in flight right now (their worst case). */
  reservedNano: number;
}

/** One minute of spend, split by team; `other` collects teams beyond the ones named. */
export interface TeamSeriesPoint {
  minute: number;
  totalNano: number;
  calls: number;
  /** Team key (see {@link CostsDashboard.seriesTeams}) to nano-dollars. */
  byTeam: Record<string, number>;
}

/** What the projection was based on, so the UI can say so. */
export interface ProjectionBasis {
  /** Estimated end of the mission from its task progress; null when it cannot be told. */
  missionEndAt: number | null;
  /** The mission cap minus committed spend; null without a cap. */
  remainingBudgetNano: number | null;
  tasksDone: number;
  tasksTotal: number;
}

/**
 * Labels for the keys the ledger's breakdowns answer. Missions are keyed by id; teams and
 * agents by `<missionId>/<id>` (`scopedKey`), since a design's ids repeat in each of its
 * missions. A team or agent name that two of them share carries its mission's name.
 */
export interface CostNames {
  missions: Record<string, string>;
  teams: Record<string, string>;
  agents: Record<string, { name: string; teamKey: string; role: string; model: string }>;
}

export interface CostsDashboard {
  /** When the snapshot was taken. */
  at: number;
  missionId: string | null;
  windowMinutes: number;
  /** All-time totals (for the mission when filtered). */
  totals: UsageTotals;
  breakdowns: Record<BreakdownDimension, BreakdownRow[]>;
  /** The window, minute by minute, stacked by team. */
  series: TeamSeriesPoint[];
  /** Stack order, dearest first; the special key `other` may follow. */
  seriesTeams: string[];
  burnRate: BurnRate;
  projection: Projection;
  projectionBasis: ProjectionBasis;
  latency: LatencySummary;
  errorRate: ErrorRate;
  throughput: Throughput;
  budgets: BudgetBar[];
  alerts: Alert[];
  names: CostNames;
  /** Missions to filter by, newest first (capped at {@link MAX_MISSION_OPTIONS}). */
  missions: { id: string; name: string; state: MissionState }[];
}

export const MAX_MISSION_OPTIONS = 200;

/** The key that gathers teams beyond the stacked ones in {@link TeamSeriesPoint.byTeam}. */
export const OTHER_TEAMS_KEY = 'other';
/** The key for calls without a team (background work). */
export const NO_TEAM_KEY = '(none)';

export interface CallsExport {
  fileName: string;
  csv: string;
  rows: number;
  /** True when more rows matched than one export carries ({@link MAX_EXPORT_ROWS}). */
  truncated: boolean;
}

/** Most rows one `costs:export-calls` answers; the CLI exports everything. */
export const MAX_EXPORT_ROWS = 50_000;
