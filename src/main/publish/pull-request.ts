import type { PullRequestVia } from '../../shared/pull-request.js';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { ghCreatePullRequest, ghStatus } from './gh-cli.js';
import { parseGithubRemote, pushBranch, remoteUrl, scrub, withoutCredentials, type GithubRepo } from './git-push.js';
import { createPullRequest, GITHUB_API_URL } from './github-api.js';

/** How pull requests are opened on this machine: which way, or why none can be. */
export type PullRequestPath = { via: PullRequestVia } | { via: null; problem: string };

/** Where a pull request may go: the token from Settings, the environment gh runs in, the API's base URL. */
export interface PublishConfig {
  /** The GitHub token saved in Settings, or null. Read at each use, so a change applies at once. */
  token: () => string | null;
  /** The environment `gh` runs with (its PATH finds it; its config says who is logged in). */
  env: NodeJS.ProcessEnv;
  /** GitHub's REST API; tests give a loopback fake. Default https://api.github.com. */
  githubApiUrl?: string;
}

/**
 * Which way a pull request would be opened now: the REST API when a token is saved, else
 * `gh` when it is installed and logged in, else a one-line problem saying what to set.
 */
export async function choosePath(config: PublishConfig, host?: string): Promise<PullRequestPath> {
  if (config.token()) return { via: 'api' };
  const gh = await ghStatus(config.env, host);
  if (gh.ok) return { via: 'gh' };
  return { via: null, problem: `set a GitHub token under Settings > GitHub, or log in with gh (${gh.problem})` };
}

export interface OpenPullRequestInput {
  repoPath: string;
  remote: string;
  branch: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** What was opened (or found open already) and how. */
export interface OpenedPullRequest {
  url: string;
  number: number;
  via: PullRequestVia;
  existing: boolean;
}

/**
 * Pushes `branch` to `remote` and opens a pull request of it into `base`. Everything that
 * can be checked without the network is checked first, in this order: the remote exists,
 * it is a GitHub repository, a way to open the pull request is set up. Then the push (a
 * rejection is an error with git's reason), then the pull request. The token never appears
 * in an error.
 */
export async function openPullRequest(config: PublishConfig, input: OpenPullRequestInput): Promise<OpenedPullRequest> {
  const token = config.token();
  const secrets = token ? [token] : [];
  try {
    const url = await remoteUrl(input.repoPath, input.remote);
    const github = parseGithubRemote(url);
    if (!github) {
      throw new AppError(
        'invalid_request',
        `remote: ${quote(input.remote)} (${quote(withoutCredentials(url), 120)}) is not a GitHub repository; a pull request needs a remote on GitHub`,
      );
    }
    const path = token ? ({ via: 'api' } as const) : await choosePath(config, github.host);
    if (path.via === null) throw new AppError('unavailable', `cannot open a pull request: ${path.problem}`);
    await pushBranch(input.repoPath, input.remote, input.branch, secrets);
    const opened = path.via === 'api' ? await viaApi(config, token as string, github, input) : await viaGh(config, github, input);
    return { ...opened, via: path.via };
  } catch (error) {
    // The last line of defence: whatever went wrong, the token does not leave in its message.
    if (error instanceof AppError) throw new AppError(error.code, scrub(error.message, secrets));
    throw new AppError('internal', scrub(error instanceof Error ? error.message : String(error), secrets));
  }
}

function viaApi(config: PublishConfig, token: string, github: GithubRepo, input: OpenPullRequestInput) {
  return createPullRequest({
    baseUrl: config.githubApiUrl ?? apiUrlFor(github.host),
    token,
    owner: github.owner,
    repo: github.repo,
    head: input.branch,
    base: input.base,
    title: input.title,
    body: input.body,
    draft: input.draft,
  });
}

function viaGh(config: PublishConfig, github: GithubRepo, input: OpenPullRequestInput) {
  return ghCreatePullRequest({
    repoPath: input.repoPath,
    github,
    head: input.branch,
    base: input.base,
    title: input.title,
    body: input.body,
    draft: input.draft,
    env: config.env,
  });
}

/** github.com's API, or a GitHub Enterprise server's (`https://HOST/api/v3`). */
function apiUrlFor(host: string): string {
  return host === 'github.com' ? GITHUB_API_URL : `https://${host}/api/v3`;
}
