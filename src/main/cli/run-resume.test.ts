import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { openLedger } from '../ledger/database.js';
import { git, makeRepo, saveDesign } from '../engine/testing/harness.js';
import { runCli } from './run-cli.js';

// The CLI bundled as `npm run build` bundles it, so a real process can be killed mid-mission.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = join(ROOT, 'node_modules/.cache/control-room-tests/cli-run-resume.mjs');
// Instant simulation; secrets kept in memory so no test touches the keychain or writes a key file.
const ENV = { CONTROL_ROOM_SIM_LATENCY: '0', CR_SECRET_STORE: 'memory' };

beforeAll(async () => {
  await build({
    entryPoints: [join(ROOT, 'src/main/cli/index.ts')],
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
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(coders = 2) {
  dir = mkdtempSync(join(tmpdir(), 'cr-run-resume-'));
  const repo = makeRepo(dir);
  const scratch = openLedger(':memory:');
  const design = saveDesign(scratch, [{ id: 'core', coders }]);
  scratch.close();
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(design));
  return { dir, repo, teamFile, db: join(dir, 'data', 'ledger.db'), worktrees: join(dir, 'data', 'worktrees') };
}

function collector() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

/** Tasks the ledger has committed as merged, read as another process would (read-only, beside the writer). */
function committedMerges(db: string): number {
  if (!existsSync(db)) return 0;
  const reader = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return Number(reader.prepare("SELECT count(*) FROM mission_tasks WHERE state = 'merged'").pluck().get());
  } catch {
    return 0; // not migrated yet
  } finally {
    reader.close();
  }
}

/** Starts `control-room run` as a process and kills it (SIGKILL: no shutdown at all) once `ready()` says so. */
async function runAndKill(args: string[], ready: () => boolean): Promise<string> {
  const child = spawn(process.execPath, [BUNDLE, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const poll = setInterval(() => {
    if (child.exitCode === null && ready()) child.kill('SIGKILL');
  }, 5);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`run ended by itself (exit ${code}) before it could be killed:\n${out}\n${err}`));
    });
  });
}

