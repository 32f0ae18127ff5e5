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
  dir = mkdtempSync(join(tmpdir(), 'cr-run-'));
  const repo = makeRepo(dir);
  // A design file written the way the app exports it.
  const scratch = openLedger(':memory:');
  const design = saveDesign(scratch, [{ id: 'core', coders: 2 }]);
  scratch.close();
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(design));
  return { repo, teamFile, db: join(dir, 'data', 'ledger.db') };
}

function collector() {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
}

describe('control-room run', () => {
  it('runs a mission headless with --auto-approve and prints the cost per agent', async () => {
    const { repo, teamFile, db } = setup();
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated', '--auto-approve'],
      { stdout, stderr, env: { CONTROL_ROOM_SIM_LATENCY: '0' } },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/mission {2}done/);
    expect(stdout.text).toMatch(/Cost per agent:[\s\S]*core-lead[\s\S]*total/);
    expect(git(repo, 'log', '--oneline', 'main')).toMatch(/Merge mission/);
  });

  it('asks on stdin, streams JSON lines, and fails when the person denies the plan', async () => {
    const { repo, teamFile, db } = setup();
    const stdout = collector();
    const stdin = Readable.from(['deny not this plan\n']);
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated', '--json'],
      { stdout, stderr: collector(), env: { CONTROL_ROOM_SIM_LATENCY: '0' }, stdin } as Parameters<typeof runCli>[1],
    );
    expect(code).toBe(1);
    const events = stdout.text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; state?: string; type?: string });
    expect(events.some((e) => e.event === 'escalations:changed' && e.type === 'plan_approval')).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'summary', mission: { state: 'cancelled' } });
  });

  it('reports missing options as usage errors', async () => {
    const stderr = collector();
    expect(await runCli(['run', '--goal', 'x'], { stdout: collector(), stderr, env: {} })).toBe(2);
    expect(stderr.text).toMatch(/--team FILE is required/);
  });
});
