import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { makeRepo, saveDesign } from '../engine/testing/harness.js';
import { openLedger } from '../ledger/database.js';
import { startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { MemorySecretStore, SettingsService } from '../settings/index.js';
import { runCli } from './run-cli.js';

/**
 * A headless mission reaches the upstream Settings resolves: ANTHROPIC_BASE_URL when
 * nothing is saved, the saved URL (set before `run`, as a script would, through the
 * settings service on the run's ledger) when one is, whatever the variable says. Each
 * loopback fake counts what reached it; the key is one the fakes refuse, so the leader's
 * first call is the mission's last and `run` ends at once.
 */

let dir: string | undefined;
const fakes: FakeMessagesApi[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function fake(): Promise<FakeMessagesApi> {
  const f = await startFakeMessagesApi();
  fakes.push(f);
  return f;
}

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'cr-run-upstream-'));
  const repo = makeRepo(dir);
  const scratch = openLedger(':memory:');
  const teamFile = join(dir, 'core.team.json');
  writeFileSync(teamFile, designToFile(saveDesign(scratch, [{ id: 'core', coders: 1 }])));
  scratch.close();
  return { repo, teamFile, db: join(dir, 'data', 'ledger.db') };
}

function collector() {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
}

async function run(paths: ReturnType<typeof setup>, env: NodeJS.ProcessEnv) {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(
    ['run', '--team', paths.teamFile, '--goal', 'Build a todo CLI', '--workspace', paths.repo, '--db', paths.db, '--provider', 'anthropic', '--auto-approve'],
    { stdout, stderr, env: { ANTHROPIC_API_KEY: 'sk-ant-not-the-fake-key', CR_SECRET_STORE: 'memory', ...env } },
  );
  return { code, out: stdout.text + stderr.text };
}

describe('control-room run, and the upstream', () => {
  it('sends the mission to ANTHROPIC_BASE_URL when nothing is saved', async () => {
    const paths = setup();
    const viaEnv = await fake();
    const { code, out } = await run(paths, { ANTHROPIC_BASE_URL: viaEnv.url });
    expect(code).toBe(1);
    // The leader's call reached the fake (refused: the key is not the fake's).
    expect(viaEnv.stats.byStatus[401]).toBe(1);
    expect(out).toMatch(/invalid x-api-key/);
  });

  it('refuses to start on an ANTHROPIC_BASE_URL with a password in it, in one line that does not repeat it', async () => {
    const paths = setup();
    const { code, out } = await run(paths, { ANTHROPIC_BASE_URL: 'https://me:hunter22@gw.corp.example' });
    expect(code).toBe(1);
    expect(out).toMatch(/^control-room run: ANTHROPIC_BASE_URL must not carry a user or password[^\n]*\n$/);
    expect(out).not.toContain('hunter22');
  });

  it('sends the mission to the URL saved in Settings, over ANTHROPIC_BASE_URL', async () => {
    const paths = setup();
    const viaEnv = await fake();
    const saved = await fake();
    mkdirSync(join(dir!, 'data'), { recursive: true });
    const ledger = openLedger(paths.db);
    new SettingsService({ db: ledger.db, env: {}, dataDir: join(dir!, 'data'), secrets: new MemorySecretStore() }).setApiBaseUrl(saved.url);
    ledger.close();

    const { code } = await run(paths, { ANTHROPIC_BASE_URL: viaEnv.url });
    expect(code).toBe(1);
    expect(saved.stats.byStatus[401]).toBe(1);
    expect(viaEnv.stats.requests).toBe(0);
  });
});
