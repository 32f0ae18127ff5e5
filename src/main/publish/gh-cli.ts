import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeMessage } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import type { GithubRepo } from './git-push.js';

const TIMEOUT_MS = 60_000;

/** Whether the `gh` command can open pull requests here, and if not, why (one line). */
export type GhStatus = { ok: true } | { ok: false; problem: string };

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
}

/** The environment gh runs with: the given one, without API keys, never prompting, no colours or update checks. */
function ghEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('ANTHROPIC_')) out[key] = value;
  }
  return { ...out, GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1', NO_COLOR: '1', CLICOLOR: '0' };
}

function runGh(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      'gh',
      args,
      { env: ghEnv(options.env), ...(options.cwd ? { cwd: options.cwd } : {}), timeout: TIMEOUT_MS, encoding: 'utf8', windowsHide: true, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (failure && failure.code === 'ENOENT') resolve({ code: null, stdout: '', stderr: '', missing: true });
        else resolve({ code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0, stdout, stderr, missing: false });
      },
    );
  });
}

/**
 * Whether `gh` is on the PATH of `env` and logged in (`gh auth status`, for `host` when
 * given). Never throws: the answer says what is missing.
 */
export async function ghStatus(env: NodeJS.ProcessEnv, host?: string): Promise<GhStatus> {
  const result = await runGh(['auth', 'status', ...(host ? ['--hostname', host] : [])], { env });
  if (result.missing) return { ok: false, problem: 'the gh command is not installed (https://cli.github.com)' };
  if (result.code !== 0) return { ok: false, problem: `gh is not logged in${host ? ` to ${host}` : ''} (run "gh auth login")` };
  return { ok: true };
}

export interface GhPullRequestInput {
  repoPath: string;
  github: GithubRepo;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Opens a pull request with `gh pr create --repo --head --base --title --body-file`, the
 * body in a private temporary file (it may be long, and arguments are visible to other
 * processes). The branch is pushed already, so gh is not asked to push. A pull request gh
 * says already exists for the branch is answered (gh names its URL).
 */
export async function ghCreatePullRequest(input: GhPullRequestInput): Promise<{ url: string; number: number; existing: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'cr-pr-'));
  const bodyFile = join(dir, 'body.md');
  try {
    writeFileSync(bodyFile, input.body, { mode: 0o600 });
    const repo = `${input.github.host}/${input.github.owner}/${input.github.repo}`;
    const args = ['pr', 'create', '--repo', repo, '--head', input.head, '--base', input.base, '--title', input.title, '--body-file', bodyFile];
    if (input.draft) args.push('--draft');
    const result = await runGh(args, { env: input.env, cwd: input.repoPath });
    if (result.missing) throw new AppError('unavailable', 'the gh command is not installed (https://cli.github.com); or set a GitHub token under Settings > GitHub');
    const said = `${result.stdout}\n${result.stderr}`;
    if (result.code === 0) {
      const pull = pullUrl(result.stdout);
      if (!pull) throw new AppError('internal', `gh pr create named no pull request: ${safeMessage(firstLine(said), 200)}`);
      return { ...pull, existing: false };
    }
    if (/already exists/i.test(said)) {
      const pull = pullUrl(said);
      if (pull) return { ...pull, existing: true };
    }
    throw new AppError('unavailable', `gh pr create failed (exit ${result.code ?? 'signal'}): ${safeMessage(firstLine(result.stderr || result.stdout), 300)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last pull request URL in gh's output, and its number. */
function pullUrl(text: string): { url: string; number: number } | null {
  const all = [...text.matchAll(/https?:\/\/\S+\/pull\/(\d+)/g)];
  const last = all.at(-1);
  return last ? { url: last[0], number: Number(last[1]) } : null;
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find(Boolean) ?? 'no output';
}
