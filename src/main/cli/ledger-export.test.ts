import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallsRepository } from '../ledger/calls-repository.js';
import { openLedger } from '../ledger/database.js';
import { defaultPricer } from '../ledger/pricing.js';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

let dir: string;
let db: string;

function io(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (t: string) => ((out += t), true) },
      stderr: { write: (t: string) => ((err += t), true) },
      env: {},
    },
    out: () => out,
    err: () => err,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-ledger-export-'));
  db = join(dir, 'ledger.db');
  const ledger = openLedger(db);
  const calls = new CallsRepository(ledger.db, defaultPricer());
  const t = Date.UTC(2026, 0, 15, 10);
  calls.insertMany(
    Array.from({ length: 2_500 }, (_, i) => ({
      requestId: `req-${i}`,
      missionId: i % 2 === 0 ? 'm-1' : null,
      agentId: i === 0 ? 'coder, "one"' : 'coder-2',
      modelRequested: 'claude-sonnet-4-6',
      status: 'ok' as const,
      startedAt: t + i * 1_000,
      endedAt: t + i * 1_000 + 500,
      usage: { inputTokens: 1_000 + i, outputTokens: 100 },
    })),
  );
  ledger.close();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('control-room ledger export', () => {
  it('writes every call as CSV to stdout, header first, quoted where needed', async () => {
    const c = io();
    expect(await runCli(['ledger', 'export', '--db', db, '--format', 'csv'], c.io)).toBe(0);
    const lines = c.out().trimEnd().split('\r\n');
    expect(lines).toHaveLength(2_501);
    expect(lines[0]).toMatch(/^Started \(UTC\),Ended \(UTC\),First token \(UTC\),Duration \(s\),Mission,Team,Agent,/);
    expect(lines[1]).toContain('"coder, ""one"""');
    // ISO times and dollars, never epoch milliseconds or nano-dollars.
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z,/);
    expect(lines[1]).toMatch(/,\d+\.\d{9},/);
    expect(lines[2_500]).toContain('req-2499');
    expect(c.err()).toBe('Exported 2500 calls.\n');
  });

  it('writes JSON to --out, replacing the file only when complete', async () => {
    const out = join(dir, 'calls.json');
    writeFileSync(out, 'old');
    const c = io();
    expect(await runCli(['ledger', 'export', '--db', db, '--format', 'json', '--out', out], c.io)).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as { request_id: string; cost_total_nano: number }[];
    expect(rows).toHaveLength(2_500);
    expect(rows[0]!.request_id).toBe('req-0');
    expect(Number.isInteger(rows[0]!.cost_total_nano)).toBe(true);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(c.out()).toBe(`Exported 2500 calls to ${out}\n`);
  });

  it('defaults to CSV, and refuses a bad format or a missing ledger without creating one', async () => {
    const csv = io();
    expect(await runCli(['ledger', 'export', '--db', db], csv.io)).toBe(0);
    expect(csv.out().startsWith('Started (UTC),')).toBe(true);

    const bad = io();
    expect(await runCli(['ledger', 'export', '--db', db, '--format', 'xml'], bad.io)).toBe(2);
    expect(bad.err()).toContain("--format must be csv or json, not 'xml'");

    const missing = join(dir, 'nope.db');
    const gone = io();
    expect(await runCli(['ledger', 'export', '--db', missing], gone.io)).toBe(1);
    expect(gone.err()).toContain('no ledger at');
    expect(existsSync(missing)).toBe(false);
  });

  it('is listed in help as a two-word command', async () => {
    const c = io();
    expect(await runCli(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('ledger export');
    const one = io();
    expect(await runCli(['ledger', 'export', '--help'], one.io)).toBe(0);
    expect(one.out()).toContain('--format csv|json');
  });
});
