import { describe, expect, it, vi } from 'vitest';
import { commands, type CommandName } from '../../shared/contract.js';
import { AppError } from '../../shared/result.js';
import { dispatch, type Handlers } from './dispatch.js';

/** Handlers that record whether they ran: validation must stop bad requests before them. */
function spyHandlers() {
  const calls: string[] = [];
  const handlers = new Proxy({} as Handlers, {
    get: (_target, channel: string) => (request: unknown) => {
      calls.push(channel);
      return { echoed: request };
    },
  });
  return { handlers, calls };
}

const names = Object.keys(commands) as CommandName[];

const validDraft = {
  name: 'Payments',
  description: '',
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
  teams: [
    {
      id: 'team-a',
      name: 'Team A',
      budgetNanoUsd: null,
      position: { x: 0, y: 0 },
      agents: [
        {
          id: 'lead-a',
          name: 'Lead A',
          role: 'leader',
          model: 'claude-opus-4-5',
          budgetNanoUsd: 5_000_000_000,
          systemPrompt: '',
          permissions: { allowedCommands: [], writeScope: [] },
          idleTimeoutSec: null,
        },
      ],
    },
  ],
};

describe('dispatch', () => {
  it.each(names)('%s rejects malformed payloads before its handler runs', async (channel) => {
    const { handlers, calls } = spyHandlers();
    for (const bad of [null, undefined, 'text', 42, [], { unexpectedField: true }]) {
      const result = await dispatch(handlers, channel, bad);
      expect(result.ok, `${channel} accepted ${JSON.stringify(bad)}`).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('invalid_request');
    }
    expect(calls).toEqual([]);
  });

  it('names the offending field', async () => {
    const { handlers, calls } = spyHandlers();
    const bad = structuredClone(validDraft);
    bad.teams[0]!.agents[0]!.budgetNanoUsd = -1;
    bad.teams[0]!.agents[0]!.model = 'gpt-4';
    const result = await dispatch(handlers, 'teams:save', { design: bad });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    if (result.ok) return;
    expect(result.error.message).toContain('request.design.teams.0.agents.0.budgetNanoUsd: must not be negative');
    expect(result.error.message).toContain('request.design.teams.0.agents.0.model: unknown model "gpt-4"');
    expect(calls).toEqual([]);
  });

  it('refuses duplicate agent names across teams', async () => {
    const { handlers } = spyHandlers();
    const design = structuredClone(validDraft);
    design.teams.push({
      ...structuredClone(design.teams[0]!),
      id: 'team-b',
      name: 'Team B',
      agents: [{ ...structuredClone(design.teams[0]!.agents[0]!), id: 'lead-b', name: 'lead a' }],
    });
    const result = await dispatch(handlers, 'teams:save', { design });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/duplicate agent name "lead a"/);
  });

  it('passes a valid request to its handler, trimmed by the schema', async () => {
    const { handlers, calls } = spyHandlers();
    const result = await dispatch(handlers, 'teams:get', { id: 'abc' });
    expect(result).toEqual({ ok: true, data: { echoed: { id: 'abc' } } });
    expect(calls).toEqual(['teams:get']);
  });

  it('refuses channels outside the contract, including prototype names', async () => {
    const { handlers, calls } = spyHandlers();
    for (const channel of ['teams:nuke', '__proto__', 'constructor', 'toString', 7]) {
      const result = await dispatch(handlers, channel, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    }
    expect(calls).toEqual([]);
  });

  it('turns AppErrors into their code and hides unexpected errors', async () => {
    const logError = vi.fn();
    const handlers = {
      'teams:get': () => {
        throw new AppError('not_found', 'no team design with id "x"');
      },
      'teams:list': () => {
        throw new Error('secret internal detail');
      },
    } as unknown as Handlers;
    expect(await dispatch(handlers, 'teams:get', { id: 'x' }, logError)).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no team design with id "x"' },
    });
    const hidden = await dispatch(handlers, 'teams:list', {}, logError);
    expect(hidden).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(hidden)).not.toContain('secret internal detail');
    expect(logError).toHaveBeenCalledOnce();
  });

  it('answers a megabyte of bad input, or a terminal escape sequence, with a short message that echoes neither', async () => {
    const { handlers } = spyHandlers();
    const huge = await dispatch(handlers, `x${'\u001b[2J'.repeat(100_000)}`, {});
    expect(huge.ok).toBe(false);
    if (!huge.ok) {
      expect(huge.error.message.length).toBeLessThan(300);
      expect(huge.error.message).not.toContain('\u001b');
    }
    const echoing = {
      'teams:get': () => {
        throw new AppError('not_found', `no team design with id "${'\u001b]0;pwned\u0007'}${'y'.repeat(1_000_000)}"`);
      },
    } as unknown as Handlers;
    const answered = await dispatch(echoing, 'teams:get', { id: 'x' });
    expect(answered.ok).toBe(false);
    if (!answered.ok) {
      expect(answered.error.message.length).toBeLessThan(1_100);
      expect([...answered.error.message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
      expect(answered.error.message).toContain('\\u001b]0;pwned');
    }
  });

  it.each([['../../etc/passwd'], ['/etc/passwd'], ['a/../../b'], ['.git/config'], ['.']])(
    'refuses to create a mission that would copy %j into its worktrees, before any handler runs',
    async (path) => {
      const { handlers, calls } = spyHandlers();
      const result = await dispatch(handlers, 'missions:create', {
        designId: 'd1',
        goal: 'Build it',
        repoPath: '/tmp/repo',
        copyFiles: ['.env', path],
      });
      expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      if (!result.ok) expect(result.error.message).toMatch(/^missions:create: request\.copyFiles\.1: /);
      expect(calls).toEqual([]);
    },
  );
});
