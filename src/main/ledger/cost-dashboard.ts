import type Database from 'better-sqlite3';
import {
  MAX_MISSION_OPTIONS,
  NO_TEAM_KEY,
  OTHER_TEAMS_KEY,
  type BudgetBar,
  type BurnRate,
  type CostNames,
  type CostsDashboard,
  type Projection,
  type ProjectionBasis,
  type SeriesPoint,
  type TeamSeriesPoint,
  type Throughput,
} from '../../shared/costs.js';
import type { LimiterState } from '../../shared/limits.js';
import type { MissionState } from '../../shared/mission.js';
import {
  collectAlertSnapshot,
  DEFAULT_ALERT_THRESHOLDS,
  evaluateAlerts,
  type AlertThresholds,
} from './alerts.js';
import { labelRepeats, type ScopedName } from '../../shared/team-label.js';
import { scopedId, type BudgetGuard } from './budgets.js';
import { LedgerMetrics, MINUTE_MS, type TeamMinute } from './metrics.js';

/**
 * The Costs area's one snapshot, assembled from the ledger's roll-ups (through
 * {@link LedgerMetrics}), the mission tables (names, caps, task progress), the budget
 * guard (spend held by calls in flight) and the rate limiter (queues, utilisation and
 * stopped pools, for alerts). Every read is an indexed roll-up or a mission-sized table,
 * so a refresh a second stays cheap with millions of calls.
 */

/** Teams named in the stacked series; the rest are summed as `other` so the chart stays legible. */
export const MAX_STACKED_TEAMS = 7;
/** The burn rate and throughput look at this many recent minutes. */
export const BURN_WINDOW_MINUTES = 5;
/** A mission seconds old has spent too little to extrapolate from; never divide by less. */
const MIN_BURN_ELAPSED_MS = 15_000;
/** Caps listed at most (a dashboard of every agent of a thousand missions helps no one). */
const MAX_BUDGET_BARS = 300;

const ACTIVE_STATES: readonly MissionState[] = [
  'planning',
  'awaiting_plan_approval',
  'running',
  'paused',
  'integrating',
];

export interface CostDashboardOptions {
  /** Spend held by calls in flight; without it every reservation reads 0. */
  budgets?: Pick<BudgetGuard, 'reservedNano'>;
  /** The limiter's snapshot, for queue, utilisation and stopped-pool alerts. */
  limiterState?: () => LimiterState;
  /** Alert thresholds as the person set them; the defaults otherwise. */
  thresholds?: () => AlertThresholds;
  /** Wall-clock epoch ms. */
  now?: () => number;
}

export interface DashboardQuery {
  missionId?: string;
  windowMinutes: number;
}

interface MissionRow {
  id: string;
  name: string;
  state: MissionState;
  budgetNano: number | null;
  startedAt: string | null;
  planRound: number;
}

/** Builds {@link CostsDashboard} snapshots over one ledger. */
export class CostDashboardBuilder {
  private readonly metrics: LedgerMetrics;
  private readonly options: CostDashboardOptions;
  private readonly s: ReturnType<typeof prepare>;

  constructor(db: Database.Database, options: CostDashboardOptions = {}) {
    this.metrics = new LedgerMetrics(db);
    this.options = options;
    this.s = prepare(db);
  }

