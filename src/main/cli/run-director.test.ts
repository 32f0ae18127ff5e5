import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { openLedger } from '../ledger/database.js';
import { git, makeRepo, saveDesign } from '../engine/testing/harness.js';
import { runCli } from './run-cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'cr-run-director-'));
  const repo = makeRepo(dir);
  const scratch = openLedger(':memory:');
  const design = saveDesign(scratch, [{ id: 'core', coders: 2 }]);
  scratch.close();
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(design));
  return { repo, teamFile, db: join(dir, 'data', 'ledger.db') };
}

function collector() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

describe('control-room run --director', () => {
  it("prints the director's draft, sends it back with a comment on stdin, approves the second draft, and runs the mission", async () => {
    const { repo, teamFile, db } = setup();
    const stdout = collector();
    const stderr = collector();
    // The send-back, the approval of the second draft, then an approval for anything else asked.
    const stdin = Readable.from(['s Keep it to one module\n', 'a\n', ...Array.from({ length: 40 }, () => 'a\n')]);
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated', '--director'],
      { stdout, stderr, env: { CONTROL_ROOM_SIM_LATENCY: '0' }, stdin } as Parameters<typeof runCli>[1],
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const drafts = stdout.text.split('? [mission_brief]').slice(1);
    expect(drafts).toHaveLength(2);
    expect(drafts[0]).toMatch(/ {2}core:\n {4}.*Build a todo CLI/);
    expect(drafts[0]).toContain('answer: a(pprove) | s(end back) COMMENT');
    expect(drafts[0]).not.toContain('Keep it to one module');
    expect(drafts[1]).toContain("Revised for the person's comment: Keep it to one module");
    expect(stdout.text).toMatch(/mission {2}done/);
    expect(git(repo, 'log', '--oneline', 'main')).toMatch(/Merge mission/);

    const ledger = openLedger(db);
    try {
      const rows = ledger.db.prepare(`SELECT role, cost_total_nano FROM calls WHERE agent_id = 'director'`).all() as { role: string; cost_total_nano: number }[];
      expect(rows).toHaveLength(2);
      expect(rows.every((r) => r.role === 'director' && r.cost_total_nano > 0)).toBe(true);
      const decisions = ledger.db.prepare(`SELECT decision, comment FROM escalations WHERE type = 'mission_brief' ORDER BY created_at`).all();
      expect(decisions).toEqual([
        { decision: 'reply', comment: 'Keep it to one module' },
        { decision: 'approve', comment: null },
      ]);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
