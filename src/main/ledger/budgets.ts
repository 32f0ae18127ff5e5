import type Database from 'better-sqlite3';
import { AppError } from '../../shared/result.js';
import { scopedKey, splitScopedKey } from '../../shared/team-label.js';
import type { Pricer, PricingOptions } from './pricing.js';
import { prepareUnflushed } from './write-group.js';

/**
 * Budget caps per mission, team and agent, enforced before a call is made. A call is
 * admitted only if, for every cap that applies, committed spend (the ledger) plus the
 * worst-case cost of every call still in flight plus this call's worst case fits under
 * the cap; it then holds its worst case as a reservation until it settles. Since an
 * actual cost never exceeds its worst case, a cap is never overrun.
 *
 * Ordering contract for callers: when a call ends, insert its ledger row first, then
 * `settle` its reservation, in the same synchronous turn. Done the other way round, an
 * admission squeezed in between would not see the spend.
 */

export const BUDGET_SCOPES = ['mission', 'team', 'agent'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

export interface BudgetCap {
  scope: BudgetScope;
  id: string;
  capNano: number;
}

/** Where committed spend comes from; the ledger by default. */
export interface SpendSource {
  committedNano(scope: BudgetScope, id: string): number;
}

export interface AdmissionRequest {
  missionId?: string | null;
  teamId?: string | null;
  agentId?: string | null;
  /** From {@link BudgetGuard.worstCaseCost}. */
  worstCaseNano: number;
}

export type AdmissionDecision =
  | { admitted: true; reservationId: string; worstCaseNano: number }
  | {
      admitted: false;
      /** The first cap (mission, then team, then agent) the call would overrun. */
      scope: BudgetScope;
      id: string;
      capNano: number;
      /** Committed in the ledger. */
      spentNano: number;
      /** Held by calls in flight. */
      reservedNano: number;
      worstCaseNano: number;
      message: string;
    };

/** A cap's state, for the dashboard and alerts. */
export interface BudgetUsage extends BudgetCap {
  spentNano: number;
  reservedNano: number;
}

const SCOPE_COLUMN: Record<BudgetScope, string> = { mission: 'mission_id', team: 'team_id', agent: 'agent_id' };

/**
 * The budget (and rate-limiter) key of a team or agent. Team and agent ids come from the
 * design, so two missions of one design share them; qualifying them by mission keeps one
 * mission's spend and caps from counting against the other's: the same `scopedKey` the
 * Costs screen keys teams and agents by, which splits back unambiguously.
 */
export function scopedId(missionId: string | null | undefined, id: string): string {
  return missionId ? scopedKey(missionId, id) : id;
}

/**
 * The spend of one mission's calls in a rowid range. The unary `+` keeps SQLite off the
 * `mission_id` index: with it, a mission's catch-up scanned every call the mission ever
 * made (its rows are most of the table) instead of the few new ids, which made each
 * admission O(calls) and cost 0.2 ms per call with 1,000 agents.
 */
export const MISSION_SPEND_SINCE_SQL =
  'SELECT coalesce(sum(cost_total_nano), 0) FROM calls WHERE id > ? AND id <= ? AND +mission_id = ?';

/**
 * Committed spend read from the ledger, so it is exactly what the ledger holds, including
 * rows written by another repository instance or connection. Team and agent spend come
 * from the `call_totals` roll-up through its indexes (a few rows each).
 *
 * A mission's spend is asked for on every call of every agent, and in the roll-up it is
 * one row per agent and model: summing them made each admission O(agents), a tenth of a
 * millisecond per call with 1,000 agents. Instead each mission keeps a running total up
 * to a `calls` row id and adds only the rows written since (ids only grow: the ledger is
 * append-only), falling back to the roll-up on first use or when far behind.
 */
export function ledgerSpendSource(db: Database.Database, options: { maxCatchUpRows?: number } = {}): SpendSource {
  const maxCatchUpRows = options.maxCatchUpRows ?? 10_000;
  // Admission reads spend on every call, so it does not wait for rows queued by the write
  // group: a call whose row is queued still holds its reservation until the row commits.
  const prepare = (sql: string) => prepareUnflushed(db, sql);
  const statements = Object.fromEntries(
    BUDGET_SCOPES.map((scope) => [
      scope,
      prepare(`SELECT coalesce(sum(cost_total_nano), 0) FROM call_totals WHERE ${SCOPE_COLUMN[scope]} = ?`).pluck(),
    ]),
  ) as Record<BudgetScope, Database.Statement>;
  const withinMission = Object.fromEntries(
    (['team', 'agent'] as const).map((scope) => [
      scope,
      prepare(
        `SELECT coalesce(sum(cost_total_nano), 0) FROM call_totals WHERE mission_id = ? AND ${SCOPE_COLUMN[scope]} = ?`,
      ).pluck(),
    ]),
  ) as Record<'team' | 'agent', Database.Statement>;
  const newestCall = prepare('SELECT coalesce(max(id), 0) FROM calls').pluck();
  const missionSince = prepare(MISSION_SPEND_SINCE_SQL).pluck();
  const missionTotals = new Map<string, { nano: number; throughId: number }>();
  // One snapshot for both reads, so no row is counted twice or missed between them.
  const readMission = db.transaction((id: string) => ({
    throughId: Number(newestCall.get()),
    nano: Number(statements.mission.get(id)),
  }));

  const missionSpend = (id: string): number => {
    const known = missionTotals.get(id);
    if (known) {
      // Rows up to `newest` are committed and a later insert gets a larger id (writers are
      // serialised), so the range (throughId, newest] is exactly what is new.
      const newest = Number(newestCall.get());
      if (newest - known.throughId <= maxCatchUpRows) {
        if (newest > known.throughId) {
          known.nano += Number(missionSince.get(known.throughId, newest, id));
          known.throughId = newest;
        }
        return known.nano;
      }
    }
    const fresh = readMission(id);
    missionTotals.set(id, fresh);
    return fresh.nano;
  };

  return {
    committedNano: (scope, id) => {
      if (scope === 'mission') return missionSpend(id);
      const scoped = splitScopedKey(id);
      if (scoped) return Number(withinMission[scope].get(scoped.missionId, scoped.id));
      return Number(statements[scope].get(id));
    },
  };
}

interface Reservation {
  keys: string[];
  nano: number;
}

const keyOf = (scope: BudgetScope, id: string) => `${scope}\u0000${id}`;

function checkNano(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AppError('invalid_request', `${name} must be a non-negative whole number of nano-dollars`);
  }
}

