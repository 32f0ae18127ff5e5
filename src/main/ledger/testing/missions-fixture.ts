import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallsRepository } from '../calls-repository.js';
import { openLedger, type Ledger } from '../database.js';
import { defaultPricer } from '../pricing.js';

/**
 * A temp-file ledger with the real migrations, and the few mission rows the ledger's
 * queries join calls with (a mission, its teams and agents, task log rows), written
 * with the migrations' own columns so a query test needs no engine.
 */
export interface MissionsFixture {
  ledger: Ledger;
  calls: CallsRepository;
  /** A mission created at `createdAt` (ISO) with these agents, all in their `teamId`. */
  mission(
    id: string,
    createdAt: string,
    agents: readonly { id: string; teamId: string; role: string; model: string }[],
  ): void;
  /** One task transition of the mission log. */
  log(missionId: string, taskId: string, from: string | null, to: string, detail?: Record<string, unknown>): void;
  cleanup(): void;
}

export function missionsFixture(): MissionsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'cr-ledger-'));
  const ledger = openLedger(join(dir, 'ledger.db'));
  const { db } = ledger;
  let at = 0;
  return {
    ledger,
    calls: new CallsRepository(db, defaultPricer()),
    mission(id, createdAt, agents) {
      db.prepare(
        `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch,
           worktree_root, state, created_at, updated_at)
         VALUES (?, ?, 'd', 1, '{}', 'goal', '/repo', 'main', '/worktrees', 'done', ?, ?)`,
      ).run(id, id, createdAt, createdAt);
      const teams = [...new Set(agents.map((a) => a.teamId))];
      teams.forEach((team, i) =>
        db.prepare('INSERT INTO mission_teams (mission_id, id, name, sort_order) VALUES (?, ?, ?, ?)').run(id, team, team, i),
      );
      agents.forEach((a, i) =>
        db
          .prepare(
            `INSERT INTO mission_agents (mission_id, id, team_id, name, role, model, state, last_activity_at, sort_order)
             VALUES (?, ?, ?, ?, ?, ?, 'done', ?, ?)`,
          )
          .run(id, a.id, a.teamId, a.id, a.role, a.model, createdAt, i),
      );
    },
    log(missionId, taskId, from, to, detail = {}) {
      at += 1;
      db.prepare(
        `INSERT INTO mission_log (mission_id, at, kind, subject_id, from_state, to_state, detail_json)
         VALUES (?, ?, 'task', ?, ?, ?, ?)`,
      ).run(missionId, new Date(Date.UTC(2026, 0, 1) + at * 1_000).toISOString(), taskId, from, to, JSON.stringify(detail));
    },
    cleanup() {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
