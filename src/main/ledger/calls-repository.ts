import type Database from 'better-sqlite3';
import { findModel } from '../../shared/models.js';
import { AppError } from '../../shared/result.js';
import type { CallCost, Pricer } from './pricing.js';
import { atomically, deferWrite, joinWriteGroup } from './write-group.js';

/** How an attempt ended. 'partial': a stream that died after message_start, billed so far. */
export const CALL_STATUSES = ['ok', 'error', 'cancelled', 'partial'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Token counts the API reported for an attempt (missing fields count as 0). */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreation5mTokens: number;
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  /** Informational; already billed inside outputTokens. */
  thinkingTokens: number;
  /** Web searches (and other per-request server tools). */
  serverToolRequests: number;
}

/** What the limiter estimated and held back before the call. */
export interface CallLimiterFigures {
  estInput?: number | null;
  estOutput?: number | null;
  reservedInput?: number | null;
  reservedOutput?: number | null;
  waitMs?: number | null;
}

/** One ended API attempt, as the caller reports it. Cost is computed on insert. */
export interface CallRecord {
  /** The caller's id for this attempt; unique across the ledger. */
  requestId: string;
  messageId?: string | null;
  /** requestId of the attempt this one retries. */
  retryOf?: string | null;
  /** 1 for a first attempt. */
  attempt?: number;
  missionId?: string | null;
  teamId?: string | null;
  agentId?: string | null;
  role?: string | null;
  taskId?: string | null;
  modelRequested: string;
  /** The model the API answered with (may be a dated snapshot id). */
  modelResolved?: string | null;
  /** Rate-limit pool; defaults to the requested model's pool. */
  pool?: string;
  /** Epoch ms. */
  startedAt: number;
  firstTokenAt?: number | null;
  endedAt: number;
  status: CallStatus;
  httpStatus?: number | null;
  errorType?: string | null;
  stopReason?: string | null;
  usage?: Partial<CallUsage>;
  limiter?: CallLimiterFigures;
  batch?: boolean;
  usOnly?: boolean;
}

/** A stored call row (camelCase), costs in integer nano-dollars. */
export interface CallRow {
  id: number;
  requestId: string;
  messageId: string | null;
  retryOf: string | null;
  attempt: number;
  missionId: string | null;
  teamId: string | null;
  agentId: string | null;
  role: string | null;
  taskId: string | null;
  modelRequested: string;
  modelResolved: string | null;
  pool: string;
  startedAt: number;
  firstTokenAt: number | null;
  endedAt: number;
  status: CallStatus;
  httpStatus: number | null;
  errorType: string | null;
  stopReason: string | null;
  usage: CallUsage;
  limiter: Required<CallLimiterFigures>;
  batch: boolean;
  usOnly: boolean;
  cost: CallCost;
}

/** The outcome of one insert: a new row, or a request id the ledger already holds. */
export type InsertOutcome =
  | { inserted: true; id: number; requestId: string; cost: CallCost }
  | { inserted: false; requestId: string };

/** The outcome of a batch: how many rows were new, and which request ids were not. */
export interface InsertManyOutcome {
  inserted: number;
  duplicates: string[];
}

/**
 * An attempt whose message_start arrived and whose calls row is not written yet (see
 * {@link CallsRepository.startLater}). Hand it to {@link CallsRepository.insertLater} with
 * the attempt's row: the in-flight row goes in the same transaction as the calls row.
 */
export interface InFlightCall {
  readonly requestId: string;
}

/** One row of `calls_in_flight`: an attempt the ledger holds as billed so far. */
export interface InFlightRow {
  requestId: string;
  missionId: string | null;
  startedAt: number;
  seenAt: number;
  costTotalNano: number;
}

/** What settling a crash's leftovers did (see {@link CallsRepository.settleInFlight}). */
export interface SettleOutcome {
  /** Attempts written to `calls` as interrupted (status 'partial'). */
  settled: number;
  /** Attempts whose calls row was already there: their in-flight row only was removed. */
  alreadyRecorded: number;
  /** Their cost, in nano-dollars. */
  costNano: number;
  /** Rows that could not be written (kept, for the next start to try again). */
  failed: string[];
}

