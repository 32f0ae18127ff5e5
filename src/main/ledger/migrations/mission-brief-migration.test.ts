import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { MIGRATIONS } from './index.js';

// Migration 0007 rebuilds `escalations` to widen its CHECK on type: a database migrated at
// 0006 that holds escalations must come out with every row and index as it was.

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'control-room-0007-'));
  db = new Database(join(dir, 'ledger.db'));
  db.pragma('foreign_keys = ON');
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const version = (n: number) => MIGRATIONS.findIndex((m) => m.version === n) + 1;

function seedAt0006(): void {
  migrate(db, MIGRATIONS.slice(0, version(6)));
  db.prepare(
    `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch, worktree_root, state, created_at, updated_at)
     VALUES ('m1', 'M', 'd1', 1, '{}', 'goal', '/r', 'main', '/w', 'planning', '2025-01-01', '2025-01-01')`,
  ).run();
  const insert = db.prepare(
    `INSERT INTO escalations (id, mission_id, team_id, agent_id, task_id, type, level, state, title, detail, payload_json, tool_use_id,
       decision, comment, always_allow, decided_by, timeout_at, created_at, decided_at)
     VALUES (?, 'm1', 't1', 'a1', NULL, ?, 'human', ?, ?, 'detail', ?, 'tu-1', ?, ?, ?, ?, NULL, ?, ?)`,
  );
  insert.run('e1', 'permission', 'resolved', 'run npm test', '{"command":"npm test"}', 'approve', 'ok', 1, 'human', '2025-01-01T00:00:01Z', '2025-01-01T00:00:02Z');
  insert.run('e2', 'plan_approval', 'open', 'Approve the plan', '{}', null, null, 0, null, '2025-01-01T00:00:03Z', null);
}

const rows = () => db.prepare('SELECT * FROM escalations ORDER BY id').all();
const indexes = () =>
  db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'escalations' AND sql IS NOT NULL ORDER BY name`).all();

describe('migration 0007 (mission_brief escalations)', () => {
  it('keeps every escalation, its indexes and the cascade from missions, and accepts the new type', () => {
    seedAt0006();
    const before = rows();
    const indexesBefore = indexes();
    expect(() =>
      db.prepare(`INSERT INTO escalations (id, mission_id, type, level, state, title, created_at) VALUES ('x', 'm1', 'mission_brief', 'human', 'open', 't', 'now')`).run(),
    ).toThrow(/CHECK/);

    expect(migrate(db)).toContain(7);

    expect(rows()).toEqual(before);
    expect(indexes()).toEqual(indexesBefore);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.prepare(
      `INSERT INTO escalations (id, mission_id, type, level, state, title, payload_json, created_at) VALUES ('e3', 'm1', 'mission_brief', 'human', 'open', 'Draft', '{"status":"drafting"}', 'now')`,
    ).run();
    // Other types are still refused, and the foreign key to missions still cascades.
    expect(() =>
      db.prepare(`INSERT INTO escalations (id, mission_id, type, level, state, title, created_at) VALUES ('e4', 'm1', 'nonsense', 'human', 'open', 't', 'now')`).run(),
    ).toThrow(/CHECK/);
    expect(() =>
      db.prepare(`INSERT INTO escalations (id, mission_id, type, level, state, title, created_at) VALUES ('e5', 'nope', 'question', 'human', 'open', 't', 'now')`).run(),
    ).toThrow(/FOREIGN KEY/);
    db.prepare(`DELETE FROM missions WHERE id = 'm1'`).run();
    expect(rows()).toEqual([]);
  });
});
