import type { AllPoolLimits } from './limits.js';
import { findModel, type ModelPool } from './models.js';
import { NANO_PER_USD } from './money.js';
import { effectiveFromMs, type PriceTable } from './pricing.js';
import type { AgentRole } from './team.js';

/**
 * A before-launch estimate of what a design costs per hour and whether the account's
 * rate limits let it run at full speed. It is arithmetic on stated assumptions, not a
 * forecast: the assumptions are exported so the UI can show them next to the numbers.
 *
 * Amounts are integer nano-dollars like every other amount in the app; they are never
 * stored, but keeping one unit avoids a second formatter and rounding surprises.
 */

/** What one busy agent of a role does in an hour. */
export interface RoleWorkload {
  callsPerHour: number;
  /** Fresh (uncached) input tokens per call: billed at the input price, counted by ITPM. */
  inputTokensPerCall: number;
  /** Prompt-cache reads per call: billed at the cache-read price, not counted by ITPM. */
  cachedInputTokensPerCall: number;
  /**
   * Prompt-cache writes per call (5-minute and 1-hour): billed at the cache-write prices
   * and counted by ITPM like fresh input. Absent: none (the assumed workloads below).
   */
  cacheWrite5mTokensPerCall?: number;
  cacheWrite1hTokensPerCall?: number;
  outputTokensPerCall: number;
}

/**
 * A role's workload on one model as this ledger's past missions measured it
 * (`src/main/ledger/workload.ts`). An agent-hour runs from the minute an agent's first
 * call ended to the end of the minute its last one did, within one mission, waits
 * between calls included: the pace a mission really keeps, not that of a loop that never waits.
 */
export interface MeasuredWorkload extends Required<RoleWorkload> {
  role: AgentRole;
  /** The model the design names (the requested model, not the dated snapshot that answered). */
  model: string;
  /** Calls the figures rest on. */
  calls: number;
  /** Distinct agents (one per mission and agent id) whose calls these are. */
  agents: number;
  agentHours: number;
}

/** Fewer calls than this for a role on a model, and its measured figures are not used. */
export const MIN_MEASURED_CALLS = 20;

/** One figure of the estimate's workload and where it comes from. */
export type WorkloadFigure =
  | { value: number; source: 'measured'; calls: number }
  | { value: number; source: 'assumed' };

/** The workload the estimate used for a role on a model, each figure with its source. */
export interface WorkloadFigures {
  role: AgentRole;
  model: string;
  callsPerHour: WorkloadFigure;
  inputTokensPerCall: WorkloadFigure;
  cachedInputTokensPerCall: WorkloadFigure;
  cacheWriteTokensPerCall: WorkloadFigure;
  outputTokensPerCall: WorkloadFigure;
}

/**
 * Assumptions, from the shape of the work rather than measurement:
 * - coders loop edit → run tool → read result about once a minute, each turn adding a
 *   few thousand fresh tokens (tool output, diffs) to a mostly cached context;
 * - leaders speak less often (planning, reviewing each coder's report) but read more;
 * - reviewers read diffs (input-heavy, short verdicts); researchers read and summarise.
 * A mission's real figures are in the ledger; compare them on the Costs screen.
 */
export const DEFAULT_WORKLOAD: Record<AgentRole, RoleWorkload> = {
  leader: {
    callsPerHour: 20,
    inputTokensPerCall: 6_000,
    cachedInputTokensPerCall: 24_000,
    outputTokensPerCall: 1_500,
  },
  coder: {
    callsPerHour: 60,
    inputTokensPerCall: 5_000,
    cachedInputTokensPerCall: 15_000,
    outputTokensPerCall: 1_200,
  },
  reviewer: {
    callsPerHour: 15,
    inputTokensPerCall: 10_000,
    cachedInputTokensPerCall: 10_000,
    outputTokensPerCall: 800,
  },
  researcher: {
    callsPerHour: 30,
    inputTokensPerCall: 6_000,
    cachedInputTokensPerCall: 8_000,
    outputTokensPerCall: 1_000,
  },
};

/** US dollars per million tokens, as the price table writes them. */
export interface ModelPrice {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cacheReadUsdPerMTok: number;
  /** Absent: the API's usual 1.25× (5-minute) and 2× (1-hour) of the input price. */
  cacheWrite5mUsdPerMTok?: number;
  cacheWrite1hUsdPerMTok?: number;
}

