import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerSpendSource, MISSION_SPEND_SINCE_SQL } from './budgets.js';
import { CallsRepository } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { defaultPricer } from './pricing.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
let dir: string | undefined;
const open: Ledger[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function ledgers(count: number): Ledger[] {
  dir = mkdtempSync(join(tmpdir(), 'cr-spend-'));
  const path = join(dir, 'ledger.db');
  for (let i = 0; i < count; i++) open.push(openLedger(path));
  return open.slice();
}

const rollUp = (l: Ledger, missionId: string): number =>
  Number(
    l.db
      .prepare('SELECT coalesce(sum(cost_total_nano), 0) FROM call_totals WHERE mission_id = ?')
      .pluck()
      .get(missionId),
  );

let seq = 0;
function record(
  repo: CallsRepository,
  missionId: string | null,
  agent: number,
  input: number,
  output: number,
): void {
  seq += 1;
  repo.insert({
    requestId: `req-${seq}`,
    missionId,
    teamId: 't1',
    agentId: `a${agent}`,
    modelRequested: 'claude-sonnet-4-6',
    status: 'ok',
    startedAt: T0 + seq,
    endedAt: T0 + seq + 10,
    usage: { inputTokens: input, outputTokens: output },
  });
}

describe('ledgerSpendSource: mission spend kept as a running total', () => {
  it('matches the roll-up after every insert, whichever connection wrote it and whatever mission it is for', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            writer: fc.integer({ min: 0, max: 1 }),
            mission: fc.constantFrom('m1', 'm2', null),
            agent: fc.integer({ min: 0, max: 5 }),
            input: fc.nat(50_000),
            output: fc.nat(5_000),
            read: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 8 }),
        (ops, maxCatchUpRows) => {
          const [a, b] = ledgers(2) as [Ledger, Ledger];
          const pricer = defaultPricer();
          const repos = [new CallsRepository(a.db, pricer), new CallsRepository(b.db, pricer)];
          // A small catch-up limit exercises both paths: the increment and the fall-back to the roll-up.
          const spend = ledgerSpendSource(a.db, { maxCatchUpRows });
          for (const op of ops) {
            record(repos[op.writer] as CallsRepository, op.mission, op.agent, op.input, op.output);
            if (op.read) {
              expect(spend.committedNano('mission', 'm1')).toBe(rollUp(a, 'm1'));
              expect(spend.committedNano('mission', 'm2')).toBe(rollUp(a, 'm2'));
            }
          }
          expect(spend.committedNano('mission', 'm1')).toBe(rollUp(a, 'm1'));
          expect(spend.committedNano('mission', 'm2')).toBe(rollUp(a, 'm2'));
          for (const l of open.splice(0)) l.close();
          rmSync(dir as string, { recursive: true, force: true });
          dir = undefined;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sees rows already in the ledger when it is created, and reads inside an open transaction', () => {
    const [l] = ledgers(1) as [Ledger];
    const repo = new CallsRepository(l.db, defaultPricer());
    record(repo, 'm1', 1, 10_000, 1_000);
    const spend = ledgerSpendSource(l.db);
    expect(spend.committedNano('mission', 'm1')).toBe(rollUp(l, 'm1'));
    expect(spend.committedNano('mission', 'm1')).toBeGreaterThan(0);
    l.db.transaction(() => {
      record(repo, 'm1', 2, 20_000, 2_000);
      expect(spend.committedNano('mission', 'm1')).toBe(rollUp(l, 'm1'));
    })();
    expect(spend.committedNano('mission', 'nobody')).toBe(0);
  });

  it('still reads team and agent spend from the roll-up, scoped by mission', () => {
    const [l] = ledgers(1) as [Ledger];
    const repo = new CallsRepository(l.db, defaultPricer());
    record(repo, 'm1', 1, 10_000, 1_000);
    record(repo, 'm2', 1, 30_000, 1_000);
    const spend = ledgerSpendSource(l.db);
    const agent = (m: string) =>
      Number(
        l.db
          .prepare("SELECT sum(cost_total_nano) FROM call_totals WHERE mission_id = ? AND agent_id = 'a1'")
          .pluck()
          .get(m),
      );
    expect(spend.committedNano('agent', 'm1/a1')).toBe(agent('m1'));
    expect(spend.committedNano('agent', 'm2/a1')).toBe(agent('m2'));
    expect(spend.committedNano('team', 'm1/t1')).toBe(agent('m1'));
    expect(spend.committedNano('agent', 'a1')).toBe(agent('m1') + agent('m2'));
  });

  it('catches up through the rowid range, not by scanning the mission\'s calls', () => {
    const [l] = ledgers(1) as [Ledger];
    const plan = l.db
      .prepare(`EXPLAIN QUERY PLAN ${MISSION_SPEND_SINCE_SQL}`)
      .all(0, 10, 'm1')
      .map((r) => (r as { detail: string }).detail);
    expect(plan).toEqual([expect.stringMatching(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/)]);
  });
});
