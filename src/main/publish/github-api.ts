import { quote, safeMessage } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { scrub } from './git-push.js';

/** GitHub's REST API; tests point `baseUrl` at a loopback fake instead. */
export const GITHUB_API_URL = 'https://api.github.com';

const TIMEOUT_MS = 30_000;

export interface CreatePullRequestInput {
  /** The API's base URL, default {@link GITHUB_API_URL}. */
  baseUrl?: string;
  token: string;
  owner: string;
  repo: string;
  /** The branch with the work (pushed already) and the one to merge into. */
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  /** The fetch to call; the global one by default. */
  fetch?: typeof fetch;
}

/** A pull request as GitHub answers it; `existing` when one was already open for the branch. */
export interface CreatedPullRequest {
  url: string;
  number: number;
  existing: boolean;
}

interface GithubErrorBody {
  message?: string;
  errors?: { message?: string; code?: string; field?: string }[];
}

/**
 * Opens a pull request with `POST /repos/{owner}/{repo}/pulls` and the token as a Bearer
 * token. A pull request already open for the branch (GitHub's 422 "A pull request already
 * exists") is looked up and answered. Every failure is a one-line error saying what to
 * do: 401 (the token), 403 (its permissions, or a rate limit), 404 (the repository, as the
 * token sees it), 422 (what GitHub found wrong, e.g. a base branch it does not have). The
 * token never appears in a message.
 */
export async function createPullRequest(input: CreatePullRequestInput): Promise<CreatedPullRequest> {
  const base = (input.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  const repoPath = `/repos/${encodeURIComponent(input.owner)}/${encodeURIComponent(input.repo)}`;
  const send = input.fetch ?? fetch;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    let response: Response;
    try {
      response = await send(`${base}${path}`, {
        method,
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${input.token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'control-room',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new AppError('unavailable', scrub(safeMessage(`could not reach GitHub at ${base}: ${cause}`), [input.token]));
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: response.status, json };
  };

  const created = await call('POST', `${repoPath}/pulls`, {
    title: input.title,
    head: input.head,
    base: input.base,
    body: input.body,
    draft: input.draft,
  });
  if (created.status === 201) return { ...pullOf(created.json), existing: false };
  const error = (created.json ?? {}) as GithubErrorBody;
  const what = `${input.owner}/${input.repo}`;
  if (created.status === 422 && alreadyExists(error)) {
    // The branch's open pull request: `head` is "owner:branch" for a branch of this repository.
    const found = await call('GET', `${repoPath}/pulls?state=open&head=${encodeURIComponent(`${input.owner}:${input.head}`)}&base=${encodeURIComponent(input.base)}`);
    if (found.status === 200 && Array.isArray(found.json) && found.json.length > 0) {
      return { ...pullOf(found.json[0]), existing: true };
    }
    throw fail('conflict', `GitHub says a pull request for ${input.head} already exists in ${what}, but did not list it (${found.status})`, input.token);
  }
  const said = githubMessage(error);
  switch (created.status) {
    case 401:
      throw fail('forbidden', `GitHub refused the token (401${said ? `: ${said}` : ''}): set a valid one under Settings > GitHub`, input.token);
    case 403:
      throw fail(
        'forbidden',
        `GitHub refused to open a pull request in ${what} (403${said ? `: ${said}` : ''}): the token needs "Pull requests: write" on the repository, or the API's rate limit was reached`,
        input.token,
      );
    case 404:
      throw fail(
        'not_found',
        `GitHub has no repository ${what} that the token can see (404): check the remote's URL and the token's repository access`,
        input.token,
      );
    case 422:
      throw fail('invalid_request', `GitHub refused the pull request (422${said ? `: ${said}` : ''})`, input.token);
    default:
      throw fail('unavailable', `GitHub answered ${created.status} to opening a pull request in ${what}${said ? `: ${said}` : ''}`, input.token);
  }
}

function alreadyExists(error: GithubErrorBody): boolean {
  return (error.errors ?? []).some((e) => /already exists/i.test(e.message ?? '')) || /already exists/i.test(error.message ?? '');
}

/** GitHub's own words: its message and each listed error's, in one line. */
function githubMessage(error: GithubErrorBody): string {
  const parts = [error.message, ...(error.errors ?? []).map((e) => e.message ?? (e.field && e.code ? `${e.field} ${e.code}` : undefined))];
  return parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').join('; ');
}

function pullOf(json: unknown): { url: string; number: number } {
  const pull = json as { html_url?: unknown; number?: unknown } | null;
  if (typeof pull?.html_url !== 'string' || typeof pull.number !== 'number' || !/^https?:\/\//.test(pull.html_url)) {
    throw new AppError('internal', `GitHub's answer named no pull request (html_url, number): ${quote(JSON.stringify(json ?? null), 120)}`);
  }
  return { url: pull.html_url, number: pull.number };
}

function fail(code: AppError['code'], message: string, token: string): AppError {
  return new AppError(code, scrub(safeMessage(message), [token]));
}
