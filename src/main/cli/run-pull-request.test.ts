import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { git, makeRepo, saveDesign } from '../engine/testing/harness.js';
import { openLedger } from '../ledger/database.js';
import { addBareRemote, fakeGh } from '../publish/testing/publish-fixtures.js';
import { runCli } from './run-cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function collector() {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
}

/** A repository whose origin is "GitHub" (pushes land in a bare repository), a team file, and a fake gh on PATH. */
function setup() {
  dir = mkdtempSync(join(tmpdir(), 'cr-run-pr-'));
  const repo = makeRepo(dir);
  const bare = addBareRemote(repo, dir);
  const scratch = openLedger(':memory:');
  const design = saveDesign(scratch, [{ id: 'core', coders: 1 }]);
  scratch.close();
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(design));
  const bin = join(dir, 'bin');
  const gh = fakeGh(bin);
  // No token is saved (a memory store): gh is the way, found on this PATH.
  const env = { CONTROL_ROOM_SIM_LATENCY: '0', CR_SECRET_STORE: 'memory', PATH: `${bin}:${process.env.PATH ?? ''}` };
  return { repo, bare, teamFile, db: join(dir, 'data', 'ledger.db'), env, ...gh };
}

describe('control-room run --pull-request', () => {
  it('ends the mission with a pull request through gh instead of a local merge', async () => {
    const s = setup();
    const mainBefore = git(s.repo, 'rev-parse', 'main');
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(
      ['run', '--team', s.teamFile, '--goal', 'Build a todo CLI', '--workspace', s.repo, '--db', s.db, '--provider', 'simulated', '--auto-approve', '--pull-request', 'origin'],
      { stdout, stderr, env: s.env },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    expect(stdout.text).toContain('Pull request #7 opened: https://github.com/acme/widgets/pull/7');
    // Nothing merged here: main is where it was; the work is on the mission branch, pushed.
    expect(git(s.repo, 'rev-parse', 'main')).toBe(mainBefore);
    const args = readFileSync(s.argsLog, 'utf8').trim().split('\n');
    const branch = args[args.indexOf('--head') + 1]!;
    expect(branch).toMatch(/^cr\//);
    expect(git(s.bare, 'rev-parse', `refs/heads/${branch}`)).toBe(git(s.repo, 'rev-parse', branch));
    expect(args.slice(0, 4)).toEqual(['pr', 'create', '--repo', 'github.com/acme/widgets']);
    expect(readFileSync(s.bodyCopy, 'utf8')).toContain('> Build a todo CLI');
    expect(stdout.text).toMatch(/Pull request opened against main/);
  }, 60_000);

  it('keeps the final merge waiting when the pull request cannot be opened, and opens it on --resume', async () => {
    const s = setup();
    const first = collector();
    const code = await runCli(
      ['run', '--team', s.teamFile, '--goal', 'Build a todo CLI', '--workspace', s.repo, '--db', s.db, '--provider', 'simulated', '--auto-approve', '--pull-request', 'origin'],
      { stdout: first, stderr: collector(), env: { ...s.env, FAKE_GH_LOGGED_OUT: '1' } },
    );
    expect(code).toBe(1);
    expect(first.text).toContain('Could not open the pull request: cannot open a pull request: set a GitHub token under Settings > GitHub, or log in with gh (gh is not logged in to github.com (run "gh auth login")); the final merge still waits; resume it with "control-room run --resume');

    const second = collector();
    const resumed = await runCli(['run', '--resume', '--db', s.db, '--provider', 'simulated', '--auto-approve', '--pull-request', 'origin'], {
      stdout: second,
      stderr: collector(),
      env: s.env,
    });
    expect(resumed).toBe(0);
    expect(second.text).toContain('Pull request #7 opened: https://github.com/acme/widgets/pull/7');
  }, 60_000);

  it('refuses a remote name that is not one before anything is written', async () => {
    const s = setup();
    const stderr = collector();
    const code = await runCli(
      ['run', '--team', s.teamFile, '--goal', 'x', '--workspace', s.repo, '--db', s.db, '--provider', 'simulated', '--pull-request=--upload-pack=x'],
      { stdout: collector(), stderr, env: s.env },
    );
    expect(code).toBe(2);
    expect(stderr.text).toContain('--pull-request must be the name of a git remote');
    expect(() => readFileSync(s.db)).toThrow();
  });
});
