import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_BY_ROLE } from '../../../shared/models.js';
import type { Result } from '../../../shared/result.js';
import { openBackend, type Backend } from '../../app/backend.js';

/** Keep branches and clean-up through the contract: validation first, then the engine. */

let root: string;
let dataDir: string;
let backend: Backend;

const open = () => openBackend({ dataDir, runtime: 'browser', flushIntervalMs: 5, env: {} });

async function call<T>(channel: string, request: unknown = {}): Promise<Result<T>> {
  return (await backend.invoke(channel, request)) as Result<T>;
}

async function data<T>(channel: string, request: unknown = {}): Promise<T> {
  const result = await call<T>(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.data;
}

function repo(): string {
  const dir = join(root, 'repo');
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  git('add', '.');
  git('-c', 'user.name=P', '-c', 'user.email=p@example.com', 'commit', '-q', '-m', 'initial');
  return dir;
}

async function draftMission(): Promise<string> {
  const agent = (id: string, role: 'leader' | 'coder') => ({
    id,
    name: id,
    role,
    model: DEFAULT_MODEL_BY_ROLE[role],
    budgetNanoUsd: null,
    systemPrompt: '',
    permissions: { allowedCommands: [], writeScope: [] },
    idleTimeoutSec: null,
  });
  const design = await data<{ id: string }>('teams:save', {
    design: {
      name: 'Squad',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [{ id: 'core', name: 'Core', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [agent('lead', 'leader'), agent('c1', 'coder')] }],
    },
  });
  return (await data<{ id: string }>('missions:create', { designId: design.id, goal: 'Do it', repoPath: repo() })).id;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cr-cleanup-handlers-'));
  dataDir = join(root, 'data');
  backend = open();
});

afterEach(() => {
  backend.close();
  rmSync(root, { recursive: true, force: true });
});

describe('keep branches and clean-up handlers', () => {
  it('refuses bad requests in one line before anything is written', async () => {
    const notBool = await call('settings:set-keep-branches', { keepBranches: 'yes' });
    expect(notBool).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect((await data<{ keepBranches: boolean }>('settings:get')).keepBranches).toBe(false);

    const none = await call('missions:clean-up', { missionIds: [] });
    expect(none).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('name at least one mission') } });
    expect(await call('missions:clean-up', { missionIds: ['nope'] })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call('missions:set-keep-branches', { id: 'nope', keepBranches: true })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it("keeps the Settings default across a restart, and a mission's own choice wins over it", async () => {
    const id = await draftMission();
    expect((await data<{ mission: { keepBranches: boolean } }>('missions:get', { id })).mission.keepBranches).toBe(false);
    expect((await data<{ keepBranches: boolean }>('settings:set-keep-branches', { keepBranches: true })).keepBranches).toBe(true);
    // The running engine follows at once...
    expect((await data<{ mission: { keepBranches: boolean } }>('missions:get', { id })).mission.keepBranches).toBe(true);
    // ...and the next start reads it back.
    backend.close();
    backend = open();
    expect((await data<{ mission: { keepBranches: boolean } }>('missions:get', { id })).mission.keepBranches).toBe(true);

    expect((await data<{ keepBranches: boolean }>('missions:set-keep-branches', { id, keepBranches: false })).keepBranches).toBe(false);
    expect((await data<{ mission: { keepBranches: boolean } }>('missions:get', { id })).mission.keepBranches).toBe(false);
    // null: follow Settings again.
    expect((await data<{ keepBranches: boolean }>('missions:set-keep-branches', { id, keepBranches: null })).keepBranches).toBe(true);

    // A draft is not finished: nothing of it is listed, and naming it is refused.
    expect(await data('missions:list-leftovers')).toEqual({ missions: [], unknown: [] });
    expect(await call('missions:clean-up', { missionIds: [id] })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/only finished missions can be cleaned up: ".*" is draft; nothing was removed/) },
    });
  });
});
