import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import {
  createMissionWorkspace,
  openMissionWorkspace,
  toRefSlug,
  type MissionWorkspace,
  type MissionWorkspaceOptions,
} from './mission-workspace.js';

let dir: string;
let repo: string;
let rootDir: string;

/** git for the test's own setup, as a person at the keyboard (never the code under test). */
function sh(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  return execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...env, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

function write(root: string, path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

function initRepo(path: string): void {
  mkdirSync(path, { recursive: true });
  sh(path, 'init', '-q', '-b', 'main');
  // The person's own identity, which the final merge must use.
  sh(path, 'config', 'user.name', 'Person');
  sh(path, 'config', 'user.email', 'person@example.com');
  write(path, 'README.md', '# Project\n\nline one\nline two\nline three\n');
  write(path, 'src/app.ts', 'export const answer = 42;\n');
  write(path, '.gitignore', '.env\nnode_modules/\n');
  sh(path, 'add', '-A');
  sh(path, 'commit', '-q', '-m', 'initial');
}

const branches = (cwd: string) =>
  sh(cwd, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').sort();
const worktreePaths = (cwd: string) =>
  sh(cwd, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
const statusOf = (cwd: string) => sh(cwd, 'status', '--porcelain');
const headOf = (cwd: string, ref = 'HEAD') => sh(cwd, 'rev-parse', ref);

function options(overrides: Partial<MissionWorkspaceOptions> = {}): MissionWorkspaceOptions {
  return {
    repoPath: repo,
    baseBranch: 'main',
    missionId: 'M1',
    teams: [
      { id: 'Team Alpha', coders: ['Coder 1', 'coder-2'] },
      { id: 'beta', coders: ['c3'] },
    ],
    rootDir,
    ...overrides,
  };
}

async function expectAppError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  expect((error as AppError).message).toMatch(message);
}

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'control-room-ws-')));
  repo = join(dir, 'repo');
  rootDir = join(dir, 'data', 'worktrees', 'M1');
  initRepo(repo);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('toRefSlug', () => {
  it('makes ref-safe, lower-case slugs', () => {
    expect(toRefSlug('Coder 1')).toBe('coder-1');
    expect(toRefSlug('  Team/Alpha..lock ')).toBe('team-alpha-lock');
    expect(toRefSlug('@team')).toBe('team');
    expect(toRefSlug('.hidden-')).toBe('hidden');
    expect(toRefSlug('Zoë ~^:?*[\\')).toBe('zoe');
    expect(toRefSlug('x'.repeat(100))).toHaveLength(40);
    expect(toRefSlug('%%%')).toMatch(/^id-[0-9a-f]{6}$/);
    for (const id of ['a..b', 'a.lock', 'HEAD', '-x-', 'refs/heads/x', 'a@{b}']) {
      const slug = toRefSlug(id);
      expect(() => sh(repo, 'check-ref-format', `refs/heads/cr/${slug}/@team`)).not.toThrow();
      expect(slug).not.toContain('@');
    }
  });
});

