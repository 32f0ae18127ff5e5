import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectMemoryHandlers } from './project-memory.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('missions:check-project-memory', () => {
  it("reads a repository's CLAUDE.md, and answers null without one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-memory-'));
    dirs.push(dir);
    const check = projectMemoryHandlers()['missions:check-project-memory'];
    expect(await check({ repoPath: dir })).toBeNull();
    expect(await check({ repoPath: join(dir, 'no-such-folder') })).toBeNull();
    writeFileSync(join(dir, 'CLAUDE.md'), 'line\n'.repeat(301));
    expect(await check({ repoPath: dir })).toEqual({ path: join(dir, 'CLAUDE.md'), lines: 301, chars: 1_505, tokens: 377 });
  });
});