  /** One snapshot: everything the Costs area shows for a mission, or for all of them. */
  build(query: DashboardQuery): CostsDashboard {
    const now = (this.options.now ?? Date.now)();
    const { missionId, windowMinutes } = query;
    const byMission = missionId !== undefined ? { missionId } : {};
    const nowMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    // The window ends with the minute in progress, so the chart moves while it fills.
    const from = nowMinute - (windowMinutes - 1) * MINUTE_MS;
    const to = nowMinute + MINUTE_MS;

    const totals = this.metrics.totals(byMission);
    const breakdowns = {
      agent: this.metrics.breakdown('agent', byMission),
      team: this.metrics.breakdown('team', byMission),
      model: this.metrics.breakdown('model', byMission),
      mission: this.metrics.breakdown('mission', byMission),
    };
    const minutes = this.metrics.timeSeries({ from, to, ...byMission });
    const { series, seriesTeams } = stackByTeam(minutes, this.metrics.teamSeries({ from, to, ...byMission }));
    const live = liveRates(minutes, now);

    const missions = missionId !== undefined ? this.missionRows([missionId]) : this.activeMissions();
    const basis = this.projectionBasis(missions, now);
    const projection = project(live.burn.nanoPerMinute, now, basis);

    const budgets = this.budgetBars(missions);
    const limiter = this.options.limiterState?.();
    const pools = limiter ? Object.values(limiter.pools) : [];
    const alerts = evaluateAlerts(
      collectAlertSnapshot(this.metrics, undefined, {
        now,
        windowMinutes: BURN_WINDOW_MINUTES,
        budgets: budgets.map((b) => ({
          scope: b.scope,
          id: b.id,
          capNano: b.capNano,
          spentNano: b.spentNano,
          missionId: b.missionId,
          label: `“${b.label}”`,
        })),
        queues: pools.map((p) => ({ depth: p.queueDepth, pool: p.pool })),
        pools: pools.map((p) => ({
          pool: p.pool,
          utilization: Math.max(...Object.values(p.buckets).map((b) => b.utilization)),
        })),
        stoppedPools: pools.flatMap((p) => (p.stopped ? [{ pool: p.pool, ...p.stopped }] : [])),
      }),
      (this.options.thresholds ?? (() => DEFAULT_ALERT_THRESHOLDS))(),
    );

    return {
      at: now,
      missionId: missionId ?? null,
      windowMinutes,
      totals,
      breakdowns,
      series,
      seriesTeams,
      burnRate: live.burn,
      projection,
      projectionBasis: basis,
      latency: this.metrics.latency({ from, to, ...byMission }),
      errorRate: this.metrics.errorRate({ from, to, ...byMission }),
      throughput: live.throughput,
      budgets,
      alerts,
      names: this.names(missionId, breakdowns, seriesTeams),
      missions: this.s.missionOptions.all(MAX_MISSION_OPTIONS) as {
        id: string;
        name: string;
        state: MissionState;
      }[],
    };
  }

  private missionRows(ids: string[]): MissionRow[] {
    return ids.flatMap((id) => {
      const row = this.s.mission.get(id) as MissionRow | undefined;
      return row ? [row] : [];
    });
  }

  private activeMissions(): MissionRow[] {
    return this.s.activeMissions.all(JSON.stringify(ACTIVE_STATES)) as MissionRow[];
  }

  /**
   * The mission's end, estimated from its progress: at the pace of the tasks finished so
   * far, the rest take proportionally long. Across several missions, the latest end and
   * the sum of what is left of their caps (null if any of them has no cap).
   */
  private projectionBasis(missions: MissionRow[], now: number): ProjectionBasis {
    let tasksDone = 0;
    let tasksTotal = 0;
    let endAt: number | null = missions.length > 0 ? now : null;
    let remaining: number | null = missions.length > 0 ? 0 : null;
    for (const m of missions) {
      const progress = this.s.taskProgress.get(m.id, m.planRound) as { done: number; total: number };
      tasksDone += progress.done;
      tasksTotal += progress.total;
      const started = m.startedAt === null ? NaN : Date.parse(m.startedAt);
      const final = m.state === 'done' || m.state === 'failed' || m.state === 'cancelled';
      let missionEnd: number | null = null;
      if (final) missionEnd = now;
      else if (progress.done > 0 && progress.total > 0 && Number.isFinite(started)) {
        missionEnd = Math.round(now + ((now - started) * (progress.total - progress.done)) / progress.done);
      }
      endAt = endAt === null || missionEnd === null ? null : Math.max(endAt, missionEnd);
      if (remaining !== null) {
        remaining =
          m.budgetNano === null
            ? null
            : remaining + Math.max(0, m.budgetNano - Number(this.s.missionSpend.get(m.id)));
      }
    }
    return { missionEndAt: endAt, remainingBudgetNano: remaining, tasksDone, tasksTotal };
  }

