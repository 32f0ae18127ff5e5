import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../shared/models.js';
import { BudgetGuard, ledgerSpendSource, type BudgetScope } from './budgets.js';
import { CallsRepository } from './calls-repository.js';
import { openLedger } from './database.js';
import { defaultPricer } from './pricing.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const TEAM_OF = ['t1', 't1', 't2', 't2'] as const;

describe('BudgetGuard', () => {
  it('admits under the cap, reserves, and refuses naming the cap it would overrun', () => {
    const ledger = openLedger(':memory:');
    const pricer = defaultPricer();
    const repo = new CallsRepository(ledger.db, pricer);
    const guard = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
    guard.setCap('mission', 'm1', 100_000_000);
    guard.setCap('agent', 'a1', 40_000_000);

    const worst = guard.worstCaseCost('claude-opus-4-5', 1_000, 1_000, { at: T0 }); // 10,000,000 + 25,000,000
    expect(worst).toBe(35_000_000);
    const first = guard.checkAdmission({ missionId: 'm1', teamId: 't1', agentId: 'a1', worstCaseNano: worst });
    expect(first).toMatchObject({ admitted: true });
    expect(guard.reservedNano('agent', 'a1')).toBe(35_000_000);

    // a1 has 40M: 35M in flight + 35M would overrun it.
    expect(guard.checkAdmission({ missionId: 'm1', teamId: 't1', agentId: 'a1', worstCaseNano: worst })).toEqual({
      admitted: false,
      scope: 'agent',
      id: 'a1',
      capNano: 40_000_000,
      spentNano: 0,
      reservedNano: 35_000_000,
      worstCaseNano: 35_000_000,
      message: expect.stringMatching(/agent "a1" budget/),
    });

    // The call ends having spent 10,000 input tokens' worth... of far less: record, then settle.
    repo.insert({ requestId: 'x', missionId: 'm1', teamId: 't1', agentId: 'a1', modelRequested: 'claude-opus-4-5', status: 'ok', startedAt: T0, endedAt: T0 + 1, usage: { inputTokens: 1_000, outputTokens: 200 } });
    expect(guard.settle((first as { reservationId: string }).reservationId)).toBe(true);
    expect(guard.settle((first as { reservationId: string }).reservationId)).toBe(false);
    expect(guard.reservedNano('agent', 'a1')).toBe(0);
    expect(guard.usage()).toEqual(
      expect.arrayContaining([{ scope: 'agent', id: 'a1', capNano: 40_000_000, spentNano: 10_000_000, reservedNano: 0 }]),
    );

    // The mission cap binds for another agent: 10M spent, 95M asked.
    expect(guard.checkAdmission({ missionId: 'm1', agentId: 'a2', worstCaseNano: 95_000_000 })).toMatchObject({
      admitted: false,
      scope: 'mission',
      spentNano: 10_000_000,
    });
    expect(guard.checkAdmission({ missionId: 'm1', agentId: 'a2', worstCaseNano: 90_000_000 })).toMatchObject({ admitted: true });
    expect(guard.inFlight()).toBe(1);
    guard.setCap('mission', 'm1', null);
    expect(guard.usage().map((u) => u.scope)).toEqual(['agent']);
    expect(() => guard.checkAdmission({ worstCaseNano: -1 })).toThrow(/non-negative/);
    ledger.close();
  });

  it('never lets committed spend plus calls in flight exceed any cap (random concurrent streams)', () => {
    const capArb = fc.option(fc.integer({ min: 0, max: 400_000_000 }), { nil: null });
    const opArb = fc.oneof(
      fc.record({
        kind: fc.constant('admit' as const),
        agent: fc.integer({ min: 0, max: 3 }),
        model: fc.constantFrom(...MODEL_IDS),
        estInput: fc.nat(30_000),
        maxOutput: fc.nat(8_000),
      }),
      fc.record({
        kind: fc.constant('settle' as const),
        pick: fc.nat(),
        inputPct: fc.integer({ min: 0, max: 100 }),
        outputPct: fc.integer({ min: 0, max: 100 }),
        weights: fc.tuple(fc.nat(10), fc.nat(10), fc.nat(10), fc.nat(10)),
        status: fc.constantFrom('ok' as const, 'error' as const, 'cancelled' as const, 'partial' as const),
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ mission: capArb, t1: capArb, t2: capArb, agents: fc.tuple(capArb, capArb, capArb, capArb) }),
        fc.array(opArb, { maxLength: 120 }),
        (caps, ops) => {
          const ledger = openLedger(':memory:');
          try {
            const pricer = defaultPricer();
            const repo = new CallsRepository(ledger.db, pricer);
            const guard = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
            const capped: [BudgetScope, string, number | null][] = [
              ['mission', 'm1', caps.mission],
              ['team', 't1', caps.t1],
              ['team', 't2', caps.t2],
              ...caps.agents.map((c, i) => ['agent', `a${i}`, c] as [BudgetScope, string, number | null]),
            ];
            for (const [scope, id, cap] of capped) guard.setCap(scope, id, cap);
            const spent = ledger.db.prepare(
              `SELECT coalesce(sum(cost_total_nano), 0) FROM calls WHERE mission_id = @id OR team_id = @id OR agent_id = @id`,
            ).pluck();
            const check = () => {
              for (const [scope, id, cap] of capped) {
                if (cap === null) continue;
                const committed = Number(spent.get({ id }));
                expect(committed).toBeLessThanOrEqual(cap);
                expect(committed + guard.reservedNano(scope, id)).toBeLessThanOrEqual(cap);
              }
            };
            const inFlight: { reservationId: string; agent: number; model: string; estInput: number; maxOutput: number; worst: number }[] = [];
            let n = 0;
            for (const op of ops) {
              if (op.kind === 'admit') {
                const worst = guard.worstCaseCost(op.model, op.estInput, op.maxOutput, { at: T0 });
                const decision = guard.checkAdmission({ missionId: 'm1', teamId: TEAM_OF[op.agent], agentId: `a${op.agent}`, worstCaseNano: worst });
                if (decision.admitted) inFlight.push({ reservationId: decision.reservationId, ...op, worst });
                else expect(decision.spentNano + decision.reservedNano + worst).toBeGreaterThan(decision.capNano);
              } else if (inFlight.length > 0) {
                const [call] = inFlight.splice(op.pick % inFlight.length, 1);
                if (!call) continue;
                const input = Math.floor((call.estInput * op.inputPct) / 100);
                const w = op.weights;
                const total = w[0] + w[1] + w[2] + w[3] || 1;
                const parts = [w[0], w[1], w[2]].map((x) => Math.floor((input * x) / total)) as [number, number, number];
                const usage = {
                  inputTokens: parts[0],
                  cacheCreation5mTokens: parts[1],
                  cacheCreation1hTokens: parts[2],
                  cacheReadTokens: input - parts[0] - parts[1] - parts[2],
                  outputTokens: Math.floor((call.maxOutput * op.outputPct) / 100),
                };
                const outcome = repo.insert({
                  requestId: `c${n++}`,
                  missionId: 'm1',
                  teamId: TEAM_OF[call.agent],
                  agentId: `a${call.agent}`,
                  modelRequested: call.model,
                  status: op.status,
                  startedAt: T0,
                  endedAt: T0 + 1_000,
                  usage,
                });
                expect(outcome.inserted && outcome.cost.totalNano).toBeLessThanOrEqual(call.worst);
                guard.settle(call.reservationId);
              }
              check();
            }
          } finally {
            ledger.close();
          }
        },
      ),
      // Shrinking replays whole ledgers and can take minutes; the seed reproduces a failure.
      { numRuns: 60, endOnFailure: true },
    );
  });
});

