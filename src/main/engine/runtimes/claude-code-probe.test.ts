import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CLAUDE_CODE_PATH_ENV,
  clearClaudeCodeProbeCache,
  forTesting,
  platformPackages,
  probeClaudeCode,
  resolveClaudeCodeBinary,
} from './claude-code-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'cr-claude-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearClaudeCodeProbeCache());

/** An executable shell script standing in for a `claude` binary. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const noOverride: NodeJS.ProcessEnv = {};
const installed = resolveClaudeCodeBinary(noOverride);

describe('the Claude Code probe', () => {
  it.skipIf(installed === null)(
    'finds the SDK’s binary for this platform and reads its version',
    async () => {
      expect(installed).toMatch(/@anthropic-ai[/\\]claude-agent-sdk-[a-z0-9-]+[/\\]claude(\.exe)?$/);
      const status = await probeClaudeCode({ env: noOverride });
      expect(status).toEqual({
        runtime: 'claude-code',
        available: true,
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        reason: null,
      });
      // Cached: the same answer without starting the binary again.
      expect(probeClaudeCode({ env: noOverride })).toBe(probeClaudeCode({ env: noOverride }));
    },
  );

  it('honours an override path that does not exist, with one line of reason', async () => {
    const missing = join(dir, 'no-such-claude');
    const env = { [CLAUDE_CODE_PATH_ENV]: missing };
    expect(resolveClaudeCodeBinary(env)).toBeNull();
    const status = await probeClaudeCode({ env });
    expect(status).toEqual({
      runtime: 'claude-code',
      available: false,
      version: null,
      reason: `${CLAUDE_CODE_PATH_ENV} points to ${missing}, which does not exist`,
    });
  });

  it('reports a binary that exits 1, with its first line of stderr', async () => {
    const path = script(
      'exits-1',
      'echo "error while loading shared libraries: libc.musl-x86_64.so.1" >&2\necho "second line" >&2\nexit 1',
    );
    const env = { [CLAUDE_CODE_PATH_ENV]: path };
    expect(resolveClaudeCodeBinary(env)).toBe(path);
    const status = await probeClaudeCode({ env });
    expect(status).toMatchObject({ runtime: 'claude-code', available: false, version: null });
    expect(status.reason).toBe(
      `Claude Code at ${path} did not start: --version exited with code 1: error while loading shared libraries: libc.musl-x86_64.so.1`,
    );
    expect(status.reason).not.toContain('\n');
  });

  it('reports a file that cannot be executed at all', async () => {
    const path = join(dir, 'not-executable');
    writeFileSync(path, 'just text');
    const status = await probeClaudeCode({ env: { [CLAUDE_CODE_PATH_ENV]: path } });
    expect(status.available).toBe(false);
    expect(status.reason).toMatch(new RegExp(`^Claude Code at .*not-executable did not start: EACCES`));
    expect(status.reason).not.toContain('\n');
  });

  it('gives up on a binary that does not answer in time', async () => {
    const path = script('hangs', 'exec sleep 5');
    const status = await probeClaudeCode({ env: { [CLAUDE_CODE_PATH_ENV]: path }, timeoutMs: 200 });
    expect(status).toMatchObject({
      available: false,
      reason: expect.stringContaining('no answer to --version within 200 ms'),
    });
  });

  it('refuses an answer that is not a version', async () => {
    const path = script('chatty', 'echo "Welcome to something else"');
    const status = await probeClaudeCode({ env: { [CLAUDE_CODE_PATH_ENV]: path } });
    expect(status).toMatchObject({ available: false, reason: expect.stringContaining('not a version') });
  });

  it('reads the version of any binary that prints one, like the real one does', async () => {
    const path = script('fake-claude', 'echo "2.1.335 (Claude Code)"');
    const status = await probeClaudeCode({ env: { [CLAUDE_CODE_PATH_ENV]: path } });
    expect(status).toEqual({ runtime: 'claude-code', available: true, version: '2.1.335', reason: null });
  });

  it('says which package is missing when this platform has none installed', () => {
    // linux-arm64 is never installed next to the x64 one npm picked for this machine.
    expect(forTesting.locate(noOverride, { platform: 'linux', arch: 'arm64', musl: false })).toEqual({
      ok: false,
      reason:
        "Claude Code's binary for linux-arm64 is not installed (@anthropic-ai/claude-agent-sdk-linux-arm64)",
    });
  });

  it('names the platform packages in the order the SDK tries them', () => {
    expect(platformPackages({ platform: 'linux', arch: 'arm64', musl: false })).toEqual([
      '@anthropic-ai/claude-agent-sdk-linux-arm64',
      '@anthropic-ai/claude-agent-sdk-linux-arm64-musl',
    ]);
    expect(platformPackages({ platform: 'linux', arch: 'x64', musl: true })[0]).toBe(
      '@anthropic-ai/claude-agent-sdk-linux-x64-musl',
    );
    expect(platformPackages({ platform: 'win32', arch: 'x64', musl: false })).toEqual([
      '@anthropic-ai/claude-agent-sdk-win32-x64',
    ]);
  });
});