export type ModelPrices = Readonly<Record<string, ModelPrice | undefined>>;

/** The price each model has at `atMs`: the row with the latest start at or before it. */
export function pricesAt(table: Pick<PriceTable, 'rows'>, atMs: number): Record<string, ModelPrice> {
  const best = new Map<string, { from: number; price: ModelPrice }>();
  for (const row of table.rows) {
    const from = effectiveFromMs(row);
    if (from > atMs) continue;
    const current = best.get(row.model);
    if (!current || from > current.from) {
      best.set(row.model, {
        from,
        price: {
          inputUsdPerMTok: row.inputUsdPerMTok,
          outputUsdPerMTok: row.outputUsdPerMTok,
          cacheReadUsdPerMTok: row.cacheReadUsdPerMTok,
          ...(row.cacheWrite5mUsdPerMTok !== undefined ? { cacheWrite5mUsdPerMTok: row.cacheWrite5mUsdPerMTok } : {}),
          ...(row.cacheWrite1hUsdPerMTok !== undefined ? { cacheWrite1hUsdPerMTok: row.cacheWrite1hUsdPerMTok } : {}),
        },
      });
    }
  }
  return Object.fromEntries([...best].map(([model, { price }]) => [model, price]));
}

export interface EstimateAgent {
  id: string;
  role: AgentRole;
  model: string;
}

export interface EstimateTeam {
  id: string;
  name: string;
  agents: readonly EstimateAgent[];
  /** The team's cap, if any: turns $/hour into hours of work. */
  budgetNanoUsd?: number | null;
}

export interface EstimateInput {
  teams: readonly EstimateTeam[];
  prices: ModelPrices;
  limits: AllPoolLimits;
  /** The assumed workload per role when nothing is measured; `DEFAULT_WORKLOAD` unless given. */
  workload?: Record<AgentRole, RoleWorkload>;
  /**
   * What past missions measured per role and model (`costs:get-workload`). A role on a
   * model with at least `MIN_MEASURED_CALLS` calls uses these figures; any other uses
   * the assumed workload.
   */
  measured?: readonly MeasuredWorkload[];
}

export type LimitKind = 'rpm' | 'itpm' | 'otpm';

export const LIMIT_LABELS: Record<LimitKind, string> = {
  rpm: 'requests per minute',
  itpm: 'input TPM',
  otpm: 'output TPM',
};

export const POOL_LABELS: Record<ModelPool, string> = { opus: 'Opus', sonnet: 'Sonnet', haiku: 'Haiku' };

export interface LimitUse {
  /** Per minute, what the design asks for at full speed. */
  need: number;
  limit: number;
  /** need / limit: 1.2 means 120%. */
  utilisation: number;
}

export interface PoolEstimate {
  pool: ModelPool;
  agents: number;
  use: Record<LimitKind, LimitUse>;
  /** The limit this pool hits first. */
  binding: LimitKind;
  utilisation: number;
  /** Fraction of each hour the pool's agents can work: 1 under the limits, 1/utilisation above. */
  workShare: number;
}

export interface TeamEstimate {
  teamId: string;
  name: string;
  /** At full speed, ignoring rate limits. */
  nanoPerHour: number;
  /** What the rate limits let the team spend in an hour. */
  limitedNanoPerHour: number;
  /** Hours of work the team's budget buys at the limited rate; null without a budget. */
  budgetHours: number | null;
}

export interface DesignEstimate {
  teams: TeamEstimate[];
  nanoPerHour: number;
  limitedNanoPerHour: number;
  pools: PoolEstimate[];
  /** The most utilised pool, or null for an empty design. */
  binding: PoolEstimate | null;
  /** Models the price table has no price for: their cost is left out, not guessed. */
  unpriced: string[];
  /** The workload behind the figures, per role and model in the design, measured or assumed. */
  workload: WorkloadFigures[];
}

const perMinute = (perHour: number) => perHour / 60;

/** One busy agent's hourly cost (nano-dollars) on `price`, at the role's assumed workload. */
export function agentNanoPerHour(
  role: AgentRole,
  price: ModelPrice,
  workload: Record<AgentRole, RoleWorkload> = DEFAULT_WORKLOAD,
): number {
  return workNanoPerHour(workload[role], price);
}