  private budgetBars(missions: MissionRow[]): BudgetBar[] {
    const reserved = (scope: BudgetBar['scope'], missionId: string, id: string) =>
      this.options.budgets?.reservedNano(scope, scope === 'mission' ? id : scopedId(missionId, id)) ?? 0;
    const bars: BudgetBar[] = [];
    for (const m of missions) {
      if (bars.length >= MAX_BUDGET_BARS) break;
      if (m.budgetNano !== null) {
        bars.push({
          scope: 'mission',
          missionId: m.id,
          id: m.id,
          label: m.name,
          capNano: m.budgetNano,
          spentNano: Number(this.s.missionSpend.get(m.id)),
          reservedNano: reserved('mission', m.id, m.id),
        });
      }
      const teamSpend = new Map(
        (this.s.teamSpend.all(m.id) as { id: string; spent: number }[]).map((r) => [r.id, r.spent]),
      );
      for (const t of this.s.teamCaps.all(m.id) as { id: string; name: string; capNano: number }[]) {
        bars.push({
          scope: 'team',
          missionId: m.id,
          id: t.id,
          label: t.name,
          capNano: t.capNano,
          spentNano: teamSpend.get(t.id) ?? 0,
          reservedNano: reserved('team', m.id, t.id),
        });
      }
      const agentSpend = new Map(
        (this.s.agentSpend.all(m.id) as { id: string; spent: number }[]).map((r) => [r.id, r.spent]),
      );
      for (const a of this.s.agentCaps.all(m.id) as { id: string; name: string; capNano: number }[]) {
        bars.push({
          scope: 'agent',
          missionId: m.id,
          id: a.id,
          label: a.name,
          capNano: a.capNano,
          spentNano: agentSpend.get(a.id) ?? 0,
          reservedNano: reserved('agent', m.id, a.id),
        });
      }
    }
    return bars.slice(0, MAX_BUDGET_BARS);
  }

  /**
   * Names for the keys the breakdowns and the chart show (only those, so a long history
   * costs nothing). Teams and agents are keyed by mission and id; a name that two of them
   * share says its mission, so the legend and the tables never list "Team 1" twice.
   */
  private names(
    missionId: string | undefined,
    breakdowns: CostsDashboard['breakdowns'],
    seriesTeams: readonly string[],
  ): CostNames {
    const keys = (rows: readonly (string | null)[]) => JSON.stringify(rows.filter((k): k is string => k !== null && k !== ''));
    const names: CostNames = { missions: {}, teams: {}, agents: {} };
    const missionKeys = missionId !== undefined ? JSON.stringify([missionId]) : keys(breakdowns.mission.map((r) => r.key));
    for (const r of this.s.missionNames.all(missionKeys) as { id: string; name: string }[])
      names.missions[r.id] = r.name;
    const agents = this.s.agentNames.all(keys(breakdowns.agent.map((r) => r.key))) as (ScopedName & {
      teamKey: string;
      role: string;
      model: string;
    })[];
    const agentLabels = labelRepeats(agents);
    for (const a of agents) {
      names.agents[a.key] = { name: agentLabels.get(a.key) ?? a.name, teamKey: a.teamKey, role: a.role, model: a.model };
    }
    // The agents' teams are named too, even when a team is not in the breakdown.
    const teamKeys = new Set([...breakdowns.team.map((r) => r.key), ...seriesTeams, ...agents.map((a) => a.teamKey)]);
    const teams = this.s.teamNames.all(keys([...teamKeys])) as ScopedName[];
    const teamLabels = labelRepeats(teams);
    for (const t of teams) names.teams[t.key] = teamLabels.get(t.key) ?? t.name;
    return names;
  }
}

