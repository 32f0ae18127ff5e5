import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED_ERROR_TYPE } from '../ledger/calls-repository.js';
import { openLedger } from '../ledger/database.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type FakeMessagesApi,
  type MessageStartEntry,
} from '../llm/testing/fake-messages-api.js';
import { MemorySecretStore, SettingsService } from '../settings/index.js';
import { setupCalls } from './setup-calls.js';

/**
 * The exact-ledger promise under kill -9: a process streams calls (both paths, the real
 * SDK and gateway) against the loopback fake, which keeps its own bill of every response
 * whose message_start it flushed; it is killed with SIGKILL while some of those streams
 * are still going, several times over one ledger; then the ledger is opened as an engine
 * opens it. Every response the fake billed whose message_start had reached the process is
 * one row, with the usage it reported, and none is there twice.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = join(ROOT, 'node_modules/.cache/control-room-tests/crash-billing-child.mjs');
/** A message_start flushed this long before the kill has surely been read (and committed) by the process. */
const ARRIVED_MS = 150;

beforeAll(async () => {
  await build({
    entryPoints: [join(ROOT, 'src/main/app/testing/crash-billing-child.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    loader: { '.sql': 'text' },
    logLevel: 'warning',
  });
}, 60_000);

let dir: string | undefined;
let fake: FakeMessagesApi | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  fake = undefined;
  child = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the child until some of its streams are past message_start and some have ended, then kills it. */
async function runAndKill(db: string, api: FakeMessagesApi): Promise<{ killedAt: number; arrived: MessageStartEntry[] }> {
  const from = api.messageStarts.length;
  const ended = () => new Set(api.billing.map((b) => b.requestId));
  child = spawn(process.execPath, [BUNDLE, db, '6'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ANTHROPIC_API_KEY: DEFAULT_FAKE_API_KEY, ANTHROPIC_BASE_URL: api.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the child exited (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) throw new Error(`no stream was caught in the middle: ${err}`);
    const done = ended();
    const mine = api.messageStarts.slice(from);
    const now = Date.now();
    const midStream = mine.some((s) => now - s.sentAt >= ARRIVED_MS && !done.has(s.requestId));
    const completed = mine.filter((s) => done.has(s.requestId)).length;
    if (midStream && completed >= 2) break;
    await sleep(10);
  }
  const killedAt = Date.now();
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const arrived = api.messageStarts.slice(from).filter((s) => s.sentAt <= killedAt - ARRIVED_MS);
  return { killedAt, arrived };
}

describe('billing that survives kill -9', () => {
  it('keeps every billed response whose message_start arrived as exactly one row, with the usage it reported', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cr-crash-billing-'));
    const db = join(dir, 'data', 'ledger.db');
    // Streams wait 400 ms after message_start before their content: a kill lands in the middle of several.
    fake = await startFakeMessagesApi({ firstTokenLatencyMs: 400, eventDelayMs: 5 });
    const arrived: MessageStartEntry[] = [];
    const interruptedPerRound: MessageStartEntry[][] = [];
    for (let round = 0; round < 3; round++) {
      const run = await runAndKill(db, fake);
      arrived.push(...run.arrived);
      // Cut by the kill: the fake never finished them (it bills them as aborted once it notices).
      const completed = new Set(fake.billing.filter((b) => b.status === 'completed').map((b) => b.requestId));
      interruptedPerRound.push(run.arrived.filter((s) => !completed.has(s.requestId)));
    }
    // The fake finishes its side of the cut streams (billing them as aborted).
    await fake.whenIdle();
    // Each round killed streams whose message_start had arrived and whose end never came.
    for (const cut of interruptedPerRound) expect(cut.length).toBeGreaterThan(0);

    // Restart: the engine's start settles what the last crash left in flight.
    const ledger = openLedger(db);
    try {
      const settings = new SettingsService({ db: ledger.db, env: {}, dataDir: dirname(db), secrets: new MemorySecretStore() });
      setupCalls({ db: ledger.db, provider: 'simulated' }, settings).close();
      const rows = ledger.db
        .prepare(
          'SELECT request_id, message_id, status, error_type, input_tokens, output_tokens, cache_read_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens FROM calls',
        )
        .all() as {
        request_id: string;
        message_id: string | null;
        status: string;
        error_type: string | null;
        input_tokens: number;
        output_tokens: number;
        cache_read_tokens: number;
        cache_creation_5m_tokens: number;
        cache_creation_1h_tokens: number;
      }[];
      const started = new Map(fake.messageStarts.map((s) => [s.requestId, s]));
      const billed = new Map(fake.billing.map((b) => [b.requestId, b]));
      // Nothing the fake did not bill, and no response twice (under another request id).
      for (const row of rows) expect(started.has(row.request_id), row.request_id).toBe(true);
      const messageIds = rows.map((r) => r.message_id);
      expect(new Set(messageIds).size).toBe(messageIds.length);
      expect(Number(ledger.db.prepare('SELECT count(*) FROM calls_in_flight').pluck().get())).toBe(0);

      const byId = new Map(rows.map((r) => [r.request_id, r]));
      const missing = arrived.filter((s) => !byId.has(s.requestId)).map((s) => s.requestId);
      expect(missing).toEqual([]);
      for (const start of arrived) {
        const row = byId.get(start.requestId)!;
        // The input and cache usage message_start reported, exactly.
        expect(row, start.requestId).toMatchObject({
          input_tokens: start.inputTokens,
          cache_read_tokens: start.cacheReadInputTokens,
          cache_creation_5m_tokens: start.cacheCreation5mInputTokens,
          cache_creation_1h_tokens: start.cacheCreation1hInputTokens,
        });
        if (row.status === 'ok') {
          expect(row.output_tokens).toBe(billed.get(start.requestId)?.outputTokens);
        } else {
          expect(row).toMatchObject({ status: 'partial', error_type: INTERRUPTED_ERROR_TYPE, output_tokens: start.outputTokens });
        }
      }
      const settledRows = rows.filter((r) => r.error_type === INTERRUPTED_ERROR_TYPE).map((r) => r.request_id);
      for (const cut of interruptedPerRound) expect(cut.every((s) => settledRows.includes(s.requestId))).toBe(true);
    } finally {
      ledger.close();
    }
  }, 90_000);
});