/** The hourly cost (nano-dollars) of one busy agent doing `work` at `price`. */
export function workNanoPerHour(work: RoleWorkload, price: ModelPrice): number {
  const write5m = price.cacheWrite5mUsdPerMTok ?? price.inputUsdPerMTok * 1.25;
  const write1h = price.cacheWrite1hUsdPerMTok ?? price.inputUsdPerMTok * 2;
  const usd =
    (work.callsPerHour *
      (work.inputTokensPerCall * price.inputUsdPerMTok +
        work.cachedInputTokensPerCall * price.cacheReadUsdPerMTok +
        (work.cacheWrite5mTokensPerCall ?? 0) * write5m +
        (work.cacheWrite1hTokensPerCall ?? 0) * write1h +
        work.outputTokensPerCall * price.outputUsdPerMTok)) /
    1_000_000;
  return Math.round(usd * NANO_PER_USD);
}

/** The measured workload of `role` on `model`, if it rests on enough calls to be used. */
export function measuredFor(
  measured: readonly MeasuredWorkload[] | undefined,
  role: AgentRole,
  model: string,
): MeasuredWorkload | null {
  const found = measured?.find((m) => m.role === role && m.model === model);
  return found && found.calls >= MIN_MEASURED_CALLS && found.agentHours > 0 ? found : null;
}

/**
 * The workload an agent of `role` on `model` is estimated at: the measured one when there
 * is enough of it, else the assumed one for the role.
 */
export function workloadFor(
  role: AgentRole,
  model: string,
  measured: readonly MeasuredWorkload[] | undefined,
  assumed: Record<AgentRole, RoleWorkload> = DEFAULT_WORKLOAD,
): RoleWorkload {
  return measuredFor(measured, role, model) ?? assumed[role];
}

/** Each figure of `role` on `model` with its source: "measured over N calls" or "assumed". */
export function workloadFigures(
  role: AgentRole,
  model: string,
  measured: readonly MeasuredWorkload[] | undefined,
  assumed: Record<AgentRole, RoleWorkload> = DEFAULT_WORKLOAD,
): WorkloadFigures {
  const m = measuredFor(measured, role, model);
  const work = m ?? assumed[role];
  const figure = (value: number): WorkloadFigure =>
    m ? { value, source: 'measured', calls: m.calls } : { value, source: 'assumed' };
  return {
    role,
    model,
    callsPerHour: figure(work.callsPerHour),
    inputTokensPerCall: figure(work.inputTokensPerCall),
    cachedInputTokensPerCall: figure(work.cachedInputTokensPerCall),
    cacheWriteTokensPerCall: figure((work.cacheWrite5mTokensPerCall ?? 0) + (work.cacheWrite1hTokensPerCall ?? 0)),
    outputTokensPerCall: figure(work.outputTokensPerCall),
  };
}

/**
 * What `tokens` more in every call's prompt (a CLAUDE.md read into the system prompt) add
 * to a design's hourly cost, in nano-dollars: tokens × each agent's expected calls per
 * hour × its model's price, read from the prompt cache (the prompt's stable head is
 * cached) and, for comparison, uncached.
 */
export function addedPromptNanoPerHour(
  tokens: number,
  agents: readonly Pick<EstimateAgent, 'role' | 'model'>[],
  prices: ModelPrices,
  measured?: readonly MeasuredWorkload[],
): { cachedNanoPerHour: number; uncachedNanoPerHour: number; callsPerHour: number } {
  let cached = 0;
  let uncached = 0;
  let calls = 0;
  for (const agent of agents) {
    const price = prices[agent.model];
    const perHour = workloadFor(agent.role, agent.model, measured).callsPerHour;
    calls += perHour;
    if (!price) continue;
    cached += (tokens * perHour * price.cacheReadUsdPerMTok) / 1_000_000;
    uncached += (tokens * perHour * price.inputUsdPerMTok) / 1_000_000;
  }
  return {
    cachedNanoPerHour: Math.round(cached * NANO_PER_USD),
    uncachedNanoPerHour: Math.round(uncached * NANO_PER_USD),
    callsPerHour: calls,
  };
}

/**
 * Estimates a design's hourly cost per team and in total, and each model pool's share of
 * its rate limits. Agents whose pool is over a limit are assumed to queue in proportion
 * (the shared limiter serves them fairly), so their spend falls by the same factor.
 */