/** Admits calls under mission, team and agent caps; see the module comment for the contract. */
export class BudgetGuard {
  private readonly spend: SpendSource;
  private pricer: Pricer | undefined;
  private readonly capsByKey = new Map<string, BudgetCap>();
  private readonly reservedByKey = new Map<string, number>();
  private readonly reservations = new Map<string, Reservation>();
  private nextReservation = 1;

  constructor(options: { spend: SpendSource; pricer?: Pricer }) {
    this.spend = options.spend;
    this.pricer = options.pricer;
  }

  /** Swaps the price table worst cases are computed with (a Settings edit); reservations already held stand. */
  setPricer(pricer: Pricer): void {
    this.pricer = pricer;
  }

  /** Sets a cap in nano-dollars, or removes it with null. Lowering a cap never cancels calls in flight. */
  setCap(scope: BudgetScope, id: string, capNano: number | null): void {
    if (capNano === null) {
      this.capsByKey.delete(keyOf(scope, id));
      return;
    }
    checkNano('capNano', capNano);
    this.capsByKey.set(keyOf(scope, id), { scope, id, capNano });
  }

  /** Every cap with what is spent and held against it. */
  usage(): BudgetUsage[] {
    return [...this.capsByKey.entries()].map(([key, cap]) => ({
      ...cap,
      spentNano: this.spend.committedNano(cap.scope, cap.id),
      reservedNano: this.reservedByKey.get(key) ?? 0,
    }));
  }

  /** Worst-case cost of a call (see {@link Pricer.worstCaseCost}); needs a pricer. */
  worstCaseCost(
    model: string,
    estInputTokens: number,
    maxOutputTokens: number,
    options: PricingOptions & { at?: number; maxServerToolRequests?: number } = {},
  ): number {
    if (!this.pricer) throw new AppError('internal', 'BudgetGuard was built without a pricer');
    return this.pricer.worstCaseCost(model, estInputTokens, maxOutputTokens, options);
  }

  /**
   * Admits a call if its worst case fits under every cap that applies, reserving it
   * until {@link settle}; otherwise refuses, naming the cap and the spend against it.
   */
  checkAdmission(request: AdmissionRequest): AdmissionDecision {
    checkNano('worstCaseNano', request.worstCaseNano);
    const scoped: [BudgetScope, string | null | undefined][] = [
      ['mission', request.missionId],
      ['team', request.teamId],
      ['agent', request.agentId],
    ];
    const keys: string[] = [];
    for (const [scope, id] of scoped) {
      if (id === null || id === undefined) continue;
      const key = keyOf(scope, id);
      keys.push(key);
      const cap = this.capsByKey.get(key);
      if (!cap) continue;
      const spentNano = this.spend.committedNano(scope, id);
      const reservedNano = this.reservedByKey.get(key) ?? 0;
      if (spentNano + reservedNano + request.worstCaseNano > cap.capNano) {
        return {
          admitted: false,
          scope,
          id,
          capNano: cap.capNano,
          spentNano,
          reservedNano,
          worstCaseNano: request.worstCaseNano,
          message:
            `${scope} "${id}" budget: spent ${spentNano} + in flight ${reservedNano} + this call's worst case ` +
            `${request.worstCaseNano} nano-dollars would exceed its cap of ${cap.capNano}`,
        };
      }
    }
    const reservationId = `r${this.nextReservation++}`;
    // Reserve against every scope, capped or not, so a cap set later sees calls in flight.
    for (const key of keys) this.reservedByKey.set(key, (this.reservedByKey.get(key) ?? 0) + request.worstCaseNano);
    this.reservations.set(reservationId, { keys, nano: request.worstCaseNano });
    return { admitted: true, reservationId, worstCaseNano: request.worstCaseNano };
  }

  /**
   * Releases a reservation once the call's ledger row is committed. Returns false for a
   * reservation already settled (settling twice is harmless).
   */
  settle(reservationId: string): boolean {
    const reservation = this.reservations.get(reservationId);
    if (!reservation) return false;
    this.reservations.delete(reservationId);
    for (const key of reservation.keys) {
      const left = (this.reservedByKey.get(key) ?? 0) - reservation.nano;
      if (left > 0) this.reservedByKey.set(key, left);
      else this.reservedByKey.delete(key);
    }
    return true;
  }

  /** Nano-dollars held by calls in flight against a scope. */
  reservedNano(scope: BudgetScope, id: string): number {
    return this.reservedByKey.get(keyOf(scope, id)) ?? 0;
  }

  /** Calls admitted and not yet settled. */
  inFlight(): number {
    return this.reservations.size;
  }
}