/** The `error_type` of a row settled from `calls_in_flight`: the app stopped before the stream ended. */
export const INTERRUPTED_ERROR_TYPE = 'interrupted';

/** The in-flight entry behind an {@link InFlightCall}: whether its row was written, and whether the attempt ended. */
interface InFlightEntry extends InFlightCall {
  written: boolean;
  ended: boolean;
}

/** Every column of `calls`, in table order: the export and the insert share it. */
export const CALL_COLUMNS = [
  'id', 'request_id', 'message_id', 'retry_of', 'attempt',
  'mission_id', 'team_id', 'agent_id', 'role', 'task_id',
  'model_requested', 'model_resolved', 'pool',
  'started_at', 'first_token_at', 'ended_at',
  'status', 'http_status', 'error_type', 'stop_reason',
  'input_tokens', 'output_tokens', 'cache_creation_5m_tokens', 'cache_creation_1h_tokens',
  'cache_read_tokens', 'thinking_tokens', 'server_tool_requests',
  'est_input', 'est_output', 'reserved_input', 'reserved_output', 'wait_ms',
  'is_batch', 'us_only',
  'cost_input_nano', 'cost_output_nano', 'cost_cache_write_nano', 'cost_cache_read_nano',
  'cost_server_tools_nano', 'cost_total_nano', 'price_row_id',
] as const;
export type CallColumn = (typeof CALL_COLUMNS)[number];
type RawCallRow = Record<CallColumn, string | number | null>;

const INSERT_COLUMNS = CALL_COLUMNS.filter((c) => c !== 'id');
const INSERT_SQL =
  `INSERT INTO calls (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map((c) => `@${c}`).join(', ')}) ` +
  // Idempotent on request_id: a replayed attempt (retry of the write, crash recovery)
  // changes nothing and is reported as a duplicate.
  `ON CONFLICT (request_id) DO NOTHING`;

/**
 * Writes ended attempts to the `calls` ledger, pricing each with the price row effective
 * at its start. The per-minute and all-time roll-ups are kept by triggers in the same
 * transaction (migration 0002).
 */
export class CallsRepository {
  private readonly db: Database.Database;
  private pricer: Pricer;
  private readonly insertStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly startStmt: Database.Statement;
  private readonly endStmt: Database.Statement;

  constructor(db: Database.Database, pricer: Pricer) {
    this.db = db;
    this.pricer = pricer;
    this.insertStmt = db.prepare(INSERT_SQL);
    this.getStmt = db.prepare(`SELECT ${CALL_COLUMNS.join(', ')} FROM calls WHERE request_id = ?`);
    this.startStmt = db.prepare(
      'INSERT INTO calls_in_flight (request_id, mission_id, started_at, seen_at, cost_total_nano, row_json) ' +
        'VALUES (@request_id, @mission_id, @started_at, @seen_at, @cost_total_nano, @row_json) ' +
        // A second message_start for one request id (none is expected) keeps the newer figures.
        'ON CONFLICT (request_id) DO UPDATE SET seen_at = excluded.seen_at, ' +
        'cost_total_nano = excluded.cost_total_nano, row_json = excluded.row_json',
    );
    this.endStmt = db.prepare('DELETE FROM calls_in_flight WHERE request_id = ?');
  }

  /** Swaps the price table (Settings edit); rows already written keep their cost. */
  setPricer(pricer: Pricer): void {
    this.pricer = pricer;
  }

  /**
   * The cost of an attempt under the current price table: the model the API answered
   * with when it is priced, else the model requested. Throws `AppError('unknown_model')`
   * rather than price a call at zero.
   */
  price(record: CallRecord): CallCost {
    const model =
      record.modelResolved && this.pricer.knows(record.modelResolved) ? record.modelResolved : record.modelRequested;
    const usage = record.usage ?? {};
    return this.pricer.cost(
      model,
      record.startedAt,
      {
        inputTokens: usage.inputTokens ?? 0,
        outputTokens: usage.outputTokens ?? 0,
        cacheCreation5mTokens: usage.cacheCreation5mTokens ?? 0,
        cacheCreation1hTokens: usage.cacheCreation1hTokens ?? 0,
        cacheReadTokens: usage.cacheReadTokens ?? 0,
        serverToolRequests: usage.serverToolRequests ?? 0,
      },
      { batch: record.batch ?? false, usOnly: record.usOnly ?? false },
    );
  }

