/**
 * Pull requests: a mission that ends on a GitHub pull request instead of (or before) a
 * local merge. The engine side lives in `src/main/publish/`; the token it uses is kept in
 * main like the API key, and only its mask ({@link maskGithubToken}) ever leaves main.
 */

/** How a pull request was opened: GitHub's REST API with the token from Settings, or the `gh` command. */
export type PullRequestVia = 'api' | 'gh';

/** A pull request opened for a mission (a row of `mission_pull_requests`). */
export interface PullRequestView {
  missionId: string;
  /** The git remote the mission branch was pushed to, e.g. "origin". */
  remote: string;
  /** The branch pushed (the mission branch) and the one the pull request asks to merge into. */
  branch: string;
  base: string;
  url: string;
  number: number;
  via: PullRequestVia;
  draft: boolean;
  createdAt: string;
}

/** A remote of the mission's repository, as the pull request form offers it. */
export interface RemoteView {
  name: string;
  /** Its URL without any user name or password it may carry. */
  url: string;
  /** "owner/repo" when the URL is GitHub's (https or ssh), else null. */
  github: string | null;
}

/** What the pull request form needs to know about a mission. */
export interface PullRequestOptionsView {
  /** Whether a pull request may be opened now, and if not, why not (one line). */
  allowed: boolean;
  reason: string | null;
  remotes: RemoteView[];
  /** How one would be opened now: the token in Settings, else a logged-in `gh`, else null (with `viaProblem`). */
  via: PullRequestVia | null;
  viaProblem: string | null;
  /** Pull requests opened for this mission so far, newest first. */
  pullRequests: PullRequestView[];
}

/** The comment a final merge is resolved with when a pull request was opened instead; the URL follows it. */
export const PULL_REQUEST_DECISION_PREFIX = 'Opened a pull request: ';

/** The pull request URL a final merge's decision comment names, or null when it was not resolved by one. */
export function pullRequestUrlOf(comment: string | null): string | null {
  if (!comment?.startsWith(PULL_REQUEST_DECISION_PREFIX)) return null;
  const url = comment.slice(PULL_REQUEST_DECISION_PREFIX.length).trim();
  return /^https?:\/\/\S+$/.test(url) ? url : null;
}

/** Longest token accepted; GitHub's fine-grained tokens are 93 characters. */
export const MAX_GITHUB_TOKEN_LENGTH = 255;

// Classic (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server (ghs_), refresh (ghr_)
// tokens, fine-grained personal access tokens (github_pat_), and the 40-hex tokens of old.
const TOKEN_SHAPES = [/^gh[pousr]_[A-Za-z0-9]{30,}$/, /^github_pat_[A-Za-z0-9_]{40,}$/, /^[0-9a-f]{40}$/];

/**
 * Why `token` is not shaped like a GitHub token, or null when it is. The message never
 * repeats the token (not even its start): it would land in the UI, and perhaps a screenshot.
 */
export function githubTokenShapeProblem(token: string): string | null {
  if (/\s/.test(token)) return 'must not contain spaces or line breaks: copy only the token';
  if (TOKEN_SHAPES.some((shape) => shape.test(token))) return null;
  return 'must be a GitHub token ("ghp_…" or "github_pat_…", from GitHub\'s Settings > Developer settings > Personal access tokens): copy the whole token';
}

/** What the UI may see of a GitHub token: its known prefix and last four characters. */
export function maskGithubToken(token: string): string {
  const trimmed = token.trim();
  if (trimmed.length < 20) return 'set';
  const prefix = /^(github_pat_|gh[pousr]_)/.exec(trimmed)?.[0] ?? '';
  return `${prefix}…${trimmed.slice(-4)}`;
}

/** What the renderer may know about the GitHub token: never the token itself. */
export interface GithubTokenStatus {
  set: boolean;
  /** "ghp_…abcd", null when unset. */
  masked: string | null;
  /** True when it lives only in this process's memory and is lost when the engine stops. */
  volatile: boolean;
}
