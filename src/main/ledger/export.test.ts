import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_COLUMNS, CallsRepository, type CallRecord } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { csvField, exportCalls } from './export.js';
import { defaultPricer } from './pricing.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
let ledger: Ledger;

function call(i: number, r: Partial<CallRecord> = {}): CallRecord {
  return { requestId: `req-${i}`, modelRequested: 'claude-haiku-4-5', status: 'ok', startedAt: T0 + i, endedAt: T0 + i + 500, usage: { inputTokens: i }, ...r };
}

async function collect(format: 'csv' | 'json'): Promise<{ text: string; rows: number }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const { rows } = await exportCalls(ledger.db, format, out);
  out.end();
  return { text: Buffer.concat(chunks).toString('utf8'), rows };
}

/** A small RFC 4180 parser, to check the export from the reader's side. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

beforeEach(() => {
  ledger = openLedger(':memory:');
});
afterEach(() => ledger.close());

describe('exportCalls', () => {
  it('escapes CSV fields that need it', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(' padded')).toBe('" padded"');
  });

  it('keeps a spreadsheet from running text as a formula', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-A1')).toBe("'-A1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    // Numbers are data, not text: a negative number stays a number.
    expect(csvField(-3)).toBe('-3');
    expect(csvField('agent-1')).toBe('agent-1');
  });

  it('writes a header and every row as CSV, round-tripping awkward text', async () => {
    const repo = new CallsRepository(ledger.db, defaultPricer());
    const awkward = 'overloaded, "really"\r\nsecond line';
    repo.insertMany([call(1, { errorType: awkward, status: 'error' }), call(2, { agentId: 'a,1', missionId: null }), call(3)]);
    const { text, rows } = await collect('csv');
    expect(rows).toBe(3);
    const parsed = parseCsv(text);
    expect(parsed[0]).toEqual([...CALL_COLUMNS]);
    expect(parsed).toHaveLength(4);
    const col = (name: string) => CALL_COLUMNS.indexOf(name as (typeof CALL_COLUMNS)[number]);
    expect(parsed[1]![col('error_type')]).toBe(awkward);
    expect(parsed[2]![col('agent_id')]).toBe('a,1');
    expect(parsed[2]![col('mission_id')]).toBe('');
    expect(parsed[3]![col('cost_total_nano')]).toBe('3000');
  });

  it('streams a JSON array that parses back to the rows', async () => {
    const repo = new CallsRepository(ledger.db, defaultPricer());
    expect(JSON.parse((await collect('json')).text)).toEqual([]);
    repo.insertMany(Array.from({ length: 2_345 }, (_, i) => call(i, { errorType: i === 7 ? 'quote " and \\ back' : null })));
    const { text, rows } = await collect('json');
    const parsed = JSON.parse(text) as Record<string, unknown>[];
    expect(rows).toBe(2_345);
    expect(parsed).toHaveLength(2_345);
    expect(Object.keys(parsed[0]!)).toEqual([...CALL_COLUMNS]);
    expect(parsed[7]).toMatchObject({ request_id: 'req-7', error_type: 'quote " and \\ back', input_tokens: 7, cost_total_nano: 7_000 });
    expect(parsed.map((r) => r.id)).toEqual(parsed.map((_, i) => i + 1));
  });

  it('waits for a slow destination, and leaves the connection usable meanwhile', async () => {
    const repo = new CallsRepository(ledger.db, defaultPricer());
    repo.insertMany(Array.from({ length: 3_000 }, (_, i) => call(i)));
    let bytes = 0;
    let writesDuringExport = 0;
    const slow = new Writable({
      highWaterMark: 1_024,
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        // The engine keeps recording calls while an export runs.
        repo.insert(call(100_000 + writesDuringExport++));
        setTimeout(done, 1);
      },
    });
    const { rows } = await exportCalls(ledger.db, 'csv', slow);
    expect(rows).toBe(3_000);
    expect(writesDuringExport).toBeGreaterThan(1);
    expect(bytes).toBeGreaterThan(3_000 * 100);
  });

  it('refuses an unknown format and a closed destination', async () => {
    await expect(exportCalls(ledger.db, 'xml' as 'csv', new PassThrough())).rejects.toThrow(/unknown export format/);
    const closed = new PassThrough();
    closed.destroy();
    await expect(exportCalls(ledger.db, 'csv', closed)).rejects.toThrow(/closed/);
  });
});