  /**
   * Records one ended attempt. A request id already in the ledger is not written again:
   * the outcome says `inserted: false`. Throws `AppError('unknown_model')` for an
   * unpriced model and `AppError('invalid_request')` for a malformed record.
   */
  insert(record: CallRecord): InsertOutcome {
    const cost = this.price(record);
    const params = toParams(record, cost);
    joinWriteGroup(this.db);
    const info = this.run(params);
    return info.changes === 1
      ? { inserted: true, id: Number(info.lastInsertRowid), requestId: record.requestId, cost }
      : { inserted: false, requestId: record.requestId };
  }

  /**
   * Records one ended attempt without waiting for SQLite when the ledger groups its
   * writes: the attempt is priced and checked now (an unpriced model or a malformed record
   * throws and nothing is queued), and its row is written in the turn's transaction (see
   * WriteGroup.defer); every statement that reads the calls tables sees it. `then` runs
   * once that transaction has ended. Without a group the row is written at once, as
   * {@link insert} writes it. Returns the attempt's cost. A request id already in the
   * ledger is skipped when the row is written, as {@link insert} skips it.
   */
  insertLater(record: CallRecord, then?: () => void, inFlight?: InFlightCall): CallCost {
    const cost = this.price(record);
    const params = toParams(record, cost);
    if (!inFlight) {
      deferWrite(this.db, () => this.run(params), then);
      return cost;
    }
    const entry = inFlight as InFlightEntry;
    // An in-flight row still queued is not written at all: this row replaces it in the same flush.
    entry.ended = true;
    deferWrite(
      this.db,
      () => {
        // One write: should the insert fail, the in-flight row stays and is settled at the next start.
        this.run(params);
        if (entry.written) this.endStmt.run(entry.requestId);
      },
      then,
    );
    return cost;
  }

  /**
   * Records a streamed attempt from its message_start: `record` is the row it is billed
   * as should the app stop before the stream ends (status 'partial', the usage
   * message_start reported, `endedAt` when it arrived). It is priced and checked now and
   * written in the ledger's write group (committed at the end of this event-loop turn, so
   * before the stream is read further), or at once without a group. Returns the handle to
   * give {@link insertLater} with the attempt's final row, which replaces it in one
   * transaction. Throws as {@link insertLater} does for a record it cannot price or check.
   */
  startLater(record: CallRecord): InFlightCall {
    const cost = this.price(record);
    const params = toParams({ ...record, errorType: record.errorType ?? INTERRUPTED_ERROR_TYPE }, cost);
    const entry: InFlightEntry = { requestId: record.requestId, written: false, ended: false };
    deferWrite(this.db, () => {
      if (entry.ended) return;
      this.startStmt.run({
        request_id: record.requestId,
        mission_id: record.missionId ?? null,
        started_at: record.startedAt,
        seen_at: record.endedAt,
        cost_total_nano: cost.totalNano,
        // Serialised only when written: an attempt that ended in the same turn never is.
        row_json: JSON.stringify(params),
      });
      entry.written = true;
    });
    return entry;
  }

  /**
   * Settles what a crash left in flight: each attempt whose message_start was recorded
   * but whose end never was is written to `calls` as the row stored at its message_start
   * (status 'partial', error type 'interrupted', the usage it reported), and its in-flight
   * row removed, in one transaction. A request id `calls` already holds is not written
   * again. Run when an engine starts on the ledger, before any call is admitted: one
   * ledger serves one engine, whose calls in flight are its own.
   */
  settleInFlight(): SettleOutcome {
    const rows = this.db
      .prepare('SELECT request_id, cost_total_nano, row_json FROM calls_in_flight ORDER BY seen_at, request_id')
      .all() as { request_id: string; cost_total_nano: number; row_json: string }[];
    const outcome: SettleOutcome = { settled: 0, alreadyRecorded: 0, costNano: 0, failed: [] };
    if (rows.length === 0) return outcome;
    atomically(
      this.db,
      () => {
        for (const row of rows) {
          let params: Record<string, string | number | null>;
          try {
            const stored = JSON.parse(row.row_json) as Record<string, string | number | null>;
            if (stored.request_id !== row.request_id) throw new Error('request id mismatch');
            // A column added to calls after the row was stored is null (a NOT NULL one leaves the row in `failed`).
            params = Object.fromEntries(INSERT_COLUMNS.map((column) => [column, stored[column] ?? null]));
            if (this.run(params).changes === 1) {
              outcome.settled += 1;
              outcome.costNano += Number(params.cost_total_nano ?? 0);
            } else outcome.alreadyRecorded += 1;
          } catch {
            outcome.failed.push(row.request_id);
            continue;
          }
          this.endStmt.run(row.request_id);
        }
      },
      'immediate',
    );
    return outcome;
  }

