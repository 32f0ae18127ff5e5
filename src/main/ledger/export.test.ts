import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_COLUMNS, CallsRepository, type CallRecord } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { CALLS_CSV_COLUMNS, callsCsv, csvField, exportCalls, nanoToUsdText } from './export.js';
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

/** Two missions whose names need quoting or would run as formulas; both have a "Team 1". */
function seedMissions(): void {
  const mission = ledger.db.prepare(
    `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch, worktree_root, state, created_at, updated_at)
     VALUES (?, ?, 'd', 1, '{}', 'goal', '/r', 'main', '/w', 'running', '2026-01-15', '2026-01-15')`,
  );
  const team = ledger.db.prepare(`INSERT INTO mission_teams (mission_id, id, name, sort_order) VALUES (?, 't-1', 'Team 1', 0)`);
  const agent = ledger.db.prepare(
    `INSERT INTO mission_agents (mission_id, id, team_id, name, role, model, state, last_activity_at, sort_order)
     VALUES (?, 'a-1', 't-1', ?, 'coder', 'claude-haiku-4-5', 'working', '2026-01-15', 0)`,
  );
  mission.run('m-1', 'Shop, "v2"\nlaunch');
  mission.run('m-2', '@Second mission');
  team.run('m-1');
  team.run('m-2');
  agent.run('m-1', '=HYPERLINK("http://evil")');
  agent.run('m-2', '+leader');
  ledger.db
    .prepare(
      `INSERT INTO mission_tasks (id, mission_id, team_id, plan_round, key, title, description, acceptance_json, owns_json,
         depends_on_json, state, sort_order, created_at, updated_at)
       VALUES ('task-1', 'm-1', 't-1', 1, 'totals', '-2+3 add totals', '', '[]', '[]', '[]', 'in_progress', 0, '2026-01-15', '2026-01-15')`,
    )
    .run();
}
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
    expect(parsed[0]).toEqual(CALLS_CSV_COLUMNS.map((c) => c.header));
    expect(parsed).toHaveLength(4);
    const col = (header: string) => parsed[0]!.indexOf(header);
    expect(parsed[1]![col('Error')]).toBe(awkward);
    expect(parsed[2]![col('Agent id')]).toBe('a,1');
    expect(parsed[2]![col('Mission id')]).toBe('');
    expect(parsed[3]![col('Total (USD)')]).toBe('0.000003000');
  });

  it('gives people names, ISO times and exact dollars, ids at the end; the JSON keeps the raw figures', async () => {
    seedMissions();
    const repo = new CallsRepository(ledger.db, defaultPricer());
    repo.insertMany([
      call(1, {
        missionId: 'm-1',
        teamId: 't-1',
        agentId: 'a-1',
        role: 'coder',
        taskId: 'task-1',
        firstTokenAt: T0 + 1 + 250,
        limiter: { waitMs: 1_500 },
        usage: { inputTokens: 1_234, outputTokens: 567 },
      }),
      // The other mission's team is also "Team 1": the mission column tells them apart.
      call(2, { missionId: 'm-2', teamId: 't-1', agentId: 'a-1', role: 'leader' }),
      // A call whose mission rows are not there keeps its ids and has no names.
      call(3, { missionId: 'gone', teamId: 'x', agentId: 'y' }),
    ]);
    const parsed = parseCsv((await collect('csv')).text);
    const [header, first, second, orphan] = parsed as [string[], string[], string[], string[]];
    const get = (row: string[], name: string) => row[header.indexOf(name)];

    expect(get(first, 'Mission')).toBe('Shop, "v2"\nlaunch');
    expect(get(first, 'Team')).toBe('Team 1');
    expect(get(first, 'Agent')).toBe("'=HYPERLINK(\"http://evil\")");
    expect(get(first, 'Task')).toBe("'-2+3 add totals");
    expect(get(second, 'Mission')).toBe("'@Second mission");
    expect(get(second, 'Team')).toBe('Team 1');
    expect(get(second, 'Agent')).toBe("'+leader");
    expect(get(orphan, 'Mission')).toBe('');
    expect(get(orphan, 'Mission id')).toBe('gone');

    expect(get(first, 'Started (UTC)')).toBe('2026-01-15T10:00:00.001Z');
    expect(get(first, 'Ended (UTC)')).toBe('2026-01-15T10:00:00.501Z');
    expect(get(first, 'First token (UTC)')).toBe('2026-01-15T10:00:00.251Z');
    expect(get(first, 'Duration (s)')).toBe('0.500');
    expect(get(first, 'Rate limit wait (s)')).toBe('1.500');

    const raw = ledger.db.prepare('SELECT * FROM calls WHERE id = 1').get() as { cost_total_nano: number; cost_input_nano: number };
    expect(raw.cost_total_nano).toBeGreaterThan(0);
    expect(get(first, 'Total (USD)')).toBe(nanoToUsdText(raw.cost_total_nano));
    expect(get(first, 'Input (USD)')).toBe(nanoToUsdText(raw.cost_input_nano));
    // Exact to the nano-dollar: nine places, never a float's rounding noise.
    expect(get(first, 'Total (USD)')).toMatch(/^\d+\.\d{9}$/);
    expect(header.slice(-8)).toEqual(['Call id', 'Request id', 'Retry of', 'Message id', 'Mission id', 'Team id', 'Agent id', 'Task id']);
    expect(get(first, 'Task id')).toBe('task-1');
    // No header or field is a raw ledger column with epoch milliseconds or nano-dollars.
    expect(header.join(',')).not.toMatch(/_nano|_at\b/);
    expect(first).not.toContain(String(T0 + 1));

    const json = JSON.parse((await collect('json')).text) as Record<string, unknown>[];
    expect(Object.keys(json[0]!)).toEqual([...CALL_COLUMNS]);
    expect(json[0]).toMatchObject({ started_at: T0 + 1, cost_total_nano: raw.cost_total_nano, mission_id: 'm-1' });
  });

  it('writes dollars as exact decimals', () => {
    expect(nanoToUsdText(0)).toBe('0.000000000');
    expect(nanoToUsdText(12_345_678)).toBe('0.012345678');
    expect(nanoToUsdText(300_000_000)).toBe('0.300000000');
    expect(nanoToUsdText(1_000_000_000_123)).toBe('1000.000000123');
    expect(nanoToUsdText(-1_500_000_000)).toBe('-1.500000000');
  });

  it('the UI download has the same columns, filtered, newest rows kept', () => {
    seedMissions();
    const repo = new CallsRepository(ledger.db, defaultPricer());
    repo.insertMany([call(1, { missionId: 'm-1', teamId: 't-1', agentId: 'a-1' }), call(2, { missionId: 'm-2' }), call(3, { missionId: 'm-1' })]);
    const out = callsCsv(ledger.db, { missionId: 'm-1' }, 1);
    const parsed = parseCsv(out.csv);
    expect(out).toMatchObject({ rows: 1, truncated: true });
    expect(parsed[0]).toEqual(CALLS_CSV_COLUMNS.map((c) => c.header));
    expect(parsed[1]![parsed[0]!.indexOf('Call id')]).toBe('3');
    expect(parsed[1]![parsed[0]!.indexOf('Mission')]).toBe('Shop, "v2"\nlaunch');
    expect(callsCsv(ledger.db, { missionId: 'm-1' }, 10).csv).toContain("'=HYPERLINK(");
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