function prepare(db: Database.Database) {
  const missionColumns =
    'id, name, state, budget_nano AS budgetNano, started_at AS startedAt, plan_round AS planRound';
  return {
    mission: db.prepare(`SELECT ${missionColumns} FROM missions WHERE id = ?`),
    activeMissions: db.prepare(
      `SELECT ${missionColumns} FROM missions WHERE state IN (SELECT value FROM json_each(?)) ORDER BY created_at DESC`,
    ),
    missionOptions: db.prepare('SELECT id, name, state FROM missions ORDER BY created_at DESC LIMIT ?'),
    taskProgress: db.prepare(
      `SELECT coalesce(sum(state IN ('merged', 'dead_letter')), 0) AS done, count(*) AS total ` +
        `FROM mission_tasks WHERE mission_id = ? AND plan_round = ? AND state <> 'cancelled'`,
    ),
    missionSpend: db
      .prepare('SELECT coalesce(sum(cost_total_nano), 0) FROM call_totals WHERE mission_id = ?')
      .pluck(),
    teamSpend: db.prepare(
      'SELECT team_id AS id, sum(cost_total_nano) AS spent FROM call_totals WHERE mission_id = ? GROUP BY team_id',
    ),
    agentSpend: db.prepare(
      'SELECT agent_id AS id, sum(cost_total_nano) AS spent FROM call_totals WHERE mission_id = ? GROUP BY agent_id',
    ),
    teamCaps: db.prepare(
      'SELECT id, name, budget_nano AS capNano FROM mission_teams WHERE mission_id = ? AND budget_nano IS NOT NULL ORDER BY sort_order',
    ),
    agentCaps: db.prepare(
      'SELECT id, name, budget_nano AS capNano FROM mission_agents WHERE mission_id = ? AND budget_nano IS NOT NULL ORDER BY sort_order',
    ),
    missionNames: db.prepare('SELECT id, name FROM missions WHERE id IN (SELECT value FROM json_each(?))'),
    // Keys are `<missionId>/<id>` (scopedKey); the join on both halves uses the primary keys.
    teamNames: db.prepare(
      `SELECT k.value AS key, t.name, m.name AS missionName FROM json_each(?) k ` +
        `JOIN mission_teams t ON t.mission_id = substr(k.value, 1, instr(k.value, '/') - 1) ` +
        `AND t.id = substr(k.value, instr(k.value, '/') + 1) ` +
        `JOIN missions m ON m.id = t.mission_id ORDER BY m.created_at, t.sort_order`,
    ),
    agentNames: db.prepare(
      `SELECT k.value AS key, a.name, m.name AS missionName, a.mission_id || '/' || a.team_id AS teamKey, a.role, a.model ` +
        `FROM json_each(?) k ` +
        `JOIN mission_agents a ON a.mission_id = substr(k.value, 1, instr(k.value, '/') - 1) ` +
        `AND a.id = substr(k.value, instr(k.value, '/') + 1) ` +
        `JOIN missions m ON m.id = a.mission_id ORDER BY m.created_at, a.sort_order`,
    ),
  };
}

/**
 * Stacks the per-team minutes onto the dense per-minute series: the dearest teams of the
 * window keep their own band, the rest share `other`.
 */
