import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitsBetween, diffRange, diffWorkInProgress, mergeBaseOf, resolveCommit } from './change-diff.js';

let dir: string;
let repo: string;

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}
function commit(message: string): string {
  sh(repo, 'add', '--all');
  sh(repo, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-q', '-m', message);
  return sh(repo, 'rev-parse', 'HEAD');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-change-diff-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  sh(repo, 'init', '-q', '-b', 'main');
  write(join(repo, 'README.md'), '# demo\nline two\n');
  write(join(repo, 'old.txt'), 'gone soon\n');
  commit('initial');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('diffRange', () => {
  it('answers each file with its counts and its own patch, paths with spaces and non-ASCII included', async () => {
    const base = sh(repo, 'rev-parse', 'HEAD');
    write(join(repo, 'README.md'), '# demo\nline 2\nline three\n');
    write(join(repo, 'src/a b.js'), 'export const a = 1;\n');
    write(join(repo, 'src/café.ts'), 'export const c: number = 3;\nexport const d = 4;\n');
    rmSync(join(repo, 'old.txt'));
    const head = commit('change four files');

    const change = await diffRange(repo, base, head);
    expect(
      change.files.map(({ path, status, additions, deletions }) => ({ path, status, additions, deletions })),
    ).toEqual([
      { path: 'README.md', status: 'modified', additions: 2, deletions: 1 },
      { path: 'old.txt', status: 'deleted', additions: 0, deletions: 1 },
      { path: 'src/a b.js', status: 'added', additions: 1, deletions: 0 },
      { path: 'src/café.ts', status: 'added', additions: 2, deletions: 0 },
    ]);
    expect(change).toMatchObject({ additions: 5, deletions: 2, truncated: false });
    const byPath = new Map(change.files.map((f) => [f.path, f.patch]));
    expect(byPath.get('src/a b.js')).toContain('+export const a = 1;');
    expect(byPath.get('src/a b.js')).not.toContain('README');
    expect(byPath.get('src/café.ts')).toContain('+export const d = 4;');
    expect(byPath.get('README.md')).toContain('-line two');
    // The patches together are git's whole diff.
    expect(
      change.files
        .map((f) => f.patch)
        .sort()
        .join(''),
    ).toBe(
      sh(repo, '-c', 'core.quotePath=false', 'diff', '--no-color', '--no-renames', base, head)
        .split(/(?=^diff --git )/m)
        .map((p) => `${p.trimEnd()}\n`)
        .sort()
        .join(''),
    );
  });

  it("cuts a file over its own cap, and marks the file the whole diff's cap cut into", async () => {
    const base = sh(repo, 'rev-parse', 'HEAD');
    write(join(repo, 'a-big.txt'), Array.from({ length: 2_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    write(join(repo, 'b-small.txt'), 'small\n');
    write(join(repo, 'c-late.txt'), Array.from({ length: 2_000 }, (_, i) => `late ${i}`).join('\n') + '\n');
    const head = commit('big');
    const change = await diffRange(repo, base, head, { maxFileBytes: 1_000, maxBytes: 40_000 });
    const [big, small, late] = change.files;
    expect(big).toMatchObject({ path: 'a-big.txt', additions: 2_000, truncated: true });
    expect(big!.patch.length).toBeLessThanOrEqual(1_000);
    expect(big!.patch.endsWith('\n')).toBe(true);
    expect(small).toMatchObject({ path: 'b-small.txt', truncated: false });
    expect(small!.patch).toContain('+small');
    expect(late).toMatchObject({ path: 'c-late.txt', additions: 2_000, truncated: true });
    expect(change.truncated).toBe(true);
  });
});

describe('diffWorkInProgress', () => {
  it('adds uncommitted edits and new files to the commits since the base, leaving the index alone', async () => {
    const base = sh(repo, 'rev-parse', 'HEAD');
    write(join(repo, 'committed.js'), 'export const x = 1;\n');
    commit('committed');
    write(join(repo, 'README.md'), '# demo\nline two\nline three\n');
    write(join(repo, 'new/file.js'), 'one\ntwo\n');
    write(join(repo, '.env'), 'SECRET=1\n');
    const indexBefore = sh(repo, 'ls-files', '--stage');

    const wip = await diffWorkInProgress(repo, base, { exclude: ['.env'] });
    expect(
      wip.files.map(({ path, status, additions, deletions }) => ({ path, status, additions, deletions })),
    ).toEqual([
      { path: 'README.md', status: 'modified', additions: 1, deletions: 0 },
      { path: 'committed.js', status: 'added', additions: 1, deletions: 0 },
      { path: 'new/file.js', status: 'added', additions: 2, deletions: 0 },
    ]);
    expect(wip.files.find((f) => f.path === 'new/file.js')?.patch).toMatch(
      /^diff --git a\/new\/file\.js b\/new\/file\.js\n[\s\S]*\+two\n$/,
    );
    expect(sh(repo, 'ls-files', '--stage')).toBe(indexBefore);
    expect(sh(repo, 'status', '--porcelain')).toContain('?? new/');
  });
});

describe('commits and refs', () => {
  it('lists the commits of a range newest first, and resolves refs and merge-bases', async () => {
    const base = sh(repo, 'rev-parse', 'HEAD');
    write(join(repo, 'one.txt'), '1\n');
    const first = commit('first');
    write(join(repo, 'two.txt'), '2\n');
    const second = commit('second: with a colon');
    const commits = await commitsBetween(repo, base, second);
    expect(commits.map((c) => [c.sha, c.subject, c.author])).toEqual([
      [second, 'second: with a colon', 'Ada'],
      [first, 'first', 'Ada'],
    ]);
    expect(Date.parse(commits[0]!.at)).not.toBeNaN();
    expect(await resolveCommit(repo, 'main')).toBe(second);
    expect(await resolveCommit(repo, 'no-such-branch')).toBeNull();
    expect(await mergeBaseOf(repo, base, second)).toBe(base);
  });
});
