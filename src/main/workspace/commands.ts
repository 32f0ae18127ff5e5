import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { AppError } from '../../shared/result.js';

/** What running (or asking to run) a command came to. */
export type CommandOutcome =
  | {
      kind: 'ran';
      /** The shell's exit code; null when it was killed by a signal (a timeout, say). */
      exitCode: number | null;
      /** The signal that ended the shell, if one did. */
      signal: NodeJS.Signals | null;
      /** stdout and stderr interleaved as they arrived; capped, with a marker where cut. */
      output: string;
      /** True when some of the output was left out to stay under the cap. */
      truncated: boolean;
      timedOut: boolean;
      durationMs: number;
    }
  | {
      /** Not on the allowlist: the engine must ask the person, showing exactly this command. */
      kind: 'needs_permission';
      command: string;
    };

export interface RunCommandOptions {
  /** The worktree to run in. */
  cwd: string;
  /** Default 120 s; then the whole process group is killed. */
  timeoutMs?: number;
  /** Default 64 KiB; the start and the end of the output are kept, the middle is cut. */
  maxOutputBytes?: number;
  /**
   * The mission's explicit environment, added to the safe base (see
   * {@link buildCommandEnv}). `ANTHROPIC_*` names are dropped even from here.
   */
  env?: Readonly<Record<string, string>>;
}

export interface RunAllowedCommandOptions extends RunCommandOptions {
  /** The mission's allowlist; see {@link isCommandAllowed} for how entries match. */
  allowlist: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
// After SIGTERM, how long a process tree gets to clean up before SIGKILL.
const KILL_GRACE_MS = 2_000;
// After the shell exits, how long we wait for a daemonised grandchild to let go of the
// output pipes before we stop listening; it would otherwise hold the call open forever.
const CLOSE_GRACE_MS = 1_000;

// Characters that, in the free part of a wildcard match, would let an argument become a
// second command, a redirection or a substitution once `/bin/sh` reads it. Quotes,
// spaces, `=`, `-`, `/`, `.`, `:` and globs stay allowed so ordinary arguments work.
const SHELL_METACHARACTERS = /[;&|<>`$\\(){}\n\r]/;

/**
 * Whether `command` is covered by `allowlist`.
 *
 * An entry matches a command that is exactly equal to it (both trimmed). An entry that
 * ends in ` *` (say `npm test *`) matches its prefix alone (`npm test`) or the prefix
 * followed by a space and arguments (`npm test -- -t "parser"`), provided the arguments
 * contain no shell metacharacter (`;`, `&`, `|`, `<`, `>`, backtick, `$`, `\`,
 * parentheses, braces) and no newline: otherwise `npm test; curl … | sh` would pass as
 * "npm test plus arguments". Quotes, globs and `=` are fine. There is no allow-everything
 * entry; a lone `*` only matches the command `*`.
 */
export function isCommandAllowed(command: string, allowlist: readonly string[]): boolean {
  const wanted = command.trim();
  if (wanted.length === 0 || /[\n\r\0]/.test(wanted)) return false;
  for (const raw of allowlist) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    if (wanted === entry) return true;
    if (entry.endsWith(' *')) {
      const prefix = entry.slice(0, -2).trimEnd();
      if (prefix.length === 0) continue;
      if (wanted === prefix) return true;
      if (wanted.startsWith(`${prefix} `)) {
        const args = wanted.slice(prefix.length + 1);
        if (!SHELL_METACHARACTERS.test(args)) return true;
      }
    }
  }
  return false;
}

// Everything a build or test tool needs to find itself and behave, nothing that could be
// a credential. Whatever else the app's environment holds (API keys above all) stays out.
const BASE_ENV_NAMES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
];

/** Names never passed to a command, whatever the mission's env says. */
function isForbiddenEnvName(name: string): boolean {
  return name.toUpperCase().startsWith('ANTHROPIC_');
}

/**
 * The environment a mission command runs with: a safe base taken from the app's own
 * (PATH, HOME, locale, temp dirs), `TERM=dumb`, `CI=1`, `NO_COLOR=1`, then the mission's
 * explicit `extra` variables. Nothing else is inherited, and `ANTHROPIC_*` variables are
 * never passed, even if `extra` names them.
 */
export function buildCommandEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_ENV_NAMES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.TERM = 'dumb';
  env.CI = '1';
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  for (const [name, value] of Object.entries(extra)) {
    if (!isForbiddenEnvName(name)) env[name] = value;
  }
  return env;
}

/**
 * Runs `command` if the mission's allowlist covers it; otherwise answers
 * `needs_permission` with the exact command, for the engine to escalate.
 *
 * The command runs as {@link runCommand} runs it. Failing tests, non-zero exits and
 * timeouts are outcomes, not exceptions; only a `cwd` that is not a directory or a shell
 * that cannot start throws.
 */
export async function runAllowedCommand(
  command: string,
  options: RunAllowedCommandOptions,
): Promise<CommandOutcome> {
  if (!isCommandAllowed(command, options.allowlist)) return { kind: 'needs_permission', command };
  return runCommand(command.trim(), options);
}

/**
 * Runs `command` with `/bin/sh -c` in `cwd`, unchecked: for allowlisted commands and the
 * mission's own setup command. It is the user's command, so a shell is what they expect.
 *
 * The shell leads its own process group, so a timeout (SIGTERM, then SIGKILL after a
 * grace period) takes down everything it started; when the shell exits on its own, any
 * process it left behind in the group is killed too, so no test server outlives its
 * command. stdin is closed. Output is capped at `maxOutputBytes`, keeping the first and
 * the last half (test summaries come last) around a marker saying how much was cut.
 *
 * Process groups are POSIX; Windows is not supported here.
 */
export function runCommand(
  command: string,
  options: RunCommandOptions,
): Promise<CommandOutcome & { kind: 'ran' }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const output = new CappedOutput(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  if (!isDirectory(options.cwd)) {
    return Promise.reject(
      new AppError('not_found', `cannot run a command in "${options.cwd}": not a directory`),
    );
  }

  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: buildCommandEnv(options.env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });

    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };

    const finish = () => {
      if (settled || exit === null) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      const text = output.text();
      resolve({
        kind: 'ran',
        exitCode: exit.code,
        signal: exit.signal,
        output: text,
        truncated: output.truncated,
        timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    };

    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));

    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      reject(new AppError('internal', `could not start /bin/sh for "${command}": ${error.message}`));
    });

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Leftovers (a backgrounded server, a watcher) die with the command.
      killGroup('SIGKILL');
      timers.push(setTimeout(finish, CLOSE_GRACE_MS));
    });
    child.on('close', finish);

    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS));
      }, timeoutMs),
    );
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Keeps the first and last `max / 2` bytes of a stream and counts what fell between. */
class CappedOutput {
  private readonly headCap: number;
  private readonly tailCap: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(max: number) {
    this.headCap = Math.floor(Math.max(0, max) / 2);
    this.tailCap = Math.max(0, max) - this.headCap;
  }

  get truncated(): boolean {
    return this.total > this.headCap + this.tailCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailCap === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tailBytes > this.tailCap) {
      const first = this.tail[0];
      if (!first) break;
      const excess = this.tailBytes - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (!this.truncated) return head + tail;
    const omitted = this.total - this.headBytes - this.tailBytes;
    return `${head}\n[… ${omitted} bytes of output omitted …]\n${tail}`;
  }
}
