import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { AppError } from '../../shared/result.js';
import { CALL_COLUMNS, type CallColumn } from './calls-repository.js';

export type ExportFormat = 'csv' | 'json';

export interface ExportOutcome {
  rows: number;
}

/** Rows read per page; bounds what is buffered when the destination is slow. */
const PAGE_ROWS = 1_000;

/**
 * Quotes a CSV field when it needs it (RFC 4180): a comma, quote, CR or LF inside, or
 * leading/trailing space. Quotes inside are doubled; NULL is an empty field.
 *
 * Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR:
 * ids come from imported team files, error types from the API) gets a leading `'`, as
 * OWASP advises for CSV injection, so opening the export never evaluates it. Numbers are
 * written as they are.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Nano-dollars as an exact decimal string of dollars with nine places ("0.012345678"):
 * computed on integers, so no binary-float noise (0.30000000000000004) ever reaches a
 * spreadsheet, and a spreadsheet reads it as a number.
 */
export function nanoToUsdText(nano: number): string {
  if (!Number.isSafeInteger(nano)) throw new RangeError(`not a whole number of nano-dollars: ${nano}`);
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  return `${sign}${Math.floor(abs / 1e9)}.${String(abs % 1e9).padStart(9, '0')}`;
}

/** Epoch milliseconds as ISO 8601 in UTC ("2026-01-15T10:00:00.000Z"); empty when absent. */
function isoTime(ms: unknown): string | null {
  return typeof ms === 'number' ? new Date(ms).toISOString() : null;
}

