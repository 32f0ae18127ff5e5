import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { designToFile } from '../../shared/team-file.js';
import { openLedger } from '../ledger/database.js';
import { startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { makeRepo, saveDesign } from '../engine/testing/harness.js';
import { runCli } from './run-cli.js';

/**
 * A headless run whose mission can no longer move ends, with the reason, instead of
 * hanging: here every call of the only leader is refused (the real SDK against the
 * loopback fake, with a key the fake does not accept), so no agent can act.
 */

let dir: string | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  fake = undefined;
});

function collector() {
  let text = '';
  return { write: (s: string) => (text += s), get text() { return text; } };
}

describe('control-room run, when no agent can act', () => {
  it('fails the mission with the reason and exits 1 under --auto-approve, rather than hang or retry forever', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cr-run-stuck-'));
    const repo = makeRepo(dir);
    const scratch = openLedger(':memory:');
    const teamFile = join(dir, 'core.team.json');
    writeFileSync(teamFile, designToFile(saveDesign(scratch, [{ id: 'core', coders: 2 }])));
    scratch.close();
    fake = await startFakeMessagesApi();
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(
      ['run', '--team', teamFile, '--goal', 'Build a todo CLI', '--workspace', repo, '--db', join(dir, 'data', 'ledger.db'), '--provider', 'anthropic', '--auto-approve'],
      { stdout, stderr, env: { ANTHROPIC_API_KEY: 'sk-ant-not-the-fake-key', ANTHROPIC_BASE_URL: fake.url } },
    );
    expect(code).toBe(1);
    // The leader's refused call reached the fake (and nothing else was sent).
    expect(fake.stats.byStatus[401]).toBe(1);
    expect(stdout.text).toMatch(/cannot go on: no agent can act: core-lead failed \(.*invalid x-api-key.*\)\. With --auto-approve the mission fails/);
    expect(stdout.text).toMatch(/\nMission failed: no agent could go on: core-lead failed/);
    // The key never reaches the output.
    expect(stdout.text + stderr.text).not.toContain('sk-ant-not-the-fake-key');
  });
});
