import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve, sep } from 'node:path';
import type { RuntimeStatus } from '../../../shared/contract/runtimes.js';

/**
 * Whether Claude Code can start on this machine. @anthropic-ai/claude-agent-sdk runs the
 * `claude` binary of an optional per-platform package; npm skips the packages of other
 * platforms, and an install with `--omit=optional` (or a copy made on another machine)
 * has none at all. The designer asks before a mission does, so a person learns it while
 * drawing the team rather than when an agent fails to start.
 */

/** The environment variable that points Control Room at another `claude` binary. */
export const CLAUDE_CODE_PATH_ENV = 'CONTROL_ROOM_CLAUDE_CODE_PATH';

/** Long enough for a cold start from a slow disk; `--version` itself does no work. */
export const PROBE_TIMEOUT_MS = 15_000;

const SDK_PACKAGE = '@anthropic-ai/claude-agent-sdk';
const MAX_REASON_LENGTH = 300;

export type ClaudeCodeStatus = RuntimeStatus & { runtime: 'claude-code' };

export interface ProbeOptions {
  /** Where the override is read; `process.env` unless a test says otherwise. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

interface Platform {
  platform: NodeJS.Platform;
  arch: string;
  musl: boolean;
}

type Located = { ok: true; path: string } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

function currentPlatform(): Platform {
  return { platform: process.platform, arch: process.arch, musl: isMusl() };
}

/** glibc reports its version in the process report; musl leaves the field out. */
function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header !== undefined && report.header.glibcVersionRuntime === undefined;
}

/**
 * The platform packages to try, in the SDK's own order: on Linux the libc this process
 * runs on first, then the other (a static musl build also runs on glibc).
 */
export function platformPackages({ platform, arch, musl }: Platform): string[] {
  if (platform === 'linux') {
    const glibc = `${SDK_PACKAGE}-linux-${arch}`;
    return musl ? [`${glibc}-musl`, glibc] : [glibc, `${glibc}-musl`];
  }
  return [`${SDK_PACKAGE}-${platform}-${arch}`];
}

/**
 * A packaged app resolves modules inside app.asar, but an archive cannot hold an
 * executable: electron-builder unpacks the binary beside it (asarUnpack) and it runs
 * from there.
 */
function outsideAsar(path: string): string {
  return path.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
}

function locate(env: NodeJS.ProcessEnv, host: Platform = currentPlatform()): Located {
  const override = env[CLAUDE_CODE_PATH_ENV]?.trim();
  if (override) {
    const path = isAbsolute(override) ? override : resolve(override);
    return existsSync(path)
      ? { ok: true, path }
      : { ok: false, reason: `${CLAUDE_CODE_PATH_ENV} points to ${path}, which does not exist` };
  }
  const exe = host.platform === 'win32' ? 'claude.exe' : 'claude';
  const packages = platformPackages(host);
  for (const pkg of packages) {
    try {
      const path = outsideAsar(require.resolve(`${pkg}/${exe}`));
      if (existsSync(path)) return { ok: true, path };
    } catch {
      // Not installed: try the next candidate.
    }
  }
  const target = `${host.platform}-${host.arch}${host.musl ? '-musl' : ''}`;
  return {
    ok: false,
    reason: `Claude Code's binary for ${target} is not installed (${packages[0]})`,
  };
}

/**
 * The path of the `claude` binary Claude Code agents run (`pathToClaudeCodeExecutable`):
 * `CONTROL_ROOM_CLAUDE_CODE_PATH` when set, else the SDK's package for this platform.
 * Null when there is none; `probeClaudeCode` says why.
 */
export function resolveClaudeCodeBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const located = locate(env);
  return located.ok ? located.path : null;
}

/** Why there is no binary to run (null when there is one): the line the runtime fails an agent with. */
export function claudeCodeMissingReason(env: NodeJS.ProcessEnv = process.env): string | null {
  const located = locate(env);
  return located.ok ? null : located.reason;
}

/** One line, short enough for a tooltip, whatever a failing binary printed. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}

function runVersion(path: string, timeoutMs: number): Promise<ClaudeCodeStatus> {
  const unavailable = (why: string): ClaudeCodeStatus => ({
    runtime: 'claude-code',
    available: false,
    version: null,
    reason: oneLine(`Claude Code at ${path} did not start: ${why}`),
  });
  return new Promise((done) => {
    try {
      execFile(
        path,
        ['--version'],
        { timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error) {
            const detail = stderr.trim().split('\n')[0] ?? '';
            const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
            if (err.killed || err.signal === 'SIGTERM')
              done(unavailable(`no answer to --version within ${timeoutMs} ms`));
            else if (typeof err.code === 'string')
              done(unavailable(`${err.code} (${err.message.split('\n')[0]})`));
            else
              done(
                unavailable(`--version exited with code ${String(err.code)}${detail ? `: ${detail}` : ''}`),
              );
            return;
          }
          // "2.1.335 (Claude Code)": the version is the first word.
          const version = /^\s*v?(\d+\.\d+\.\d+[^\s]*)/.exec(stdout)?.[1];
          if (!version) {
            done(
              unavailable(`--version printed ${JSON.stringify(oneLine(stdout).slice(0, 80))}, not a version`),
            );
            return;
          }
          done({ runtime: 'claude-code', available: true, version, reason: null });
        },
      );
    } catch (error) {
      // execFile throws synchronously for arguments it refuses (e.g. a NUL in the path).
      done(unavailable((error as Error).message));
    }
  });
}

/** One answer per binary path for the life of the process: the binary does not change under us. */
const cache = new Map<string, Promise<ClaudeCodeStatus>>();

/**
 * Finds the `claude` binary and runs `claude --version` (no shell, with a timeout).
 * Never throws: a missing binary, one that cannot start, or one that prints nonsense is
 * `available: false` with one line of reason a person can act on.
 */
export function probeClaudeCode(options: ProbeOptions = {}): Promise<ClaudeCodeStatus> {
  const located = locate(options.env ?? process.env);
  if (!located.ok) {
    return Promise.resolve({
      runtime: 'claude-code',
      available: false,
      version: null,
      reason: located.reason,
    });
  }
  const key = located.path;
  let answer = cache.get(key);
  if (!answer) {
    answer = runVersion(located.path, options.timeoutMs ?? PROBE_TIMEOUT_MS);
    cache.set(key, answer);
  }
  return answer;
}

/** Forgets cached answers (tests, and a future "check again" button). */
export function clearClaudeCodeProbeCache(): void {
  cache.clear();
}

export const forTesting = { locate };