/** Milliseconds as exact decimal seconds ("1.250"). */
function seconds(ms: unknown): string | null {
  if (typeof ms !== 'number') return null;
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

function yesNo(flag: unknown): string {
  return flag === 1 ? 'yes' : 'no';
}

/** A call row with the names of what it belongs to (null where the ledger has none). */
type NamedCallRow = Record<CallColumn, string | number | null> & {
  mission_name: string | null;
  team_name: string | null;
  agent_name: string | null;
  task_title: string | null;
};

const usd = (column: CallColumn) => (row: NamedCallRow) => nanoToUsdText(Number(row[column]));

/**
 * The CSV a person opens in a spreadsheet: names (mission, team, agent, task) rather than
 * ids, ISO times in UTC, dollars as exact decimals, durations in seconds; the ids follow at
 * the end, to join with the JSON export or the ledger. The JSON export keeps the raw columns.
 */
export const CALLS_CSV_COLUMNS: readonly { header: string; value: (row: NamedCallRow) => string | number | null }[] = [
  { header: 'Started (UTC)', value: (r) => isoTime(r.started_at) },
  { header: 'Ended (UTC)', value: (r) => isoTime(r.ended_at) },
  { header: 'First token (UTC)', value: (r) => isoTime(r.first_token_at) },
  { header: 'Duration (s)', value: (r) => seconds(Number(r.ended_at) - Number(r.started_at)) },
  { header: 'Mission', value: (r) => r.mission_name },
  { header: 'Team', value: (r) => r.team_name },
  { header: 'Agent', value: (r) => r.agent_name },
  { header: 'Role', value: (r) => r.role },
  { header: 'Task', value: (r) => r.task_title },
  { header: 'Model requested', value: (r) => r.model_requested },
  { header: 'Model answered', value: (r) => r.model_resolved },
  { header: 'Status', value: (r) => r.status },
  { header: 'HTTP status', value: (r) => r.http_status },
  { header: 'Error', value: (r) => r.error_type },
  { header: 'Stop reason', value: (r) => r.stop_reason },
  { header: 'Input tokens', value: (r) => r.input_tokens },
  { header: 'Output tokens', value: (r) => r.output_tokens },
  { header: 'Cache write 5m tokens', value: (r) => r.cache_creation_5m_tokens },
  { header: 'Cache write 1h tokens', value: (r) => r.cache_creation_1h_tokens },
  { header: 'Cache read tokens', value: (r) => r.cache_read_tokens },
  { header: 'Thinking tokens', value: (r) => r.thinking_tokens },
  { header: 'Server tool requests', value: (r) => r.server_tool_requests },
  { header: 'Rate limit wait (s)', value: (r) => seconds(r.wait_ms) },
  { header: 'Input (USD)', value: usd('cost_input_nano') },
  { header: 'Output (USD)', value: usd('cost_output_nano') },
  { header: 'Cache write (USD)', value: usd('cost_cache_write_nano') },
  { header: 'Cache read (USD)', value: usd('cost_cache_read_nano') },
  { header: 'Server tools (USD)', value: usd('cost_server_tools_nano') },
  { header: 'Total (USD)', value: usd('cost_total_nano') },
  { header: 'Price row', value: (r) => r.price_row_id },
  { header: 'Attempt', value: (r) => r.attempt },
  { header: 'Batch', value: (r) => yesNo(r.is_batch) },
  { header: 'US only', value: (r) => yesNo(r.us_only) },
  { header: 'Call id', value: (r) => r.id },
  { header: 'Request id', value: (r) => r.request_id },
  { header: 'Retry of', value: (r) => r.retry_of },
  { header: 'Message id', value: (r) => r.message_id },
  { header: 'Mission id', value: (r) => r.mission_id },
  { header: 'Team id', value: (r) => r.team_id },
  { header: 'Agent id', value: (r) => r.agent_id },
  { header: 'Task id', value: (r) => r.task_id },
];

const CSV_HEADER = `${CALLS_CSV_COLUMNS.map((c) => csvField(c.header)).join(',')}\r\n`;

function csvLine(row: NamedCallRow): string {
  return `${CALLS_CSV_COLUMNS.map((c) => csvField(c.value(row))).join(',')}\r\n`;
}

/** The calls' columns with the names they point at; ids stay (a call may outlive its mission's rows). */
const NAMED_CALLS = `
  SELECT ${CALL_COLUMNS.map((c) => `c.${c}`).join(', ')},
         m.name AS mission_name, t.name AS team_name, a.name AS agent_name, k.title AS task_title
  FROM calls c
  LEFT JOIN missions m ON m.id = c.mission_id
  LEFT JOIN mission_teams t ON t.mission_id = c.mission_id AND t.id = c.team_id
  LEFT JOIN mission_agents a ON a.mission_id = c.mission_id AND a.id = c.agent_id
  LEFT JOIN mission_tasks k ON k.id = c.task_id`;

/**
 * Writes every call row to `out`, in id order, as CSV for people ({@link CALLS_CSV_COLUMNS}:
 * a header row, then one line per call, CRLF line ends) or as one JSON array of the raw
 * ledger rows keyed by column name (epoch milliseconds, integer nano-dollars).
 *
 * Streams: rows are read with `.iterate()` a page at a time (keyset on id), never all at
 * once, and the writer waits for 'drain' between pages when `out` pushes back. No
 * iterator stays open across an await, so the connection stays usable by the engine
 * while an export runs; rows committed after the export started are left out, which
 * makes the file a consistent cut of the append-only ledger. Does not end `out`.
 */
export async function exportCalls(db: Database.Database, format: ExportFormat, out: Writable): Promise<ExportOutcome> {
  if (format !== 'csv' && format !== 'json') {
    throw new AppError('invalid_request', `unknown export format "${String(format)}"; use csv or json`);
  }
  const lastId = Number(db.prepare('SELECT coalesce(max(id), 0) FROM calls').pluck().get());
  const page = db.prepare(
    format === 'csv'
      ? `${NAMED_CALLS} WHERE c.id > ? AND c.id <= ? ORDER BY c.id LIMIT ${PAGE_ROWS}`
      : `SELECT ${CALL_COLUMNS.join(', ')} FROM calls WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE_ROWS}`,
  );
  const write = async (chunk: string): Promise<void> => {
    if (out.destroyed || out.writableEnded) {
      throw new AppError('unavailable', 'the export destination closed before the export finished');
    }
    if (!out.write(chunk)) await drained(out);
  };

  await write(format === 'csv' ? CSV_HEADER : '[');
  let rows = 0;
  let after = 0;
  for (;;) {
    let chunk = '';
    let pageRows = 0;
    for (const row of page.iterate(after, lastId) as IterableIterator<NamedCallRow>) {
      chunk += format === 'csv' ? csvLine(row) : `${rows + pageRows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
      after = Number(row.id);
      pageRows += 1;
    }
    if (pageRows === 0) break;
    rows += pageRows;
    await write(chunk);
  }
  if (format === 'json') await write(rows === 0 ? ']\n' : '\n]\n');
  return { rows };
}

function drained(out: Writable): Promise<void> {
  // An error or close rejects the wait, so a broken pipe ends the export instead of
  // hanging it; listeners are removed either way so long exports do not pile them up.
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new AppError('unavailable', 'the export destination closed before the export finished'));
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/** Which calls {@link callsCsv} exports. Times are epoch ms of `ended_at`, [from, to). */
export interface CallsCsvFilter {
  missionId?: string;
  from?: number;
  to?: number;
}

/**
 * The newest `maxRows` calls matching the filter as one CSV text for people (the columns of
 * {@link CALLS_CSV_COLUMNS}, header row, CRLF line ends, id order), for a download from the UI. `truncated` says older matching rows were
 * left out; the CLI's {@link exportCalls} streams everything instead.
 */
export function callsCsv(
  db: Database.Database,
  filter: CallsCsvFilter,
  maxRows: number,
): { csv: string; rows: number; truncated: boolean } {
  if (!Number.isSafeInteger(maxRows) || maxRows < 1) {
    throw new AppError('invalid_request', 'maxRows must be a whole number of rows, at least 1');
  }
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (filter.missionId !== undefined) {
    clauses.push('c.mission_id = ?');
    params.push(filter.missionId);
  }
  if (filter.from !== undefined) {
    clauses.push('c.ended_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    clauses.push('c.ended_at < ?');
    params.push(filter.to);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  // One row past the cap tells whether anything was left out without counting them all.
  const newest = db
    .prepare(`${NAMED_CALLS} ${where} ORDER BY c.id DESC LIMIT ?`)
    .all(...params, maxRows + 1) as NamedCallRow[];
  const truncated = newest.length > maxRows;
  const rows = newest.slice(0, maxRows).reverse();
  return { csv: CSV_HEADER + rows.map(csvLine).join(''), rows: rows.length, truncated };
}