describe('budgets across missions of one design', () => {
  it('counts a team or agent cap only against its own mission', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openLedger } = await import('./database.js');
    const { CallsRepository } = await import('./calls-repository.js');
    const { defaultPricer } = await import('./pricing.js');
    const { BudgetGuard, ledgerSpendSource, scopedId } = await import('./budgets.js');
    const dir = mkdtempSync(join(tmpdir(), 'cr-budget-scope-'));
    const ledger = openLedger(join(dir, 'l.db'));
    try {
      const calls = new CallsRepository(ledger.db, defaultPricer());
      // Mission A's agent "coder-1" spends; mission B's "coder-1" is another agent.
      calls.insert({
        requestId: 'a1',
        missionId: 'mission-a',
        teamId: 'team-1',
        agentId: 'coder-1',
        modelRequested: 'claude-haiku-4-5',
        startedAt: Date.parse('2026-11-01'),
        endedAt: Date.parse('2026-11-01') + 1000,
        status: 'ok',
        usage: { inputTokens: 1_000_000 },
      });
      const spend = ledgerSpendSource(ledger.db);
      expect(spend.committedNano('agent', scopedId('mission-a', 'coder-1'))).toBe(1_000_000_000);
      expect(spend.committedNano('agent', scopedId('mission-b', 'coder-1'))).toBe(0);
      expect(spend.committedNano('team', scopedId('mission-b', 'team-1'))).toBe(0);

      const guard = new BudgetGuard({ spend });
      guard.setCap('agent', scopedId('mission-b', 'coder-1'), 500_000_000);
      const decision = guard.checkAdmission({
        missionId: 'mission-b',
        agentId: scopedId('mission-b', 'coder-1'),
        worstCaseNano: 400_000_000,
      });
      expect(decision.admitted).toBe(true);
    } finally {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
