import { describe, expect, it } from 'vitest';
import { findOverlaps, normaliseOwnedPath, ownerOf, owningPath, pathsOverlap } from './ownership.js';

describe('pathsOverlap', () => {
  it.each<[string, string, boolean]>([
    // The same file, however it is spelled.
    ['src/a.ts', 'src/a.ts', true],
    ['./src/a.ts', 'src/a.ts', true],
    ['src//a.ts', 'src/./a.ts', true],
    ['src\\a.ts', 'src/a.ts', true],
    ['  src/a.ts ', 'src/a.ts', true],
    // A folder holds what is under it, with or without its trailing slash, either way round.
    ['src/', 'src/a.ts', true],
    ['src', 'src/a.ts', true],
    ['src/a.ts', 'src/', true],
    ['src/api/', 'src/api/routes/users.ts', true],
    ['src/api', 'src/api/', true],
    ['.', 'anything/at/all.ts', true],
    ['./', 'README.md', true],
    // A glob owns the folder before its first wildcard.
    ['src/api/**', 'src/api/routes.ts', true],
    ['src/**/*.test.ts', 'src/lib/a.ts', true],
    ['src/api/*.ts', 'src/web/a.ts', false],
    // A shared prefix is not a shared folder.
    ['src/a', 'src/ab.ts', false],
    ['src/api', 'src/api-client/index.ts', false],
    ['src/a.ts', 'src/a.tsx', false],
    // Siblings and strangers.
    ['src/a.ts', 'src/b.ts', false],
    ['src/', 'test/a.test.ts', false],
    // The file system is case-sensitive.
    ['src/A.ts', 'src/a.ts', false],
    ['Src/', 'src/a.ts', false],
    // `..` inside the repository resolves; above it, nothing is owned.
    ['src/x/../a.ts', 'src/a.ts', true],
    ['../src/a.ts', 'src/a.ts', false],
    ['/etc/passwd', '/etc/passwd', false],
  ])('%j and %j overlap: %s', (a, b, expected) => {
    expect(pathsOverlap(a, b)).toBe(expected);
    expect(pathsOverlap(b, a)).toBe(expected);
  });
});

describe('normaliseOwnedPath', () => {
  it.each<[string, string | null]>([
    ['./src/api/', 'src/api'],
    ['src\\api\\x.ts', 'src/api/x.ts'],
    ['.', ''],
    ['**', ''],
    ['a/../..', null],
    ['C:/repo/a.ts', null],
  ])('%j is %j', (given, expected) => {
    expect(normaliseOwnedPath(given)).toBe(expected);
  });
});

describe('owners', () => {
  const tasks = [
    { key: 'api', owns: ['src/api/'] },
    { key: 'routes', owns: ['src/api/routes.ts', 'test/routes.test.ts'] },
    { key: 'web', owns: ['web/'] },
    { key: 'docs', owns: [] },
  ];

  it('names every overlapping pair once, with the paths that meet', () => {
    expect(findOverlaps(tasks).map((o) => [o.a.key, o.b.key, o.pathA, o.pathB])).toEqual([['api', 'routes', 'src/api/', 'src/api/routes.ts']]);
    // Pairs the caller does not compare (say, teams of different phases) never count.
    expect(findOverlaps(tasks, (a, b) => a.key !== 'api' && b.key !== 'api')).toEqual([]);
  });

  it('finds the most specific owner of a path, or none', () => {
    expect(ownerOf(tasks, 'src/api/routes.ts')).toEqual({ owner: tasks[1], path: 'src/api/routes.ts' });
    expect(ownerOf(tasks, './src/api/users.ts')).toEqual({ owner: tasks[0], path: 'src/api/' });
    expect(ownerOf(tasks, 'README.md')).toBeNull();
    expect(owningPath(['src/', 'src/api'], 'src/api/x.ts')).toBe('src/api');
    expect(owningPath(['src/'], '../src/x.ts')).toBeNull();
  });
});