  /** The attempts in flight as the ledger holds them (message_start recorded, end not yet). */
  inFlight(): InFlightRow[] {
    const rows = this.db
      .prepare('SELECT request_id, mission_id, started_at, seen_at, cost_total_nano FROM calls_in_flight ORDER BY seen_at')
      .all() as { request_id: string; mission_id: string | null; started_at: number; seen_at: number; cost_total_nano: number }[];
    return rows.map((r) => ({
      requestId: r.request_id,
      missionId: r.mission_id,
      startedAt: r.started_at,
      seenAt: r.seen_at,
      costTotalNano: r.cost_total_nano,
    }));
  }

  /**
   * Records a batch in one transaction: all rows are priced first, so an unpriced model
   * or a malformed record writes nothing. Duplicates (already stored, or repeated within
   * the batch) are skipped and listed.
   */
  insertMany(records: readonly CallRecord[]): InsertManyOutcome {
    const params = records.map((r) => toParams(r, this.price(r)));
    return atomically(this.db, () => {
      let inserted = 0;
      const duplicates: string[] = [];
      for (const p of params) {
        if (this.run(p).changes === 1) inserted += 1;
        else duplicates.push(p.request_id as string);
      }
      return { inserted, duplicates };
    });
  }

  /**
   * Runs `fn` in one transaction on the ledger's connection (a savepoint inside an open
   * one): rows written by `fn` commit together with the calls row inserted in it.
   */
  transaction<T>(fn: () => T): T {
    joinWriteGroup(this.db);
    return atomically(this.db, fn);
  }

  /** The stored row for a request id, if any. */
  get(requestId: string): CallRow | undefined {
    const raw = this.getStmt.get(requestId) as RawCallRow | undefined;
    return raw ? fromRaw(raw) : undefined;
  }

  private run(params: Record<string, string | number | null>): Database.RunResult {
    try {
      return this.insertStmt.run(params);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new AppError(
          'invalid_request',
          `call "${String(params.request_id)}" was not recorded: ${(error as Error).message}`,
        );
      }
      throw new AppError('database_error', `could not record call "${String(params.request_id)}": ${String(error)}`);
    }
  }
}

