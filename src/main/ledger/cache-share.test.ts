import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MISSION_SETTINGS } from '../../shared/mission.js';
import { AppError } from '../../shared/result.js';
import { cacheShare } from './cache-share.js';
import { CallsRepository, type CallUsage } from './calls-repository.js';
import { openLedger, type Ledger } from './database.js';
import { defaultPricer } from './pricing.js';

/** Calls with known usage in a real ledger, so every share can be worked out by hand. */

let ledger: Ledger | undefined;
let dir: string | undefined;
afterEach(() => {
  ledger?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  ledger = undefined;
  dir = undefined;
});

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

function open(): { l: Ledger; call: (id: string, agent: string | null, model: string, usage: Partial<CallUsage>, mission?: string | null) => void } {
  dir = mkdtempSync(join(tmpdir(), 'cr-cache-share-'));
  const l = openLedger(join(dir, 'ledger.db'));
  ledger = l;
  const t = new Date(T0).toISOString();
  for (const id of ['m1', 'm2']) {
    l.db
      .prepare(
        `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch, worktree_root,
                               state, settings_json, plan_round, created_at, updated_at)
         VALUES (?, 'Scripted', 'd1', 1, '{}', 'A goal', '/tmp/repo', 'main', '/tmp/wt', 'running', ?, 1, ?, ?)`,
      )
      .run(id, JSON.stringify(DEFAULT_MISSION_SETTINGS), t, t);
    l.db.prepare(`INSERT INTO mission_teams (mission_id, id, name, sort_order) VALUES (?, 'core', 'Core', 0)`).run(id);
  }
  const agent = l.db.prepare(
    `INSERT INTO mission_agents (mission_id, id, team_id, name, role, model, state, last_activity_at, sort_order)
     VALUES (?, ?, 'core', ?, ?, ?, 'working', ?, ?)`,
  );
  agent.run('m1', 'lead', 'Ada', 'leader', 'claude-opus-4-8', t, 0);
  agent.run('m1', 'c1', 'Brook', 'coder', 'claude-sonnet-4-6', t, 1);
  agent.run('m2', 'c1', 'Cy', 'coder', 'claude-sonnet-4-6', t, 0);
  const calls = new CallsRepository(l.db, defaultPricer());
  let n = 0;
  const call = (id: string, agentId: string | null, model: string, usage: Partial<CallUsage>, mission: string | null = 'm1'): void => {
    n += 1;
    calls.insert({
      requestId: id,
      missionId: mission,
      teamId: mission ? 'core' : null,
      agentId,
      modelRequested: model,
      startedAt: T0 + n * 1_000,
      endedAt: T0 + n * 1_000 + 500,
      status: 'ok',
      usage: { outputTokens: 10, ...usage },
    });
  };
  return { l, call };
}

describe('cache-read share', () => {
  it('is cache reads over all input (fresh, both cache writes, reads), per agent and model, from the ledger', () => {
    const { l, call } = open();
    // Ada (Opus): 1,000 fresh + 4,000 written for an hour, then 1,000 fresh + 8,000 read.
    call('r1', 'lead', 'claude-opus-4-8', { inputTokens: 1_000, cacheCreation1hTokens: 4_000 });
    call('r2', 'lead', 'claude-opus-4-8', { inputTokens: 1_000, cacheReadTokens: 8_000 });
    // Brook (Sonnet): 500 fresh + 1,500 written for 5 minutes, 500 + 6,000 read; and a
    // compaction on Haiku billed to Brook (3,000 fresh).
    call('r3', 'c1', 'claude-sonnet-4-6', { inputTokens: 500, cacheCreation5mTokens: 1_500 });
    call('r4', 'c1', 'claude-sonnet-4-6', { inputTokens: 500, cacheReadTokens: 6_000 });
    call('r5', 'c1', 'claude-haiku-4-5', { inputTokens: 3_000 });
    // Another mission's coder and a call of no mission: only in the all-missions view.
    call('r6', 'c1', 'claude-sonnet-4-6', { inputTokens: 1_000, cacheReadTokens: 1_000 }, 'm2');
    call('r7', null, 'claude-haiku-4-5', { inputTokens: 100 }, null);

    const m1 = cacheShare(l.db, 'm1');
    expect(m1.missionId).toBe('m1');
    // Opus: 8,000 / (2,000 + 4,000 + 8,000) = 4/7; Sonnet: 6,000 / (1,000 + 1,500 + 6,000); Haiku: 0.
    expect(m1.byModel.map((r) => [r.model, r.calls, r.readShare])).toEqual([
      ['claude-haiku-4-5', 1, 0],
      ['claude-opus-4-8', 2, 8_000 / 14_000],
      ['claude-sonnet-4-6', 2, 6_000 / 8_500],
    ]);
    expect(m1.total).toEqual({
      inputTokens: 6_000,
      cacheWrite5mTokens: 1_500,
      cacheWrite1hTokens: 4_000,
      cacheReadTokens: 14_000,
      readShare: 14_000 / 25_500,
    });
    // Per agent and model, the most input first, with the agent's name and role.
    expect(m1.byAgent.map((r) => [r.agentName, r.role, r.model, r.readShare])).toEqual([
      ['Ada', 'leader', 'claude-opus-4-8', 8_000 / 14_000],
      ['Brook', 'coder', 'claude-sonnet-4-6', 6_000 / 8_500],
      ['Brook', 'coder', 'claude-haiku-4-5', 0],
    ]);
    expect(m1.agentsLeftOut).toBe(0);

    const all = cacheShare(l.db);
    expect(all.missionId).toBeNull();
    expect(all.total.inputTokens).toBe(6_000 + 1_000 + 100);
    expect(all.total.cacheReadTokens).toBe(15_000);
    expect(all.byAgent.map((r) => `${r.missionId}/${r.agentName}/${r.model}`)).toContain('m2/Cy/claude-sonnet-4-6');
    // The call of no agent counts in the totals, never as an agent.
    expect(all.byAgent.every((r) => r.agentId !== '')).toBe(true);
  });

  it('says null, not 0 %, for an agent without input, and refuses an unknown mission', () => {
    const { l } = open();
    expect(cacheShare(l.db, 'm1')).toEqual({
      missionId: 'm1',
      total: { inputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, readShare: null },
      byModel: [],
      byAgent: [],
      agentsLeftOut: 0,
    });
    expect(() => cacheShare(l.db, 'nope')).toThrow(AppError);
    expect(() => cacheShare(l.db, 'nope')).toThrow('no mission "nope"');
  });
});