describe('control-room run --resume', () => {
  it('finishes a mission whose run was killed mid-way: no second mission, nothing billed twice, no worktree left', async () => {
    const { repo, teamFile, db, worktrees } = setup(2);
    // Killed as soon as the ledger holds a merged task: the rest of the plan is still to do.
    const killedOut = await runAndKill(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated', '--auto-approve'],
      () => committedMerges(db) > 0,
    );
    const missionId = /^Mission (\S+):/m.exec(killedOut)?.[1];
    expect(missionId).toBeDefined();

    const before = openLedger(db);
    let billed: { last: number; n: number; cost: number };
    let mergedBefore: string[];
    try {
      const m = before.db.prepare('SELECT state FROM missions WHERE id = ?').get(missionId) as { state: string };
      // What a crash leaves: the mission still marked as working, its worktrees on disk.
      expect(['planning', 'running', 'integrating']).toContain(m.state);
      billed = before.db.prepare('SELECT max(id) AS last, count(*) AS n, sum(cost_total_nano) AS cost FROM calls').get() as typeof billed;
      expect(billed.n).toBeGreaterThan(0);
      mergedBefore = before.db.prepare("SELECT id FROM mission_tasks WHERE mission_id = ? AND state = 'merged'").pluck().all(missionId) as string[];
      expect(mergedBefore.length).toBeGreaterThan(0);
    } finally {
      before.close();
    }
    expect(git(repo, 'worktree', 'list')).toContain(worktrees);

    // The listing shows it unfinished (a listing only reads: the state is the crash's).
    const listed = collector();
    expect(await runCli(['missions', '--db', db], { stdout: listed, stderr: collector(), env: ENV })).toBe(0);
    expect(listed.text).toMatch(new RegExp(`^${missionId}\\s+Test design: Build a todo CLI\\s+(planning|running|integrating)\\s+\\d+/\\d+ merged\\s+\\$`, 'm'));

    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['run', '--resume', '--db', db, '--provider', 'simulated', '--auto-approve'], { stdout, stderr, env: ENV });
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    // Which mission it took, said in one line.
    expect(stdout.text.split('\n')[0]).toMatch(new RegExp(`^Resuming mission ${missionId}: .*\\(paused, \\d+/\\d+ merged, \\$`));
    expect(stdout.text).toMatch(/mission {2}done/);
    expect(git(repo, 'log', '--oneline', 'main')).toMatch(/Merge mission/);

    const after = openLedger(db);
    try {
      expect(after.db.prepare('SELECT count(*) FROM missions').pluck().get()).toBe(1);
      expect(after.db.prepare('SELECT state FROM missions').pluck().get()).toBe('done');
      // What was billed before the kill is exactly as it was, and no call was recorded twice.
      const again = after.db.prepare('SELECT count(*) AS n, sum(cost_total_nano) AS cost FROM calls WHERE id <= ?').get(billed.last) as { n: number; cost: number };
      expect(again).toEqual({ n: billed.n, cost: billed.cost });
      const ids = after.db.prepare('SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM calls').get() as { n: number; d: number };
      expect(ids.d).toBe(ids.n);
      // Tasks merged before the kill were merged once, never redone.
      const merges = after.db.prepare("SELECT subject_id FROM mission_log WHERE kind = 'task' AND to_state = 'merged'").pluck().all() as string[];
      for (const id of mergedBefore) expect(merges.filter((m) => m === id)).toHaveLength(1);
    } finally {
      after.close();
    }
    // The merged mission leaves no checkout behind: only the person's own worktree remains.
    expect(git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toEqual([`worktree ${repo}`]);
    expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
    // The mission branch keeps the work; its team and coder branches went with the mission.
    expect(git(repo, 'branch', '--list', 'cr/*').split('\n').map((b) => b.trim())).toEqual([expect.stringMatching(/^cr\/[a-z0-9.-]+\/@mission$/)]);
  }, 90_000);

  it('asks again on stdin for what was still open, resumes the named mission, and refuses finished or unknown ones in one line', async () => {
    const { repo, teamFile, db } = setup(1);
    // stdin closes at the plan approval: the run pauses the mission and says how to resume it.
    const first = collector();
    expect(
      await runCli(['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated'], {
        stdout: first,
        stderr: collector(),
        env: ENV,
        stdin: (await import('node:stream')).Readable.from([]),
      } as Parameters<typeof runCli>[1]),
    ).toBe(1);
    const missionId = /^Mission (\S+):/m.exec(first.text)?.[1] ?? '';
    expect(first.text).toContain(`resume it with "control-room run --resume ${missionId} --db ${db}"`);

    const json = collector();
    expect(await runCli(['missions', '--db', db, '--json'], { stdout: json, stderr: collector(), env: ENV })).toBe(0);
    expect(JSON.parse(json.text)).toMatchObject([{ id: missionId, state: 'paused', progress: { merged: 0 } }]);

    // Resumed by id, the plan approval is asked again and answered on stdin.
    const stdout = collector();
    const stderr = collector();
    const stdin = (await import('node:stream')).Readable.from(Array.from({ length: 40 }, () => 'a\n'));
    const code = await runCli(['run', '--resume', missionId, '--db', db, '--provider', 'simulated'], { stdout, stderr, env: ENV, stdin } as Parameters<typeof runCli>[1]);
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/\? \[plan_approval\]/);
    expect(stdout.text).toMatch(/mission {2}done/);

    // A finished mission and an unknown id are refused in one line each.
    const done = collector();
    expect(await runCli(['run', '--resume', missionId, '--db', db, '--provider', 'simulated'], { stdout: collector(), stderr: done, env: ENV })).toBe(1);
    expect(done.text).toMatch(/^control-room run: mission "Test design: Build a todo CLI" \(m-\w+\) is done; only a paused or unfinished mission can be resumed\n$/);
    const unknown = collector();
    expect(await runCli(['run', '--resume', 'nope\u001b[2J', '--db', db], { stdout: collector(), stderr: unknown, env: ENV })).toBe(1);
    expect(unknown.text).toMatch(/^control-room run: no mission "nope\\u001b\[2J" in .*\n$/);
    const none = collector();
    expect(await runCli(['run', '--resume', '--db', db], { stdout: collector(), stderr: none, env: ENV })).toBe(1);
    expect(none.text).toMatch(/^control-room run: no paused or unfinished mission in .*\n$/);
    // A resumed mission keeps its goal: a new one cannot be given with --resume.
    const mixed = collector();
    expect(await runCli(['run', '--resume', '--goal', 'other', '--db', db], { stdout: collector(), stderr: mixed, env: ENV })).toBe(2);
    expect(mixed.text).toMatch(/--goal cannot be given with --resume/);
    const ledger = openLedger(db);
    try {
      expect(ledger.db.prepare('SELECT count(*) FROM missions').pluck().get()).toBe(1);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
