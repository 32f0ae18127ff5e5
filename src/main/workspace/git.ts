// A deliberately tiny wrapper around the `git` binary. We prefer it to a library: the
// operations we need (worktrees, merges, `merge-base`, `grep`) are one command each, the
// user's own git (and its config, credentials and LFS filters) is what they already trust,
// and simple-git is not a dependency. `execFile` never involves a shell, so arguments
// (branch names, commit messages, paths) are never interpreted.

import { execFile } from 'node:child_process';
import { AppError } from '../../shared/result.js';

/** The e-mail every agent commits under; the name says which agent it was. */
export const AGENT_EMAIL = 'agents@control-room.local';

/** Who a commit is attributed to. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity for commits the app makes itself (integration merges) when no agent is named. */
export const CONTROL_ROOM_IDENTITY: GitIdentity = { name: 'Control Room', email: AGENT_EMAIL };

export interface GitOptions {
  /** The working directory: a repository, one of its worktrees, or a folder inside one. */
  cwd: string;
  /** Kills git (SIGTERM, so it can drop its lock files) after this long. Default 60 s. */
  timeoutMs?: number;
  /** Commit as this identity (author and committer), whatever the user's config says. */
  identity?: GitIdentity;
  /**
   * Run with the app's settings for its own operations: no hooks, no commit signing, no
   * automatic gc. Off for operations on the user's own checkout, which keep their config.
   */
  internal?: boolean;
  /** Exit codes that are answers rather than failures (`git diff --quiet` answers 1). */
  okExitCodes?: readonly number[];
  /**
   * Keep at most this many bytes of stdout; git is stopped once it produces more and the
   * answer is marked `truncated` instead of failing.
   */
  maxStdoutBytes?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** True when stdout hit `maxStdoutBytes` and git was stopped. */
  truncated: boolean;
}

/** A git command that failed, timed out or could not start; the message carries its stderr. */
export class GitError extends AppError {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly timedOut: boolean;

  constructor(init: {
    args: readonly string[];
    exitCode: number | null;
    stderr: string;
    stdout: string;
    timedOut: boolean;
    cause?: unknown;
  }) {
    const what = init.timedOut
      ? 'timed out'
      : init.exitCode === null
        ? 'could not run'
        : `failed (exit ${init.exitCode})`;
    const detail = init.stderr.trim() || (init.cause instanceof Error ? init.cause.message : '');
    super('internal', `git ${init.args.join(' ')} ${what}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitError';
    this.args = init.args;
    this.exitCode = init.exitCode;
    this.stderr = init.stderr;
    this.stdout = init.stdout;
    this.timedOut = init.timedOut;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
// Large enough for any listing we parse; diffs pass their own, smaller cap.
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

// Settings for the app's own operations. Hooks are off because a user's pre-commit or
// post-checkout hook (formatters, husky, "ask me") must not run for every agent commit
// or worktree; signing is off because a pinentry prompt would hang a headless merge.
const INTERNAL_CONFIG = [
  'core.hooksPath=/dev/null',
  'commit.gpgSign=false',
  'gc.auto=0',
  'maintenance.auto=false',
];
// For every call: filenames unquoted (we parse them), never ask for anything.
const COMMON_CONFIG = ['core.quotePath=false', 'advice.detachedHead=false'];

/**
 * The environment git runs with: the app's own, minus variables that would point git at
 * another repository (a `GIT_DIR` inherited from a hook would silently redirect every
 * call) and minus API keys, which a user's hook must never see.
 */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('GIT_') && !KEPT_GIT_VARS.has(key)) continue;
    if (key.startsWith('ANTHROPIC_')) continue;
    env[key] = value;
  }
  // Messages we match on (and show) must be the untranslated ones.
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_EDITOR = 'true';
  env.GIT_MERGE_AUTOEDIT = 'no';
  env.GIT_PAGER = 'cat';
  return env;
}
// Transport settings a user may rely on to reach their remotes or LFS store.
const KEPT_GIT_VARS = new Set([
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_ASKPASS',
  'GIT_SSL_CAINFO',
  'GIT_SSL_NO_VERIFY',
]);

/**
 * Runs `git <args>` in `options.cwd` without a shell and resolves with its output.
 *
 * Rejects with a {@link GitError} (carrying stderr) when git exits with a code not in
 * `okExitCodes` (default `[0]`), times out, or cannot be started.
 */
export function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const config: string[] = [...COMMON_CONFIG];
  if (options.internal) config.push(...INTERNAL_CONFIG);
  if (options.identity) {
    config.push(`user.name=${options.identity.name}`, `user.email=${options.identity.email}`);
  }
  const fullArgs = [...config.flatMap((entry) => ['-c', entry]), ...args];
  const okExitCodes = options.okExitCodes ?? [0];
  const maxBuffer = options.maxStdoutBytes ?? DEFAULT_MAX_BUFFER;

  return new Promise((resolve, reject) => {
    execFile(
      'git',
      fullArgs,
      {
        cwd: options.cwd,
        env: gitEnv(),
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        killSignal: 'SIGTERM',
        maxBuffer,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0, truncated: false });
          return;
        }
        const failure = error as NodeJS.ErrnoException & {
          code?: unknown;
          killed?: boolean;
          signal?: string;
        };
        if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' && options.maxStdoutBytes !== undefined) {
          resolve({ stdout: stdout.slice(0, maxBuffer), stderr, exitCode: 0, truncated: true });
          return;
        }
        if (typeof failure.code === 'number' && okExitCodes.includes(failure.code)) {
          resolve({ stdout, stderr, exitCode: failure.code, truncated: false });
          return;
        }
        reject(
          new GitError({
            args,
            exitCode: typeof failure.code === 'number' ? failure.code : null,
            stderr,
            stdout,
            timedOut: failure.killed === true && failure.signal === 'SIGTERM' && failure.code === null,
            cause: error,
          }),
        );
      },
    );
  });
}

/** Splits NUL-separated git output (`-z`) into its non-empty entries. */
export function splitNul(output: string): string[] {
  return output.split('\0').filter((entry) => entry.length > 0);
}