export function stackByTeam(
  minutes: readonly SeriesPoint[],
  teamMinutes: readonly TeamMinute[],
  maxTeams = MAX_STACKED_TEAMS,
): { series: TeamSeriesPoint[]; seriesTeams: string[] } {
  const spendByTeam = new Map<string, number>();
  for (const t of teamMinutes) {
    const key = t.teamKey ?? NO_TEAM_KEY;
    spendByTeam.set(key, (spendByTeam.get(key) ?? 0) + t.costNano);
  }
  const ranked = [...spendByTeam.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k]) => k);
  const named = ranked.length > maxTeams ? ranked.slice(0, maxTeams - 1) : ranked;
  const keep = new Set(named);
  const seriesTeams = ranked.length > named.length ? [...named, OTHER_TEAMS_KEY] : named;
  const byMinute = new Map<number, Record<string, number>>();
  for (const t of teamMinutes) {
    const raw = t.teamKey ?? NO_TEAM_KEY;
    const key = keep.has(raw) ? raw : OTHER_TEAMS_KEY;
    const entry = byMinute.get(t.minute) ?? {};
    entry[key] = (entry[key] ?? 0) + t.costNano;
    byMinute.set(t.minute, entry);
  }
  const series = minutes.map((p) => {
    const stacked = byMinute.get(p.minute) ?? {};
    const byTeam: Record<string, number> = {};
    for (const key of seriesTeams) byTeam[key] = stacked[key] ?? 0;
    return { minute: p.minute, totalNano: p.costNano, calls: p.calls, byTeam };
  });
  return { series, seriesTeams };
}

/**
 * Burn rate and throughput over the last {@link BURN_WINDOW_MINUTES} minutes, the one in
 * progress included, per minute actually elapsed: a mission that started 40 s ago burns
 * what it spent over 40 s, not over five minutes (which would read as nearly nothing).
 */
export function liveRates(
  minutes: readonly SeriesPoint[],
  now: number,
): { burn: BurnRate; throughput: Throughput } {
  const nowMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const windowStart = nowMinute - (BURN_WINDOW_MINUTES - 1) * MINUTE_MS;
  const recent = minutes.filter((p) => p.minute >= windowStart && p.minute <= nowMinute);
  const firstActive = minutes.find((p) => p.calls > 0);
  // Activity before the window means the window is full; otherwise count from the first call's minute.
  const start = firstActive && firstActive.minute > windowStart ? firstActive.minute : windowStart;
  const elapsedMs = Math.max(MIN_BURN_ELAPSED_MS, now - start);
  const perMinute = (n: number) => (n * MINUTE_MS) / elapsedMs;
  const sum = (pick: (p: SeriesPoint) => number) => recent.reduce((total, p) => total + pick(p), 0);
  const costNano = sum((p) => p.costNano);
  const input = sum((p) => p.inputTokens);
  const output = sum((p) => p.outputTokens);
  const cache = sum((p) => p.cacheWriteTokens + p.cacheReadTokens);
  return {
    burn: {
      from: start,
      to: now,
      windowMinutes: BURN_WINDOW_MINUTES,
      costNano,
      nanoPerMinute: Math.round(perMinute(costNano)),
    },
    throughput: {
      windowMinutes: BURN_WINDOW_MINUTES,
      callsPerMinute: perMinute(sum((p) => p.calls)),
      inputTokensPerMinute: perMinute(input),
      outputTokensPerMinute: perMinute(output),
      tokensPerMinute: perMinute(input + output + cache),
    },
  };
}

/** Extrapolates a burn rate to the estimated end and against what is left of the budget. */
export function project(nanoPerMinute: number, now: number, basis: ProjectionBasis): Projection {
  const remaining = basis.remainingBudgetNano;
  const minutesToExhaustion = remaining === null || nanoPerMinute <= 0 ? null : remaining / nanoPerMinute;
  const projectedSpendToEndNano =
    basis.missionEndAt === null
      ? null
      : Math.round((Math.max(0, basis.missionEndAt - now) / MINUTE_MS) * nanoPerMinute);
  return {
    nanoPerMinute,
    minutesToExhaustion,
    exhaustionAt: minutesToExhaustion === null ? null : Math.round(now + minutesToExhaustion * MINUTE_MS),
    projectedSpendToEndNano,
    exceedsBudget:
      projectedSpendToEndNano === null || remaining === null ? null : projectedSpendToEndNano > remaining,
  };
}
