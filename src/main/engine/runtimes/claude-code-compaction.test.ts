import { createReadStream, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveClaudeCodeBinary } from './claude-code-probe.js';
import {
  CLAUDE_CODE_AUTOCOMPACT_ENV,
  CLAUDE_CODE_AUTOCOMPACT_PCT,
  runClaudeCodeSession,
} from './claude-code-session.js';

const dir = mkdtempSync(join(tmpdir(), 'cr-claude-compact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** True when `needle` occurs in the file, read in chunks (the binary is hundreds of MB). */
async function fileContains(path: string, needle: string): Promise<boolean> {
  const bytes = Buffer.from(needle);
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (window.includes(bytes)) return true;
    tail = window.subarray(Math.max(0, window.length - bytes.length + 1));
  }
  return false;
}

describe('Claude Code compaction', () => {
  it('starts the session with the auto-compact threshold of built-in agents (60 %)', async () => {
    // A stand-in binary that writes the environment it was started with, then fails.
    const out = join(dir, 'env.txt');
    const fake = join(dir, 'claude');
    writeFileSync(fake, `#!/bin/sh\nenv > '${out}'\necho "stand-in" >&2\nexit 1\n`);
    chmodSync(fake, 0o755);
    const end = await runClaudeCodeSession({
      binaryPath: fake,
      cwd: dir,
      model: 'claude-sonnet-4-6',
      systemPrompt: 'x',
      prompt: 'x',
      tools: [],
      orchestration: [],
      mcpServers: [],
      gateway: { url: 'http://127.0.0.1:9', token: 't' },
      configDir: join(dir, 'config'),
      policy: () => ({ behavior: 'allow' }),
      askPermission: () => Promise.resolve({ allow: true }),
      onMessage: () => undefined,
      signal: new AbortController().signal,
    });
    expect(end.outcome).toBe('error');
    const env = readFileSync(out, 'utf8').split('\n');
    expect(CLAUDE_CODE_AUTOCOMPACT_PCT).toBe(60);
    expect(env).toContain(`CLAUDE_AUTOCOMPACT_PCT_OVERRIDE=60`);
  });

  const binary = resolveClaudeCodeBinary({});
  it.skipIf(binary === null)('reads a variable the bundled Claude Code binary still reads', async () => {
    // If an SDK upgrade renames the setting, the override would be silently ignored.
    expect(await fileContains(binary!, `process.env.${CLAUDE_CODE_AUTOCOMPACT_ENV}`)).toBe(true);
    expect(await fileContains(binary!, 'process.env.CLAUDE_NO_SUCH_SETTING_XYZ')).toBe(false);
  }, 60_000);
});