function toParams(record: CallRecord, cost: CallCost): Record<string, string | number | null> {
  if (typeof record.requestId !== 'string' || record.requestId.length === 0) {
    throw new AppError('invalid_request', 'a call needs a non-empty requestId');
  }
  for (const [name, value] of [
    ['startedAt', record.startedAt],
    ['endedAt', record.endedAt],
  ] as const) {
    if (!Number.isSafeInteger(value)) {
      throw new AppError('invalid_request', `call "${record.requestId}": ${name} must be epoch milliseconds`);
    }
  }
  // The table's CHECKs, checked here too, so that a row the write group queues cannot fail them later.
  if (record.endedAt < record.startedAt) {
    throw new AppError('invalid_request', `call "${record.requestId}": endedAt is before startedAt`);
  }
  const first = record.firstTokenAt;
  if (first !== null && first !== undefined && !(first >= record.startedAt && first <= record.endedAt)) {
    throw new AppError('invalid_request', `call "${record.requestId}": firstTokenAt is outside startedAt..endedAt`);
  }
  const pool = record.pool ?? findModel(record.modelRequested)?.pool;
  if (!pool) {
    throw new AppError('unknown_model', `call "${record.requestId}": no pool for model "${record.modelRequested}"`);
  }
  const u = record.usage ?? {};
  const l = record.limiter ?? {};
  return {
    request_id: record.requestId,
    message_id: record.messageId ?? null,
    retry_of: record.retryOf ?? null,
    attempt: record.attempt ?? 1,
    mission_id: record.missionId ?? null,
    team_id: record.teamId ?? null,
    agent_id: record.agentId ?? null,
    role: record.role ?? null,
    task_id: record.taskId ?? null,
    model_requested: record.modelRequested,
    model_resolved: record.modelResolved ?? null,
    pool,
    started_at: record.startedAt,
    first_token_at: record.firstTokenAt ?? null,
    ended_at: record.endedAt,
    status: record.status,
    http_status: record.httpStatus ?? null,
    error_type: record.errorType ?? null,
    stop_reason: record.stopReason ?? null,
    input_tokens: u.inputTokens ?? 0,
    output_tokens: u.outputTokens ?? 0,
    cache_creation_5m_tokens: u.cacheCreation5mTokens ?? 0,
    cache_creation_1h_tokens: u.cacheCreation1hTokens ?? 0,
    cache_read_tokens: u.cacheReadTokens ?? 0,
    thinking_tokens: u.thinkingTokens ?? 0,
    server_tool_requests: u.serverToolRequests ?? 0,
    est_input: l.estInput ?? null,
    est_output: l.estOutput ?? null,
    reserved_input: l.reservedInput ?? null,
    reserved_output: l.reservedOutput ?? null,
    wait_ms: l.waitMs ?? null,
    is_batch: record.batch ? 1 : 0,
    us_only: record.usOnly ? 1 : 0,
    cost_input_nano: cost.inputNano,
    cost_output_nano: cost.outputNano,
    cost_cache_write_nano: cost.cacheWriteNano,
    cost_cache_read_nano: cost.cacheReadNano,
    cost_server_tools_nano: cost.serverToolsNano,
    cost_total_nano: cost.totalNano,
    price_row_id: cost.priceRowId,
  };
}

function fromRaw(r: RawCallRow): CallRow {
  const s = (v: string | number | null) => (v === null ? null : String(v));
  const n = (v: string | number | null) => (v === null ? null : Number(v));
  const num = (v: string | number | null) => Number(v ?? 0);
  return {
    id: num(r.id),
    requestId: String(r.request_id),
    messageId: s(r.message_id),
    retryOf: s(r.retry_of),
    attempt: num(r.attempt),
    missionId: s(r.mission_id),
    teamId: s(r.team_id),
    agentId: s(r.agent_id),
    role: s(r.role),
    taskId: s(r.task_id),
    modelRequested: String(r.model_requested),
    modelResolved: s(r.model_resolved),
    pool: String(r.pool),
    startedAt: num(r.started_at),
    firstTokenAt: n(r.first_token_at),
    endedAt: num(r.ended_at),
    status: String(r.status) as CallStatus,
    httpStatus: n(r.http_status),
    errorType: s(r.error_type),
    stopReason: s(r.stop_reason),
    usage: {
      inputTokens: num(r.input_tokens),
      outputTokens: num(r.output_tokens),
      cacheCreation5mTokens: num(r.cache_creation_5m_tokens),
      cacheCreation1hTokens: num(r.cache_creation_1h_tokens),
      cacheReadTokens: num(r.cache_read_tokens),
      thinkingTokens: num(r.thinking_tokens),
      serverToolRequests: num(r.server_tool_requests),
    },
    limiter: {
      estInput: n(r.est_input),
      estOutput: n(r.est_output),
      reservedInput: n(r.reserved_input),
      reservedOutput: n(r.reserved_output),
      waitMs: n(r.wait_ms),
    },
    batch: r.is_batch === 1,
    usOnly: r.us_only === 1,
    cost: {
      priceRowId: String(r.price_row_id),
      inputNano: num(r.cost_input_nano),
      outputNano: num(r.cost_output_nano),
      cacheWriteNano: num(r.cost_cache_write_nano),
      cacheReadNano: num(r.cost_cache_read_nano),
      serverToolsNano: num(r.cost_server_tools_nano),
      totalNano: num(r.cost_total_nano),
    },
  };
}
