import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileTools, type FileTools, type ToolResult } from './file-tools.js';

let dir: string;
let root: string;
let outside: string;
let tools: FileTools;

function write(base: string, path: string, content: string | Buffer): void {
  mkdirSync(join(base, path, '..'), { recursive: true });
  writeFileSync(join(base, path), content);
}

function output(result: ToolResult): string {
  if (!result.ok) throw new Error(`expected ok, got error: ${result.error}`);
  return result.output;
}

function error(result: ToolResult): string {
  if (result.ok) throw new Error(`expected an error, got: ${result.output}`);
  return result.error;
}

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'control-room-tools-')));
  root = join(dir, 'worktree');
  outside = join(dir, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  write(outside, 'secret.txt', 'TOP SECRET\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  write(root, 'README.md', 'hello\nworld\n');
  write(root, 'src/a.ts', 'export const a = 1;\nexport function findMe() {}\n');
  write(root, 'src/deep/b.ts', 'export const b = findMe();\n');
  write(root, 'docs/guide.md', 'Call findMe() here.\n');
  write(root, '.gitignore', 'node_modules/\n');
  write(root, 'node_modules/pkg/index.js', 'findMe();\n');
  tools = createFileTools(root);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('path confinement', () => {
  const escapes = ['../outside/secret.txt', '/etc/passwd', 'src/../../outside/secret.txt', '..', '../x'];

  it.each(escapes)('refuses to read %s', async (path) => {
    expect(error(await tools.read_file(path))).toMatch(/outside the worktree/);
  });

  it.each(escapes)('refuses to write %s', async (path) => {
    expect(error(await tools.write_file(path, 'pwned'))).toMatch(/outside the worktree/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET\n');
  });

  it('allows absolute paths inside the worktree and paths that come back inside', async () => {
    expect(output(await tools.read_file(join(root, 'README.md')))).toBe('hello\nworld\n');
    expect(output(await tools.read_file('src/../README.md'))).toBe('hello\nworld\n');
    expect(output(await tools.write_file(join(root, 'src/new.ts'), 'x'))).toMatch(/created src\/new\.ts/);
  });

  it('refuses a symlinked file that points outside, for reading and writing', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    expect(error(await tools.read_file('link.txt'))).toMatch(/outside the worktree/);
    expect(error(await tools.write_file('link.txt', 'pwned'))).toMatch(/outside the worktree/);
    expect(error(await tools.edit_file('link.txt', 'TOP', 'pwned'))).toMatch(/outside the worktree/);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET\n');
  });

  it('refuses a symlinked folder that points outside, for reading, writing and listing', async () => {
    symlinkSync(outside, join(root, 'linkdir'));
    expect(error(await tools.read_file('linkdir/secret.txt'))).toMatch(/outside the worktree/);
    expect(error(await tools.write_file('linkdir/new.txt', 'pwned'))).toMatch(/outside the worktree/);
    expect(error(await tools.write_file('linkdir/sub/new.txt', 'pwned'))).toMatch(/outside the worktree/);
    expect(error(await tools.list_dir('linkdir'))).toMatch(/outside the worktree/);
    expect(error(await tools.search('SECRET', { path: 'linkdir' }))).toMatch(/outside the worktree/);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside, 'sub'))).toBe(false);
  });

  it('never writes through a dangling symlink', async () => {
    symlinkSync(join(outside, 'created-by-agent.txt'), join(root, 'dangling'));
    expect(error(await tools.write_file('dangling', 'pwned'))).toMatch(
      /symlink to something that does not exist/,
    );
    expect(error(await tools.read_file('dangling'))).toMatch(/symlink to something that does not exist/);
    expect(existsSync(join(outside, 'created-by-agent.txt'))).toBe(false);
  });

  it('follows symlinks that stay inside', async () => {
    symlinkSync(join(root, 'src'), join(root, 'src-link'));
    expect(output(await tools.read_file('src-link/a.ts'))).toContain('export const a');
    expect(output(await tools.write_file('src-link/c.ts', 'c'))).toMatch(/created src\/c\.ts/);
    expect(readFileSync(join(root, 'src/c.ts'), 'utf8')).toBe('c');
  });

  it('refuses writes into .git, and NUL bytes', async () => {
    expect(error(await tools.write_file('.git/config', 'x'))).toMatch(/inside \.git/);
    expect(error(await tools.write_file('.git/hooks/pre-commit', 'x'))).toMatch(/inside \.git/);
    expect(error(await tools.write_file('sub/.GIT/x', 'x'))).toMatch(/inside \.git/);
    expect(error(await tools.read_file('README.md\0.txt'))).toMatch(/NUL/);
    expect(error(await tools.write_file('a\0b', 'x'))).toMatch(/NUL/);
  });

  it('enforces the write scope but not for reads', async () => {
    const scoped = createFileTools(root, { writeScope: ['src/', './docs'] });
    expect(output(await scoped.write_file('src/ok.ts', 'ok'))).toMatch(/created/);
    expect(output(await scoped.write_file('docs/new/page.md', 'ok'))).toMatch(/created/);
    expect(error(await scoped.write_file('README.md', 'no'))).toMatch(
      /outside your write scope.*src\/, docs\//,
    );
    expect(error(await scoped.write_file('src2/x.ts', 'no'))).toMatch(/outside your write scope/);
    expect(error(await scoped.edit_file('README.md', 'hello', 'bye'))).toMatch(/outside your write scope/);
    expect(output(await scoped.read_file('README.md'))).toBe('hello\nworld\n');
    // A link inside the scope to a folder outside it lands outside the scope.
    symlinkSync(join(root, 'node_modules'), join(root, 'src/nm'));
    expect(error(await scoped.write_file('src/nm/evil.js', 'no'))).toMatch(/outside your write scope/);
  });
});

