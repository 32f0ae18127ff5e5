import type { RemoteView } from '../../shared/pull-request.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { git, GitError } from '../workspace/git.js';

/** A GitHub repository a remote points at: the host (github.com, or a GitHub Enterprise host), owner and name. */
export interface GithubRepo {
  host: string;
  owner: string;
  repo: string;
}

// A push crosses the network: longer than git's usual minute, shorter than forever.
const PUSH_TIMEOUT_MS = 5 * 60_000;
// The reason a rejected push carries, at most.
const REASON_MAX = 300;

/**
 * `url` without a user name or password: remotes may be `https://user:token@host/…`, and
 * what is shown or written must never carry the secret.
 */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, '$1');
}

/**
 * The GitHub repository a remote URL names, or null when it is not one: https
 * (`https://github.com/o/r(.git)`), ssh (`git@github.com:o/r.git`,
 * `ssh://git@github.com[:22]/o/r.git`) and `git://`. Any host whose name contains
 * "github" counts (GitHub Enterprise); the REST API is asked only of the one configured.
 */
export function parseGithubRemote(url: string): GithubRepo | null {
  const trimmed = url.trim();
  const scp = /^(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/)([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(trimmed);
  const full = /^(?:https?|ssh|git):\/\/(?:[^@/\s]*@)?([A-Za-z0-9.-]+)(?::\d+)?\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(trimmed);
  const match = full ?? scp;
  if (!match) return null;
  const [, host, owner, repo] = match as unknown as [string, string, string, string];
  if (!/github/i.test(host)) return null;
  return { host: host.toLowerCase(), owner, repo };
}

/** The repository's remotes (their fetch URLs, credentials removed), for the pull request form. */
export async function listRemotes(repoPath: string): Promise<RemoteView[]> {
  const { stdout } = await git(['remote'], { cwd: repoPath });
  const names = stdout.split('\n').map((n) => n.trim()).filter(Boolean);
  const remotes: RemoteView[] = [];
  for (const name of names) {
    const url = await remoteUrl(repoPath, name);
    const github = parseGithubRemote(url);
    remotes.push({ name, url: withoutCredentials(url), github: github ? `${github.owner}/${github.repo}` : null });
  }
  return remotes;
}

/**
 * The fetch URL of `remote` (what names the GitHub repository; a `pushurl` may send the
 * push elsewhere). Throws a one-line error naming the remotes there are when it is missing.
 */
export async function remoteUrl(repoPath: string, remote: string): Promise<string> {
  const result = await git(['remote', 'get-url', '--', remote], { cwd: repoPath, okExitCodes: [0, 2, 128] });
  if (result.exitCode === 0) return result.stdout.trim();
  const { stdout } = await git(['remote'], { cwd: repoPath });
  const names = stdout.split('\n').map((n) => n.trim()).filter(Boolean);
  throw new AppError(
    'invalid_request',
    `remote: the repository has no git remote ${quote(remote)} (${names.length === 0 ? 'it has none' : `it has ${names.map((n) => quote(n)).join(', ')}`}); add one with "git remote add ${remote} URL"`,
  );
}

/** Whether the local branch exists (the mission branch may have been deleted since). */
export async function branchExists(repoPath: string, branch: string): Promise<boolean> {
  const result = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repoPath, okExitCodes: [0, 1] });
  return result.exitCode === 0;
}

/**
 * Pushes `branch` to the branch of the same name on `remote`, never forced: a remote that
 * moved on (non-fast-forward) or refused it (a hook, a protected branch) is an error with
 * git's reason, cut to one line, and nothing is retried. The user's own git config and
 * credentials apply (as for their own pushes), and git never prompts (no terminal).
 * `redact` lists values that must not appear in the message (a token).
 */
export async function pushBranch(repoPath: string, remote: string, branch: string, redact: readonly string[] = []): Promise<void> {
  const ref = `refs/heads/${branch}`;
  try {
    await git(['push', '--porcelain', '--', remote, `${ref}:${ref}`], { cwd: repoPath, timeoutMs: PUSH_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const output = `${error.stdout}\n${error.stderr}`;
    // The remote refused the branch (a status line), or the push never got that far (no access, no network).
    const refused = /^!/m.test(output);
    const why = error.timedOut ? `timed out after ${PUSH_TIMEOUT_MS / 60_000} minutes` : pushRejection(output);
    const hint = /could not read (Username|Password)|Authentication failed|Permission denied \(publickey\)/i.test(output)
      ? ' (git has no credentials for this remote: set up a credential helper, e.g. "gh auth setup-git", or use an ssh remote)'
      : '';
    throw new AppError('conflict', scrub(`the push of ${branch} to ${quote(remote)} ${refused ? 'was rejected' : 'failed'}: ${why}${hint}`, redact));
  }
}

/**
 * Git's reason for a failed push in one line: the `! [rejected]` / `! [remote rejected]`
 * status (e.g. "non-fast-forward", "pre-receive hook declined"), with what the remote
 * said ("remote: …" lines) and git's own error, credentials removed.
 */
export function pushRejection(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const parts: string[] = [];
  for (const line of lines) {
    // Porcelain status lines: "!<TAB>src:dst<TAB>[rejected] (non-fast-forward)".
    const status = /^!.*\(([^)]+)\)$/.exec(line);
    if (status) parts.push(status[1]!);
  }
  for (const line of lines) {
    if (line.startsWith('remote:')) {
      const said = line.slice('remote:'.length).trim();
      if (said) parts.push(`remote said: ${said}`);
    }
  }
  const fatal = lines.find((l) => /^(fatal|error):/.test(l) && !/failed to push some refs/.test(l));
  if (fatal) parts.push(fatal.replace(/^(fatal|error):\s*/, ''));
  const text = parts.length > 0 ? [...new Set(parts)].join('; ') : (lines.at(-1) ?? 'git gave no reason');
  return safeMessage(withoutCredentialsAnywhere(text), REASON_MAX);
}

/** Every URL's credentials removed from a message. */
function withoutCredentialsAnywhere(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1');
}

/** `text` with each secret replaced: the last line of defence before a message leaves. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('***');
  return out;
}
