import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { openLedger } from '../ledger/database.js';
import { git, makeRepo, saveDesign } from '../engine/testing/harness.js';
import type { MissionResult } from '../../shared/mission-result.js';
import { dispatch, type Handlers } from '../api/dispatch.js';
import { missionsHandlers } from '../api/handlers/missions.js';
import { createEngineServices } from '../app/engine-services.js';
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
    // The summary event, then the mission's result as the last object.
    expect(events.at(-2)).toMatchObject({ event: 'summary', mission: { state: 'cancelled' } });
    expect(events.at(-1)).toMatchObject({ state: 'cancelled', resultKind: 'cancelled', headline: 'Cancelled' });
  });

  it('ends --json with the mission result, equal to missions:get-result, and ends human output with a readable result', async () => {
    const { repo, teamFile, db } = setup();
    const stdout = collector();
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated', '--auto-approve', '--json'],
      { stdout, stderr: collector(), env: { CONTROL_ROOM_SIM_LATENCY: '0' } },
    );
    expect(code).toBe(0);
    const lines = stdout.text.trim().split('\n');
    const last = JSON.parse(lines.at(-1) ?? '') as MissionResult;
    expect(last.resultKind).toBe('merged');
    expect(last.teams[0]?.summarySource).toBe('leader');

    // The same object the contract answers, read afresh from the ledger the run wrote.
    const ledger = openLedger(db);
    const services = createEngineServices({ db: ledger.db, dataDir: dirname(db), provider: 'simulated', env: {}, events: { emit: () => undefined }, logError: () => undefined });
    try {
      // Only this command's handler is called; the rest of the map is not needed here.
      const answer = await dispatch(missionsHandlers(services.engine) as unknown as Handlers, 'missions:get-result', { id: last.missionId });
      expect(answer).toEqual({ ok: true, data: last });
    } finally {
      services.close();
      ledger.close();
    }
  });

  it('prints how a mission ended at the end of human output: a declined final merge reads declined', async () => {
    const { repo, teamFile, db } = setup();
    const stdout = collector();
    const stdin = Readable.from(['a\n', 'd not now\n']);
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', db, '--provider', 'simulated'],
      { stdout, stderr: collector(), env: { CONTROL_ROOM_SIM_LATENCY: '0' }, stdin } as Parameters<typeof runCli>[1],
    );
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/Mission done \(declined\): final merge declined/);
    expect(stdout.text).toMatch(/Result: Final merge declined: the work stays on the mission branch/);
    expect(stdout.text).toMatch(/Team core: \d+\/\d+ tasks merged/);
    expect(stdout.text).toMatch(/Files changed \([1-9]\d*\):/);
    expect(stdout.text).toMatch(/\n {2}\S+\.js {2}\+[1-9]\d* -0\n/);
    expect(stdout.text).toMatch(/core-c\d +\d+ commits/);
    expect(stdout.text).toMatch(/final_merge: deny by human/);

    // The listing tells it from a merged mission.
    const listing = collector();
    expect(await runCli(['missions', '--db', db], { stdout: listing, stderr: collector(), env: {} })).toBe(0);
    expect(listing.text).toMatch(/done \(declined\)/);
    const json = collector();
    await runCli(['missions', '--db', db, '--json'], { stdout: json, stderr: collector(), env: {} });
    expect((JSON.parse(json.text) as { resultKind: string }[])[0]?.resultKind).toBe('declined');
  });

  it('reports missing options as usage errors', async () => {
    const stderr = collector();
    expect(await runCli(['run', '--goal', 'x'], { stdout: collector(), stderr, env: {} })).toBe(2);
    expect(stderr.text).toMatch(/--team FILE is required/);
  });
});
