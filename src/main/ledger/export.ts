import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { AppError } from '../../shared/result.js';
import { CALL_COLUMNS } from './calls-repository.js';

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
 * Writes every call row to `out`, in id order, as CSV (a header row, then one line per
 * call, CRLF line ends) or as one JSON array of objects keyed by column name. Money
 * columns stay integer nano-dollars.
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
    `SELECT ${CALL_COLUMNS.join(', ')} FROM calls WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE_ROWS}`,
  );
  const write = async (chunk: string): Promise<void> => {
    if (out.destroyed || out.writableEnded) {
      throw new AppError('unavailable', 'the export destination closed before the export finished');
    }
    if (!out.write(chunk)) await drained(out);
  };

  await write(format === 'csv' ? `${CALL_COLUMNS.join(',')}\r\n` : '[');
  let rows = 0;
  let after = 0;
  for (;;) {
    let chunk = '';
    let pageRows = 0;
    for (const row of page.iterate(after, lastId) as IterableIterator<Record<string, unknown>>) {
      chunk +=
        format === 'csv'
          ? `${CALL_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`
          : `${rows + pageRows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
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
 * The newest `maxRows` calls matching the filter as one CSV text (header row, CRLF line
 * ends, id order), for a download from the UI. `truncated` says older matching rows were
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
    clauses.push('mission_id = ?');
    params.push(filter.missionId);
  }
  if (filter.from !== undefined) {
    clauses.push('ended_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    clauses.push('ended_at < ?');
    params.push(filter.to);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  // One row past the cap tells whether anything was left out without counting them all.
  const newest = db
    .prepare(`SELECT ${CALL_COLUMNS.join(', ')} FROM calls ${where} ORDER BY id DESC LIMIT ?`)
    .all(...params, maxRows + 1) as Record<string, unknown>[];
  const truncated = newest.length > maxRows;
  const rows = newest.slice(0, maxRows).reverse();
  const lines = [CALL_COLUMNS.join(','), ...rows.map((row) => CALL_COLUMNS.map((c) => csvField(row[c])).join(','))];
  return { csv: `${lines.join('\r\n')}\r\n`, rows: rows.length, truncated };
}
