import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import { git, GitError } from './git.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'control-room-git-'));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('git', () => {
  it('commits as the given identity', async () => {
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await git(['add', '.'], { cwd: dir });
    await git(['commit', '-q', '-m', 'first'], {
      cwd: dir,
      internal: true,
      identity: { name: 'Coder 1', email: 'agents@control-room.local' },
    });
    const { stdout } = await git(['log', '-1', '--format=%an <%ae>|%cn'], { cwd: dir });
    expect(stdout.trim()).toBe('Coder 1 <agents@control-room.local>|Coder 1');
  });

  it('passes arguments without a shell', async () => {
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await git(['add', '.'], { cwd: dir });
    const message = '$(touch pwned) `id`; echo "hi"';
    await git(['commit', '-q', '-m', message], { cwd: dir, identity: { name: 'T', email: 't@e' } });
    expect((await git(['log', '-1', '--format=%s'], { cwd: dir })).stdout.trim()).toBe(message);
  });

  it('rejects with a typed error carrying stderr', async () => {
    const error = await git(['rev-parse', '--verify', 'no-such-branch'], { cwd: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitError);
    expect(error).toBeInstanceOf(AppError);
    const gitError = error as GitError;
    expect(gitError.exitCode).toBe(128);
    expect(gitError.stderr).toMatch(/needed a single revision/i);
    expect(gitError.message).toMatch(/git rev-parse --verify no-such-branch failed \(exit 128\)/);
  });

  it('answers expected exit codes instead of failing', async () => {
    const result = await git(['diff', '--quiet'], { cwd: dir, okExitCodes: [1] });
    expect(result.exitCode).toBe(0);
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await git(['add', '.'], { cwd: dir });
    expect((await git(['diff', '--cached', '--quiet'], { cwd: dir, okExitCodes: [1] })).exitCode).toBe(1);
  });

  it('times out', async () => {
    // hash-object --stdin waits for stdin, which execFile leaves open.
    const error = await git(['hash-object', '--stdin'], { cwd: dir, timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).timedOut).toBe(true);
    expect((error as GitError).message).toMatch(/timed out/);
  });

  it('truncates output at maxStdoutBytes when asked', async () => {
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(100_000));
    await git(['add', '.'], { cwd: dir });
    const result = await git(['diff', '--cached'], { cwd: dir, maxStdoutBytes: 1_000 });
    expect(result.truncated).toBe(true);
    expect(result.stdout.length).toBeLessThanOrEqual(1_000);
  });

  it('ignores a GIT_DIR inherited from the environment', async () => {
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = join(tmpdir(), 'definitely-not-a-repo');
    try {
      const { stdout } = await git(['rev-parse', '--show-toplevel'], { cwd: dir });
      expect(stdout.trim()).toBe(realpathSync(dir));
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });
});
