import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../../shared/contract.js';
import { AGENT_RUNTIMES } from '../../../shared/team.js';
import { openBackend } from '../../app/backend.js';
import { dispatch, type Handlers } from '../dispatch.js';
import { runtimesHandlers } from './runtimes.js';

const unavailable = {
  runtime: 'claude-code' as const,
  available: false,
  version: null,
  reason:
    "Claude Code's binary for linux-arm64 is not installed (@anthropic-ai/claude-agent-sdk-linux-arm64)",
};

describe('runtimes handlers', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('answers every runtime, built-in always available, Claude Code as the probe says', async () => {
    const probe = vi.fn(() => Promise.resolve(unavailable));
    const handlers = runtimesHandlers({ probeClaudeCode: probe }) as unknown as Handlers;
    const result = await dispatch(handlers, 'runtimes:get-status', {});
    expect(result).toEqual({
      ok: true,
      data: {
        runtimes: [{ runtime: 'built-in', available: true, version: null, reason: null }, unavailable],
      },
    });
    expect((result.ok ? result.data : null) as { runtimes: { runtime: string }[] }).toMatchObject({
      runtimes: AGENT_RUNTIMES.map((runtime) => ({ runtime })),
    });
    expect(probe).toHaveBeenCalledOnce();
  });

  it('is declared in the contract and refuses extra fields', async () => {
    expect(Object.hasOwn(commands, 'runtimes:get-status')).toBe(true);
    const handlers = runtimesHandlers({
      probeClaudeCode: () => Promise.resolve(unavailable),
    }) as unknown as Handlers;
    expect(await dispatch(handlers, 'runtimes:get-status', { force: true })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('is wired into the backend with the real probe', async () => {
    root = mkdtempSync(join(tmpdir(), 'cr-runtimes-handlers-'));
    const backend = openBackend({ dataDir: join(root, 'data'), runtime: 'browser', flushIntervalMs: 5 });
    try {
      const result = (await backend.invoke('runtimes:get-status', {})) as {
        ok: boolean;
        data: {
          runtimes: { runtime: string; available: boolean; version: string | null; reason: string | null }[];
        };
      };
      expect(result.ok).toBe(true);
      const [builtIn, claudeCode] = result.data.runtimes;
      expect(builtIn).toMatchObject({ runtime: 'built-in', available: true });
      expect(claudeCode?.runtime).toBe('claude-code');
      // Available with a version, or not with a reason: never both, never neither.
      expect(claudeCode?.available ? claudeCode.version : claudeCode?.reason).toEqual(expect.any(String));
    } finally {
      backend.close();
    }
  });
});