export function estimateDesign(input: EstimateInput): DesignEstimate {
  const assumed = input.workload ?? DEFAULT_WORKLOAD;
  const workOf = (agent: EstimateAgent) => workloadFor(agent.role, agent.model, input.measured, assumed);
  const unpriced = new Set<string>();
  const demand = new Map<ModelPool, { agents: number; rpm: number; itpm: number; otpm: number }>();
  const figures = new Map<string, WorkloadFigures>();

  for (const team of input.teams) {
    for (const agent of team.agents) {
      const key = `${agent.role}\n${agent.model}`;
      if (!figures.has(key)) figures.set(key, workloadFigures(agent.role, agent.model, input.measured, assumed));
      const model = findModel(agent.model);
      if (!model) continue;
      const work = workOf(agent);
      const d = demand.get(model.pool) ?? { agents: 0, rpm: 0, itpm: 0, otpm: 0 };
      d.agents += 1;
      d.rpm += perMinute(work.callsPerHour);
      // Cache writes count against input TPM like fresh input; cache reads do not.
      const itpmPerCall =
        work.inputTokensPerCall + (work.cacheWrite5mTokensPerCall ?? 0) + (work.cacheWrite1hTokensPerCall ?? 0);
      d.itpm += perMinute(work.callsPerHour * itpmPerCall);
      d.otpm += perMinute(work.callsPerHour * work.outputTokensPerCall);
      demand.set(model.pool, d);
    }
  }

  const pools: PoolEstimate[] = [...demand].map(([pool, d]) => {
    const limits = input.limits[pool];
    const use = (need: number, limit: number): LimitUse => ({ need, limit, utilisation: need / limit });
    const uses: Record<LimitKind, LimitUse> = {
      rpm: use(d.rpm, limits.rpm),
      itpm: use(d.itpm, limits.itpm),
      otpm: use(d.otpm, limits.otpm),
    };
    const binding = (['rpm', 'itpm', 'otpm'] as const).reduce((a, b) =>
      uses[b].utilisation > uses[a].utilisation ? b : a,
    );
    const utilisation = uses[binding].utilisation;
    return {
      pool,
      agents: d.agents,
      use: uses,
      binding,
      utilisation,
      workShare: utilisation > 1 ? 1 / utilisation : 1,
    };
  });
  const share = new Map(pools.map((p) => [p.pool, p.workShare]));

  const teams: TeamEstimate[] = input.teams.map((team) => {
    let full = 0;
    let limited = 0;
    for (const agent of team.agents) {
      const model = findModel(agent.model);
      const price = input.prices[agent.model];
      if (!model || !price) {
        unpriced.add(agent.model);
        continue;
      }
      const nano = workNanoPerHour(workOf(agent), price);
      full += nano;
      limited += Math.round(nano * (share.get(model.pool) ?? 1));
    }
    const budget = team.budgetNanoUsd ?? null;
    return {
      teamId: team.id,
      name: team.name,
      nanoPerHour: full,
      limitedNanoPerHour: limited,
      budgetHours: budget !== null && limited > 0 ? budget / limited : null,
    };
  });

  const binding = pools.reduce<PoolEstimate | null>(
    (a, b) => (a === null || b.utilisation > a.utilisation ? b : a),
    null,
  );

  return {
    teams,
    nanoPerHour: teams.reduce((n, t) => n + t.nanoPerHour, 0),
    limitedNanoPerHour: teams.reduce((n, t) => n + t.limitedNanoPerHour, 0),
    pools,
    binding,
    unpriced: [...unpriced],
    workload: [...figures.values()],
  };
}

/**
 * One sentence on a pool, in the person's terms: "Sonnet pool: your design needs ~120%
 * of Tier 2's output TPM: expect queueing".
 */
export function describePool(pool: PoolEstimate, limitsLabel: string): string {
  const pct =
    pool.utilisation > 0 && pool.utilisation < 0.005 ? '<1' : String(Math.round(pool.utilisation * 100));
  const owner = limitsLabel.endsWith('s') ? `${limitsLabel}'` : `${limitsLabel}'s`;
  const head = `${POOL_LABELS[pool.pool]} pool: your design needs ~${pct}% of ${owner} ${LIMIT_LABELS[pool.binding]}`;
  if (pool.utilisation > 1) {
    return `${head}: expect queueing (its agents can work about ${Math.round(pool.workShare * 60)} minutes of each hour)`;
  }
  if (pool.utilisation > 0.8) return `${head}: close to the limit, bursts will queue`;
  return `${head}: room to spare`;
}
