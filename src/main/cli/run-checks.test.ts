import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { openLedger } from '../ledger/database.js';
import { git, makeRepo, saveDesign } from '../engine/testing/harness.js';
import { runCli } from './run-cli.js';

const ENV = { CONTROL_ROOM_SIM_LATENCY: '0', CR_SECRET_STORE: 'memory' };

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'cr-run-checks-'));
  const repo = makeRepo(dir);
  const scratch = openLedger(':memory:');
  const design = saveDesign(scratch, [{ id: 'core', coders: 1 }]);
  scratch.close();
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(design));
  const db = join(dir, 'data', 'ledger.db');
  // The ledger exists before the refused runs, so "nothing written" is measured in it.
  openLedger(db).close();
  return { repo, teamFile, db };
}

function collector() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

/** Rows a run writes before anything else: the saved design (and its teams and agents) and the mission. */
function rows(db: string): Record<string, number> {
  const ledger = openLedger(db);
  try {
    const count = (table: string) => Number(ledger.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
    return { designs: count('team_designs'), designTeams: count('design_teams'), designAgents: count('design_agents'), missions: count('missions') };
  } finally {
    ledger.close();
  }
}

const NONE = { designs: 0, designTeams: 0, designAgents: 0, missions: 0 };

async function run(args: string[]) {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(['run', ...args, '--provider', 'simulated', '--auto-approve'], { stdout, stderr, env: ENV });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('control-room run: the base branch', () => {
  it("starts from and merges into the branch checked out, 'master' here, when --base is not given", async () => {
    const { repo, teamFile, db } = setup();
    git(repo, 'branch', '-m', 'main', 'master');
    const result = await run(['--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(git(repo, 'log', '--oneline', 'master')).toMatch(/Merge mission/);
    expect(git(repo, 'branch', '--list', 'main')).toBe('');
  });

  it('refuses a detached HEAD in one line that asks for --base, and writes nothing', async () => {
    const { repo, teamFile, db } = setup();
    git(repo, 'switch', '--quiet', '--detach', 'HEAD');
    const result = await run(['--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^control-room run: HEAD is detached in ".*": name the branch to start from and merge into with --base BRANCH\n$/);
    expect(rows(db)).toEqual(NONE);
    // With --base it runs.
    const based = await run(['--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--base', 'main']);
    expect(based.code).toBe(0);
    expect(git(repo, 'log', '--oneline', 'main')).toMatch(/Merge mission/);
  });
});

describe('control-room run: options go through the contract before anything is written', () => {
  it('refuses a budget over the cap in one line, with no design or mission row', async () => {
    const { repo, teamFile, db } = setup();
    const result = await run(['--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--budget', '1e30']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^control-room run: --budget "1e30": .*1000000\n$/);
    expect(result.stderr).not.toMatch(/SQLite|INTEGER/i);
    expect(rows(db)).toEqual(NONE);
  });

  it('refuses a goal over 20,000 characters in one short line that quotes it cut, with no design or mission row', async () => {
    const { repo, teamFile, db } = setup();
    const goal = `\u001b[31m${'a'.repeat(60_000)}`;
    const result = await run(['--team', teamFile, '--goal', goal, '--workspace', repo, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^control-room run: --goal "\\u001b\[31ma+… \(60,005 characters\)": .*20000.*\n$/);
    expect(result.stderr.length).toBeLessThan(300);
    expect(rows(db)).toEqual(NONE);
  });

  it('refuses an empty goal, a missing base branch and a folder that is not a repository, each with no row', async () => {
    const { repo, teamFile, db } = setup();
    const empty = await run(['--team', teamFile, '--goal', '   ', '--workspace', repo, '--db', db]);
    expect(empty.stderr).toMatch(/^control-room run: --goal " {3}": must not be empty\n$/);
    const branch = await run(['--team', teamFile, '--goal', 'x', '--workspace', repo, '--db', db, '--base', 'nope']);
    expect(branch.stderr).toMatch(/^control-room run: the base branch "nope" does not exist in .*; its branches are: main\n$/);
    const notRepo = await run(['--team', teamFile, '--goal', 'x', '--workspace', join(repo, '..'), '--db', db]);
    expect(notRepo.stderr).toMatch(/^control-room run: ".*" is not a git repository \(or has no working tree\)\n$/);
    for (const r of [empty, branch, notRepo]) expect(r.code).toBe(1);
    expect(rows(db)).toEqual(NONE);
  });
});