describe('read_file', () => {
  it('reads lines by offset and limit', async () => {
    write(root, 'lines.txt', 'one\ntwo\nthree\nfour\n');
    expect(output(await tools.read_file('lines.txt', { offset: 2, limit: 2 }))).toBe('two\nthree\n');
    expect(output(await tools.read_file('lines.txt', { offset: 4 }))).toBe('four\n');
    expect(error(await tools.read_file('lines.txt', { offset: 9 }))).toMatch(/past the end.*4 lines/);
    expect(error(await tools.read_file('lines.txt', { offset: 0 }))).toMatch(/offset/);
  });

  it('caps what it returns and says how to read on', async () => {
    write(root, 'long.txt', Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n'));
    const small = createFileTools(root, { maxReadBytes: 100 });
    const text = output(await small.read_file('long.txt'));
    expect(text).toMatch(/^line 1\n/);
    expect(text).toMatch(/\[truncated at 100 bytes: showed lines 1-\d+ of 100; read on with offset \d+\]$/);
  });

  it('explains missing files, folders and binaries', async () => {
    expect(error(await tools.read_file('nope.txt'))).toMatch(/does not exist/);
    expect(error(await tools.read_file('src'))).toMatch(/is a directory/);
    write(root, 'image.png', Buffer.from([0x89, 0x50, 0x00, 0x01]));
    expect(error(await tools.read_file('image.png'))).toMatch(/binary/);
  });
});

describe('write_file and edit_file', () => {
  it('creates folders, reports created or updated, and caps the size', async () => {
    expect(output(await tools.write_file('new/deep/file.txt', 'content'))).toBe(
      'created new/deep/file.txt (7 bytes)',
    );
    expect(output(await tools.write_file('new/deep/file.txt', 'more'))).toMatch(/^updated/);
    expect(readFileSync(join(root, 'new/deep/file.txt'), 'utf8')).toBe('more');
    const small = createFileTools(root, { maxWriteBytes: 10 });
    expect(error(await small.write_file('big.txt', 'x'.repeat(11)))).toMatch(/limit is 10/);
    expect(error(await tools.write_file('src', 'x'))).toMatch(/is a directory/);
    expect(error(await tools.write_file('README.md/child', 'x'))).toMatch(/README\.md/);
  });

  it('replaces text that matches exactly once', async () => {
    expect(output(await tools.edit_file('src/a.ts', 'const a = 1', 'const a = 2'))).toBe(
      'edited src/a.ts at line 1',
    );
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe(
      'export const a = 2;\nexport function findMe() {}\n',
    );
    // Replacement text is literal: no `$&` surprises.
    await tools.edit_file('src/a.ts', 'a = 2', 'a = "$&"');
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toContain('a = "$&"');
  });

  it('explains zero and several matches', async () => {
    expect(error(await tools.edit_file('src/a.ts', 'not in the file', 'x'))).toMatch(/not found.*exactly/);
    expect(error(await tools.edit_file('src/a.ts', 'export', 'x'))).toMatch(
      /matches 2 times.*lines 1, 2.*more surrounding/,
    );
    expect(error(await tools.edit_file('src/a.ts', '', 'x'))).toMatch(/empty/);
    expect(error(await tools.edit_file('missing.ts', 'a', 'b'))).toMatch(/does not exist/);
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe(
      'export const a = 1;\nexport function findMe() {}\n',
    );
  });

  it('matches LF text in a CRLF file', async () => {
    write(root, 'win.txt', 'first\r\nsecond\r\nthird\r\n');
    output(await tools.edit_file('win.txt', 'first\nsecond', 'one\ntwo'));
    expect(readFileSync(join(root, 'win.txt'), 'utf8')).toBe('one\r\ntwo\r\nthird\r\n');
  });
});

describe('list_dir', () => {
  it('lists entries, skips .git, descends to the depth asked, never follows links', async () => {
    symlinkSync(outside, join(root, 'linkdir'));
    const top = output(await tools.list_dir('.'));
    expect(top.split('\n')).toEqual([
      'docs/',
      'node_modules/',
      'src/',
      '.gitignore',
      `linkdir -> ${outside}`,
      'README.md',
    ]);
    const deep = output(await tools.list_dir('src', { depth: 2 }));
    expect(deep.split('\n')).toEqual(['deep/', 'deep/b.ts', 'a.ts']);
    expect(error(await tools.list_dir('README.md'))).toMatch(/not a directory/);
    expect(error(await tools.list_dir('.', { depth: 0 }))).toMatch(/depth/);
  });
});

describe('search', () => {
  it('finds regex and literal matches in tracked and untracked files, not ignored ones', async () => {
    const text = output(await tools.search('find[A-Z]e\\('));
    expect(text.split('\n').sort()).toEqual([
      'docs/guide.md:1:Call findMe() here.',
      'src/a.ts:2:export function findMe() {}',
      'src/deep/b.ts:1:export const b = findMe();',
    ]);
    expect(
      output(await tools.search('findMe()', { literal: true, path: 'src' }))
        .split('\n')
        .sort(),
    ).toEqual(['src/a.ts:2:export function findMe() {}', 'src/deep/b.ts:1:export const b = findMe();']);
    expect(output(await tools.search('findme', { glob: '*.md', caseInsensitive: true }))).toBe(
      'docs/guide.md:1:Call findMe() here.',
    );
    expect(output(await tools.search('findMe', { glob: 'src/deep/*.ts' }))).toBe(
      'src/deep/b.ts:1:export const b = findMe();',
    );
    expect(output(await tools.search('nothing like this'))).toBe('no matches');
    expect(error(await tools.search('unclosed('))).toMatch(/search failed/);
  });

  it('does not follow a symlink out of the worktree', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    expect(output(await tools.search('TOP SECRET'))).toBe('no matches');
  });

  it('caps the number of results', async () => {
    write(root, 'many.txt', Array.from({ length: 50 }, () => 'needle').join('\n'));
    const small = createFileTools(root, { maxSearchResults: 5 });
    const lines = output(await small.search('needle')).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/more matches not shown/);
  });
});
