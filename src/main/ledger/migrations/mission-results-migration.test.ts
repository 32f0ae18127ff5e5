import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { MIGRATIONS } from './index.js';

// Migration 0012 adds how a mission ended: missions that ended before it are backfilled
// from their state and outcome, so a declined final merge no longer reads as merged.

let db: Database.Database;
beforeEach(() => {
  db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
});
afterEach(() => db.close());

const upTo = (n: number) => MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.version === n) + 1);

function mission(id: string, state: string, outcome: string | null, finalCommit: string | null): void {
  db.prepare(
    `INSERT INTO missions (id, name, design_id, design_revision, design_json, goal, repo_path, base_branch, worktree_root, state, final_commit, outcome, created_at, updated_at)
     VALUES (?, ?, 'd1', 1, '{}', 'goal', '/r', 'main', '/w', ?, ?, ?, '2025-01-01', '2025-01-01')`,
  ).run(id, id, state, finalCommit, outcome);
}

describe('migration 0012 (mission results)', () => {
  it('backfills the result kind of missions that ended before it, and leaves running ones null', () => {
    migrate(db, upTo(11));
    mission('merged', 'done', 'merged into main at 7bf1a26c3d78', '7bf1a26c3d78aa');
    mission('declined', 'done', 'final merge declined; the work stays on cr/m/@mission', null);
    mission('failed', 'failed', 'no task was merged', null);
    mission('cancelled', 'cancelled', 'the person rejected the plan', null);
    mission('running', 'running', null, null);
    expect(migrate(db)).toContain(12);
    const kinds = Object.fromEntries(
      (db.prepare('SELECT id, result_kind FROM missions').all() as { id: string; result_kind: string | null }[]).map((r) => [r.id, r.result_kind]),
    );
    expect(kinds).toEqual({ merged: 'merged', declined: 'declined', failed: 'failed', cancelled: 'cancelled', running: null });
    expect(() => db.prepare("UPDATE missions SET result_kind = 'maybe' WHERE id = 'running'").run()).toThrow(/CHECK/);
  });

  it('keeps one summary per team of a mission, and drops them with the mission', () => {
    migrate(db);
    mission('m1', 'done', null, 'abc');
    const insert = db.prepare("INSERT INTO team_result_summaries (mission_id, team_id, summary, source, note, created_at) VALUES ('m1', 'core', ?, ?, NULL, 'now')");
    insert.run('Built the parser.', 'leader');
    expect(() => insert.run('Again.', 'leader')).toThrow(/UNIQUE/);
    expect(() => db.prepare("INSERT INTO team_result_summaries (mission_id, team_id, summary, source, created_at) VALUES ('m1', 'ui', 'x', 'guess', 'now')").run()).toThrow(/CHECK/);
    db.prepare("DELETE FROM missions WHERE id = 'm1'").run();
    expect(db.prepare('SELECT count(*) AS n FROM team_result_summaries').get()).toEqual({ n: 0 });
  });
});