describe('createMissionWorkspace', () => {
  it('creates the branches and worktrees, leaving the checkout alone', async () => {
    const headBefore = headOf(repo);
    const ws = await createMissionWorkspace(options());

    expect(branches(repo)).toEqual(
      [
        'main',
        'cr/m1/@mission',
        'cr/m1/team-alpha/@team',
        'cr/m1/team-alpha/coder-1',
        'cr/m1/team-alpha/coder-2',
        'cr/m1/beta/@team',
        'cr/m1/beta/c3',
      ].sort(),
    );
    expect(ws.missionBranch).toBe('cr/m1/@mission');
    expect(ws.teamBranch('Team Alpha')).toBe('cr/m1/team-alpha/@team');
    expect(ws.coderBranch('Coder 1')).toBe('cr/m1/team-alpha/coder-1');
    expect(ws.coderWorktree('Coder 1')).toBe(join(rootDir, 'team-alpha', 'coder-1'));
    expect(ws.teamWorktree('beta')).toBe(join(rootDir, 'beta', '@team'));
    expect(ws.missionWorktree).toBe(join(rootDir, '@mission'));

    for (const [path, branch] of [
      [ws.coderWorktree('Coder 1'), 'cr/m1/team-alpha/coder-1'],
      [ws.coderWorktree('c3'), 'cr/m1/beta/c3'],
      [ws.teamWorktree('Team Alpha'), 'cr/m1/team-alpha/@team'],
      [ws.missionWorktree, 'cr/m1/@mission'],
    ] as const) {
      expect(sh(path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(branch);
      expect(readFileSync(join(path, 'src/app.ts'), 'utf8')).toBe('export const answer = 42;\n');
    }
    expect(worktreePaths(repo)).toHaveLength(7);
    expect(headOf(repo)).toBe(headBefore);
    expect(sh(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(statusOf(repo)).toBe('');
    expect(() => ws.coderWorktree('nobody')).toThrow(AppError);
  });

  it('gives colliding ids distinct slugs', async () => {
    const ws = await createMissionWorkspace(
      options({ teams: [{ id: 't', coders: ['Coder 1', 'coder-1'] }] }),
    );
    const a = ws.coderBranch('Coder 1');
    const b = ws.coderBranch('coder-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^cr\/m1\/t\/coder-1-[0-9a-f]{6}$/);
  });

  it('explains what is wrong with the repository or the options', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    await expectAppError(
      createMissionWorkspace(options({ repoPath: plain })),
      'invalid_request',
      /not a git repository/,
    );
    await expectAppError(
      createMissionWorkspace(options({ repoPath: join(dir, 'missing') })),
      'not_found',
      /does not exist/,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    sh(empty, 'init', '-q', '-b', 'main');
    await expectAppError(
      createMissionWorkspace(options({ repoPath: empty })),
      'invalid_request',
      /no commits yet/,
    );
    await expectAppError(
      createMissionWorkspace(options({ baseBranch: 'develop' })),
      'not_found',
      /base branch "develop" does not exist.*main/,
    );
    await expectAppError(
      createMissionWorkspace(options({ baseBranch: 'a..b' })),
      'invalid_request',
      /not a valid branch/,
    );
    await expectAppError(
      createMissionWorkspace(options({ rootDir: join(repo, '.worktrees') })),
      'invalid_request',
      /outside the repository/,
    );
    await expectAppError(
      createMissionWorkspace(
        options({
          teams: [
            { id: 'a', coders: ['x'] },
            { id: 'b', coders: ['x'] },
          ],
        }),
      ),
      'invalid_request',
      /coder id "x" appears twice/,
    );
    await expectAppError(
      createMissionWorkspace(options({ copyFiles: ['../secrets'] })),
      'invalid_request',
      /cannot be copied/,
    );
    expect(branches(repo)).toEqual(['main']);

    await createMissionWorkspace(options());
    await expectAppError(createMissionWorkspace(options()), 'conflict', /already exist/);
  });

  it('copies the files and runs the setup command in each coder worktree', async () => {
    write(repo, '.env', 'SECRET=from-the-user\n');
    write(repo, 'config/local.json', '{"local":true}\n');
    const ws = await createMissionWorkspace(
      options({
        copyFiles: ['.env', 'config/local.json', 'not-there.txt'],
        setupCommand: 'mkdir -p node_modules && echo "$MISSION_FLAG" > node_modules/setup-ran',
        setupEnv: { MISSION_FLAG: 'yes' },
      }),
    );
    for (const coder of ['Coder 1', 'coder-2', 'c3']) {
      const wt = ws.coderWorktree(coder);
      expect(readFileSync(join(wt, '.env'), 'utf8')).toBe('SECRET=from-the-user\n');
      expect(readFileSync(join(wt, 'config/local.json'), 'utf8')).toBe('{"local":true}\n');
      expect(readFileSync(join(wt, 'node_modules/setup-ran'), 'utf8')).toBe('yes\n');
    }
    expect(existsSync(join(ws.teamWorktree('beta'), '.env'))).toBe(false);

    // Copied files are the user's, never part of an agent's commit, ignored or not.
    const wt = ws.coderWorktree('Coder 1');
    expect(await ws.commitCoderWork('Coder 1', 'nothing yet', 'Coder 1')).toBeNull();
    write(wt, 'src/new.ts', 'export {};\n');
    const commit = await ws.commitCoderWork('Coder 1', 'add new', 'Coder 1');
    expect(commit).not.toBeNull();
    expect(sh(wt, 'show', '--name-only', '--format=', 'HEAD').split('\n')).toEqual(['src/new.ts']);

    // A reset brings the copies back if the clean removed them.
    await ws.resetCoderToTeam('Coder 1');
    expect(readFileSync(join(wt, 'config/local.json'), 'utf8')).toBe('{"local":true}\n');
    expect(readFileSync(join(wt, '.env'), 'utf8')).toBe('SECRET=from-the-user\n');
  });

  it('rolls everything back when the setup command fails', async () => {
    await expectAppError(
      createMissionWorkspace(options({ setupCommand: 'echo broken install >&2; exit 3' })),
      'internal',
      /setup command .* exited with 3[\s\S]*broken install/,
    );
    expect(branches(repo)).toEqual(['main']);
    expect(worktreePaths(repo)).toEqual([repo]);
    expect(existsSync(rootDir)).toBe(false);
  });
});

describe('a mission from start to finish', () => {
  it('commits, diffs, merges, resets, integrates and finalizes; the checkout is untouched until then', async () => {
    const headBefore = headOf(repo);
    const checkoutUntouched = () => {
      expect(headOf(repo)).toBe(headBefore);
      expect(headOf(repo, 'refs/heads/main')).toBe(headBefore);
      expect(statusOf(repo)).toBe('');
    };
    const ws = await createMissionWorkspace(options());
    const c1 = ws.coderWorktree('Coder 1');
    const c2 = ws.coderWorktree('coder-2');
    const c3 = ws.coderWorktree('c3');

    // Coder 1: edit, add a file, commit under the agent's name.
    write(c1, 'README.md', '# Project\n\nline one\nline 2 by coder one\nline three\n');
    write(c1, 'src/feature.ts', 'export const feature = true;\nexport const more = 1;\n');
    const commit = await ws.commitCoderWork('Coder 1', 'Add the feature', 'Coder 1');
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(sh(c1, 'log', '-1', '--format=%an <%ae>|%s')).toBe(
      'Coder 1 <agents@control-room.local>|Add the feature',
    );
    expect(await ws.commitCoderWork('Coder 1', 'again', 'Coder 1')).toBeNull();
    checkoutUntouched();

    const diff = await ws.diffCoder('Coder 1');
    expect(diff.truncated).toBe(false);
    expect(diff.head).toBe(commit);
    expect(diff.base).toBe(headBefore);
    expect(diff.files).toEqual([
      { path: 'README.md', status: 'modified', additions: 1, deletions: 1 },
      { path: 'src/feature.ts', status: 'added', additions: 2, deletions: 0 },
    ]);
    expect(diff.additions).toBe(3);
    expect(diff.deletions).toBe(1);
    expect(diff.diff).toContain('+line 2 by coder one');
    expect(diff.diff).toContain('diff --git a/src/feature.ts b/src/feature.ts');

    const merged = await ws.mergeCoderIntoTeam('Coder 1', { author: 'Leader A' });
    expect(merged).toMatchObject({ merged: true, alreadyMerged: false });
    const teamWt = ws.teamWorktree('Team Alpha');
    expect(merged.merged && merged.commit).toBe(headOf(teamWt));
    expect(sh(teamWt, 'log', '-1', '--format=%an|%P').split('|')[0]).toBe('Leader A');
    expect(sh(teamWt, 'log', '-1', '--format=%P').split(' ')).toHaveLength(2);
    expect(readFileSync(join(teamWt, 'src/feature.ts'), 'utf8')).toContain('feature = true');
    expect(await ws.mergeCoderIntoTeam('Coder 1')).toMatchObject({ merged: true, alreadyMerged: true });

    // Coder 2 started from the old state and touched the same line: a conflict.
    write(c2, 'README.md', '# Project\n\nline one\nline 2 by coder two\nline three\n');
    write(c2, 'notes.md', 'notes\n');
    await ws.commitCoderWork('coder-2', 'Conflicting change', 'Coder 2');
    const teamHead = headOf(teamWt);
    const conflict = await ws.mergeCoderIntoTeam('coder-2');
    expect(conflict).toEqual({ merged: false, conflicts: ['README.md'] });
    expect(statusOf(teamWt)).toBe('');
    expect(headOf(teamWt)).toBe(teamHead);
    expect(() => sh(teamWt, 'rev-parse', '-q', '--verify', 'MERGE_HEAD')).toThrow();

    // Coder 2 starts over from the integrated state.
    write(c2, 'scratch.txt', 'untracked leftovers\n');
    const reset = await ws.resetCoderToTeam('coder-2');
    expect(reset).toBe(teamHead);
    expect(headOf(c2)).toBe(teamHead);
    expect(statusOf(c2)).toBe('');
    expect(existsSync(join(c2, 'scratch.txt'))).toBe(false);
    expect(readFileSync(join(c2, 'src/feature.ts'), 'utf8')).toContain('feature = true');

    // Team beta works elsewhere.
    write(c3, 'src/beta.ts', 'export const beta = 2;\n');
    await ws.commitCoderWork('c3', 'Beta work', { name: 'Coder 3', email: 'c3@control-room.local' });
    expect(await ws.mergeCoderIntoTeam('c3')).toMatchObject({ merged: true });
    checkoutUntouched();

    const mission = await ws.mergeTeamsIntoMission();
    expect(mission).toMatchObject({ merged: true, mergedTeams: ['Team Alpha', 'beta'] });
    expect(readFileSync(join(ws.missionWorktree, 'src/beta.ts'), 'utf8')).toContain('beta');
    expect(readFileSync(join(ws.missionWorktree, 'src/feature.ts'), 'utf8')).toContain('feature');
    checkoutUntouched();

    const final = await ws.finalizeIntoBase();
    expect(final).toMatchObject({ merged: true, alreadyMerged: false, via: 'checkout' });
    expect(headOf(repo)).toBe(final.merged ? final.commit : '');
    expect(sh(repo, 'log', '-1', '--format=%P').split(' ')).toEqual([
      headBefore,
      headOf(repo, 'cr/m1/@mission'),
    ]);
    expect(readFileSync(join(repo, 'src/beta.ts'), 'utf8')).toContain('beta');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain('line 2 by coder one');
    expect(statusOf(repo)).toBe('');
    // The person's own identity signs their merge.
    expect(sh(repo, 'log', '-1', '--format=%an <%ae>')).toBe('Person <person@example.com>');

    expect(await ws.finalizeIntoBase()).toMatchObject({ merged: true, alreadyMerged: true });
  });

  it('refuses to finalize into a checkout with uncommitted changes, and says which', async () => {
    const ws = await createMissionWorkspace(options());
    write(ws.coderWorktree('c3'), 'src/beta.ts', 'export const beta = 2;\n');
    await ws.commitCoderWork('c3', 'Beta work', 'Coder 3');
    await ws.mergeCoderIntoTeam('c3');
    await ws.mergeTeamsIntoMission();

    const headBefore = headOf(repo);
    write(repo, 'README.md', 'my own unfinished edit\n');
    write(repo, 'untracked-is-fine.txt', 'x\n');
    await expectAppError(
      ws.finalizeIntoBase(),
      'conflict',
      /"main" is checked out in .* uncommitted changes to README\.md/,
    );
    expect(headOf(repo)).toBe(headBefore);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('my own unfinished edit\n');

    sh(repo, 'checkout', '--', 'README.md');
    expect(await ws.finalizeIntoBase()).toMatchObject({ merged: true, via: 'checkout' });
    expect(existsSync(join(repo, 'src/beta.ts'))).toBe(true);
    expect(readFileSync(join(repo, 'untracked-is-fine.txt'), 'utf8')).toBe('x\n');
  });

  it('finalizes into a base branch that is not checked out through a temporary worktree', async () => {
    sh(repo, 'checkout', '-q', '-b', 'dev');
    write(repo, 'dev-only.txt', 'dev\n');
    sh(repo, 'add', '-A');
    sh(repo, 'commit', '-q', '-m', 'dev work');
    write(repo, 'README.md', 'dirty on dev, which is not the base\n');
    const devHead = headOf(repo);
    const mainBefore = headOf(repo, 'refs/heads/main');

    const ws = await createMissionWorkspace(options());
    write(ws.coderWorktree('c3'), 'src/beta.ts', 'export const beta = 2;\n');
    await ws.commitCoderWork('c3', 'Beta work', 'Coder 3');
    await ws.mergeCoderIntoTeam('c3');
    await ws.mergeTeamsIntoMission();

    const final = await ws.finalizeIntoBase({ message: 'Ship mission M1' });
    expect(final).toMatchObject({ merged: true, via: 'temporary-worktree' });
    const mainAfter = headOf(repo, 'refs/heads/main');
    expect(final.merged && final.commit).toBe(mainAfter);
    expect(sh(repo, 'log', '-1', '--format=%s|%P', 'main')).toBe(
      `Ship mission M1|${mainBefore} ${headOf(repo, 'cr/m1/@mission')}`,
    );
    expect(sh(repo, 'show', 'main:src/beta.ts')).toContain('beta');
    // The person's checkout: same branch, same commit, same dirty file.
    expect(sh(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('dev');
    expect(headOf(repo)).toBe(devHead);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('dirty on dev, which is not the base\n');
    expect(existsSync(join(repo, 'src/beta.ts'))).toBe(false);
    expect(worktreePaths(repo).some((path) => path.includes('@finalize'))).toBe(false);
  });

  it('reports a conflict between teams and leaves the mission worktree clean', async () => {
    const ws = await createMissionWorkspace(options());
    write(ws.coderWorktree('Coder 1'), 'src/app.ts', 'export const answer = 1;\n');
    await ws.commitCoderWork('Coder 1', 'one', 'Coder 1');
    await ws.mergeCoderIntoTeam('Coder 1');
    write(ws.coderWorktree('c3'), 'src/app.ts', 'export const answer = 3;\n');
    await ws.commitCoderWork('c3', 'three', 'Coder 3');
    await ws.mergeCoderIntoTeam('c3');

    const outcome = await ws.mergeTeamsIntoMission();
    expect(outcome).toEqual({
      merged: false,
      teamId: 'beta',
      conflicts: ['src/app.ts'],
      mergedTeams: ['Team Alpha'],
    });
    expect(statusOf(ws.missionWorktree)).toBe('');
    expect(readFileSync(join(ws.missionWorktree, 'src/app.ts'), 'utf8')).toBe('export const answer = 1;\n');
  });

  it('caps a large diff', async () => {
    const ws = await createMissionWorkspace(options());
    const wt = ws.coderWorktree('Coder 1');
    write(wt, 'big.txt', Array.from({ length: 5_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    await ws.commitCoderWork('Coder 1', 'big', 'Coder 1');
    const diff = await ws.diffCoder('Coder 1', { maxBytes: 2_000 });
    expect(diff.truncated).toBe(true);
    expect(diff.diff.length).toBeLessThan(2_200);
    expect(diff.diff).toMatch(/\[diff truncated at 2000 bytes; 1 files changed/);
    expect(diff.files).toEqual([{ path: 'big.txt', status: 'added', additions: 5_000, deletions: 0 }]);
  });
});

describe('lifecycle', () => {
  it('remove() removes the worktrees and keeps the branches', async () => {
    const ws = await createMissionWorkspace(options());
    write(ws.coderWorktree('Coder 1'), 'src/x.ts', 'x\n');
    await ws.commitCoderWork('Coder 1', 'x', 'Coder 1');
    write(ws.coderWorktree('c3'), 'uncommitted.txt', 'lost on purpose\n');
    const before = branches(repo);

    await ws.remove();
    expect(worktreePaths(repo)).toEqual([repo]);
    expect(existsSync(rootDir)).toBe(false);
    expect(branches(repo)).toEqual(before);
    expect(sh(repo, 'show', 'cr/m1/team-alpha/coder-1:src/x.ts')).toBe('x');
    expect(statusOf(repo)).toBe('');
    await expectAppError(ws.diffCoder('Coder 1'), 'conflict', /removed/);
  });

  it('reopens after a restart: reuses worktrees, recreates missing ones, is idempotent', async () => {
    let ws: MissionWorkspace = await createMissionWorkspace(
      options({ copyFiles: ['.env'], setupCommand: 'touch .setup-marker' }),
    );
    write(repo, '.env', 'late\n');
    const c1 = ws.coderWorktree('Coder 1');
    write(c1, 'src/wip.ts', 'work in progress\n');
    write(ws.coderWorktree('c3'), 'src/beta.ts', 'beta\n');
    await ws.commitCoderWork('c3', 'beta', 'Coder 3');
    rmSync(ws.coderWorktree('c3'), { recursive: true, force: true });
    rmSync(ws.teamWorktree('beta'), { recursive: true, force: true });

    ws = await openMissionWorkspace(options({ copyFiles: ['.env'], setupCommand: 'touch .setup-marker' }));
    expect(readFileSync(join(c1, 'src/wip.ts'), 'utf8')).toBe('work in progress\n');
    expect(existsSync(join(c1, '.env'))).toBe(false); // reused, not re-prepared
    const c3 = ws.coderWorktree('c3');
    expect(readFileSync(join(c3, 'src/beta.ts'), 'utf8')).toBe('beta\n');
    expect(readFileSync(join(c3, '.env'), 'utf8')).toBe('late\n');
    expect(existsSync(join(c3, '.setup-marker'))).toBe(true);
    expect(sh(ws.teamWorktree('beta'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('cr/m1/beta/@team');
    expect(await ws.mergeCoderIntoTeam('c3')).toMatchObject({ merged: true });

    // Again, with a coder added since: only the new one is created.
    const teams = [
      { id: 'Team Alpha', coders: ['Coder 1', 'coder-2'] },
      { id: 'beta', coders: ['c3', 'c4'] },
    ];
    ws = await openMissionWorkspace(options({ teams }));
    ws = await openMissionWorkspace(options({ teams }));
    expect(headOf(ws.coderWorktree('c4'))).toBe(headOf(repo, 'cr/m1/beta/@team'));
    expect(worktreePaths(repo)).toHaveLength(8);
    expect(statusOf(repo)).toBe('');

    await expectAppError(
      openMissionWorkspace(options({ missionId: 'other' })),
      'not_found',
      /no workspace for mission "other"/,
    );
  });

  it('cleans up a merge interrupted by a crash before the next merge', async () => {
    const ws = await createMissionWorkspace(options());
    write(ws.coderWorktree('Coder 1'), 'src/app.ts', 'export const answer = 1;\n');
    await ws.commitCoderWork('Coder 1', 'one', 'Coder 1');
    write(ws.coderWorktree('coder-2'), 'src/app.ts', 'export const answer = 2;\n');
    await ws.commitCoderWork('coder-2', 'two', 'Coder 2');
    await ws.mergeCoderIntoTeam('Coder 1');
    // Simulate a crash mid-merge: git left conflict markers and MERGE_HEAD behind.
    const teamWt = ws.teamWorktree('Team Alpha');
    expect(() => sh(teamWt, 'merge', '--no-ff', '-m', 'x', 'cr/m1/team-alpha/coder-2')).toThrow();

    const reopened = await openMissionWorkspace(options());
    expect(await reopened.mergeCoderIntoTeam('coder-2')).toEqual({
      merged: false,
      conflicts: ['src/app.ts'],
    });
    expect(statusOf(teamWt)).toBe('');
  });
});
