import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/result.js';
import { parseGithubRemote, pushRejection, withoutCredentials } from './git-push.js';
import { openPullRequest, type OpenPullRequestInput, type PublishConfig } from './pull-request.js';
import { startFakeGithubApi, type FakeGithubApi } from './testing/fake-github-api.js';
import { addBareRemote, fakeGh, git, refusePushes } from './testing/publish-fixtures.js';

const TOKEN = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const BRANCH = 'cr/m1/@mission';

let dir: string;
let repo: string;
let api: FakeGithubApi;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cr-publish-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Test Person');
  git(repo, 'config', 'user.email', 'person@example.com');
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial');
  git(repo, 'branch', BRANCH);
  git(repo, 'worktree', 'add', '-q', join(dir, 'wt'), BRANCH);
  writeFileSync(join(dir, 'wt', 'feature.txt'), 'the work\n');
  git(join(dir, 'wt'), 'add', '.');
  git(join(dir, 'wt'), 'commit', '-q', '-m', 'the work');
  api = await startFakeGithubApi({ token: TOKEN, repos: ['acme/widgets'] });
});

afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const input = (extra: Partial<OpenPullRequestInput> = {}): OpenPullRequestInput => ({
  repoPath: repo,
  remote: 'origin',
  branch: BRANCH,
  base: 'main',
  title: 'Add the feature',
  body: '## What was delivered\n\nfeature.txt',
  draft: false,
  ...extra,
});

/** No gh anywhere: PATH is an empty folder, so only the token can open a pull request. */
const withToken = (token: string | null = TOKEN): PublishConfig => ({ token: () => token, env: { PATH: join(dir, 'empty-bin') }, githubApiUrl: api.url });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a failure');
}

describe('remote URLs', () => {
  it('reads GitHub owner/repo from https, ssh and scp-like URLs, and nothing from others', () => {
    const expected = { host: 'github.com', owner: 'acme', repo: 'widgets' };
    expect(parseGithubRemote('https://github.com/acme/widgets.git')).toEqual(expected);
    expect(parseGithubRemote('https://github.com/acme/widgets')).toEqual(expected);
    expect(parseGithubRemote('https://x-access-token:secret@github.com/acme/widgets.git')).toEqual(expected);
    expect(parseGithubRemote('git@github.com:acme/widgets.git')).toEqual(expected);
    expect(parseGithubRemote('ssh://git@github.com/acme/widgets.git')).toEqual(expected);
    expect(parseGithubRemote('ssh://git@github.com:22/acme/widgets')).toEqual(expected);
    expect(parseGithubRemote('git@github.example.com:team/app.git')).toEqual({ host: 'github.example.com', owner: 'team', repo: 'app' });
    expect(parseGithubRemote('https://gitlab.com/acme/widgets.git')).toBeNull();
    expect(parseGithubRemote('/srv/git/widgets.git')).toBeNull();
  });

  it('shows URLs without their credentials', () => {
    expect(withoutCredentials('https://user:ghp_secret@github.com/acme/widgets.git')).toBe('https://github.com/acme/widgets.git');
    expect(withoutCredentials('git@github.com:acme/widgets.git')).toBe('git@github.com:acme/widgets.git');
  });

  it("cuts a rejected push's output to git's reason", () => {
    const out = 'To /tmp/x.git\n!\trefs/heads/a:refs/heads/a\t[remote rejected] (pre-receive hook declined)\nDone\nremote: protected branch\nerror: failed to push some refs to \'https://u:p@github.com/a/b\'';
    expect(pushRejection(out)).toBe('pre-receive hook declined; remote said: protected branch');
  });
});

describe('opening a pull request through the REST API', () => {
  it('pushes the mission branch to the remote and opens the pull request with the token', async () => {
    const bare = addBareRemote(repo, dir);
    const opened = await openPullRequest(withToken(), input({ draft: true }));
    expect(opened).toEqual({ url: 'https://github.com/acme/widgets/pull/1', number: 1, via: 'api', existing: false });
    // The branch landed in the remote with the work on it.
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(git(repo, 'rev-parse', BRANCH));
    const [post] = api.requests;
    expect(post).toMatchObject({ method: 'POST', path: '/repos/acme/widgets/pulls', authorization: `Bearer ${TOKEN}`, apiVersion: '2022-11-28' });
    expect(post!.body).toEqual({ title: 'Add the feature', head: BRANCH, base: 'main', body: input().body, draft: true });
  });

  it('answers the pull request already open for the branch', async () => {
    addBareRemote(repo, dir);
    const first = await openPullRequest(withToken(), input());
    const again = await openPullRequest(withToken(), input({ title: 'Another title' }));
    expect(again).toEqual({ ...first, existing: true });
    expect(api.pulls.get('acme/widgets')).toHaveLength(1);
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
    expect(api.requests[2]!.path).toBe(`/repos/acme/widgets/pulls?state=open&head=${encodeURIComponent(`acme:${BRANCH}`)}&base=main`);
  });

  it('refuses a bad token with a clear error that does not repeat it', async () => {
    addBareRemote(repo, dir);
    const wrong = 'ghp_' + 'Z'.repeat(36);
    const error = await failure(openPullRequest(withToken(wrong), input()));
    expect(error.code).toBe('forbidden');
    expect(error.message).toBe('GitHub refused the token (401: Bad credentials): set a valid one under Settings > GitHub');
    expect(error.message).not.toContain(wrong);
    expect(api.pulls.get('acme/widgets')).toEqual([]);
  });

  it.each([
    [403, { message: 'Resource not accessible by personal access token' }, 'forbidden', /403: Resource not accessible by personal access token\): the token needs "Pull requests: write"/],
    [404, { message: 'Not Found' }, 'not_found', /no repository acme\/widgets that the token can see \(404\)/],
    [422, { message: 'Validation Failed', errors: [{ message: 'base: invalid' }] }, 'invalid_request', /^GitHub refused the pull request \(422: Validation Failed; base: invalid\)$/],
  ])('maps GitHub %s to a one-line error', async (status, body, code, message) => {
    addBareRemote(repo, dir);
    api.failWith(status, body);
    const error = await failure(openPullRequest(withToken(), input()));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a repository without the remote before any network call', async () => {
    const error = await failure(openPullRequest(withToken(), input()));
    expect(error.message).toBe('remote: the repository has no git remote "origin" (it has none); add one with "git remote add origin URL"');
    addBareRemote(repo, dir, { name: 'upstream' });
    const named = await failure(openPullRequest(withToken(), input()));
    expect(named.message).toContain('it has "upstream"');
    expect(api.requests).toEqual([]);
  });

  it('refuses a remote that is not on GitHub before pushing', async () => {
    const bare = join(dir, 'plain.git');
    git(dir, 'init', '-q', '--bare', bare);
    git(repo, 'remote', 'add', 'origin', bare);
    const error = await failure(openPullRequest(withToken(), input()));
    expect(error.message).toMatch(/^remote: "origin" \(".*plain\.git"\) is not a GitHub repository/);
    expect(() => git(bare, 'rev-parse', '--verify', `refs/heads/${BRANCH}`)).toThrow();
    expect(api.requests).toEqual([]);
  });

  it("reports a push the remote's hook rejects with git's reason, and opens nothing", async () => {
    const bare = addBareRemote(repo, dir);
    refusePushes(bare, 'pushes to cr/* are not allowed here');
    const error = await failure(openPullRequest(withToken(), input()));
    expect(error.code).toBe('conflict');
    expect(error.message).toBe(`the push of ${BRANCH} to "origin" was rejected: pre-receive hook declined; remote said: pushes to cr/* are not allowed here`);
    expect(api.requests).toEqual([]);
  });

  it('reports a non-fast-forward push and never forces it', async () => {
    const bare = addBareRemote(repo, dir);
    // Someone else pushed another history to the branch.
    const other = join(dir, 'other');
    git(dir, 'clone', '-q', bare, other);
    git(other, 'checkout', '-q', '-b', BRANCH);
    git(other, '-c', 'user.name=O', '-c', 'user.email=o@example.com', 'commit', '-q', '--allow-empty', '-m', 'theirs');
    git(other, 'push', '-q', 'origin', BRANCH);
    const theirs = git(bare, 'rev-parse', `refs/heads/${BRANCH}`);
    const error = await failure(openPullRequest(withToken(), input()));
    expect(error.message).toMatch(/^the push of cr\/m1\/@mission to "origin" was rejected: (non-fast-forward|fetch first)/);
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(theirs);
    expect(api.requests).toEqual([]);
  });

  it('says the push failed, and why, when git cannot reach the remote or has no credentials for it', async () => {
    git(repo, 'remote', 'add', 'origin', 'https://github.com/acme/widgets.git');
    git(repo, 'config', 'remote.origin.pushurl', join(dir, 'missing.git'));
    const missing = await failure(openPullRequest(withToken(), input()));
    expect(missing.message).toMatch(/^the push of cr\/m1\/@mission to "origin" failed: .*missing\.git/);
    expect(missing.message).not.toContain('\n');
    expect(pushRejection("fatal: could not read Username for 'https://github.com': terminal prompts disabled")).toBe(
      "could not read Username for 'https://github.com': terminal prompts disabled",
    );
    expect(api.requests).toEqual([]);
  });

  it('says what to set when there is neither a token nor gh', async () => {
    addBareRemote(repo, dir);
    const error = await failure(openPullRequest(withToken(null), input()));
    expect(error.message).toBe('cannot open a pull request: set a GitHub token under Settings > GitHub, or log in with gh (the gh command is not installed (https://cli.github.com))');
  });
});

describe('opening a pull request through gh', () => {
  it('uses a logged-in gh when no token is saved: --repo, --head, --base, --title, --body-file', async () => {
    const bare = addBareRemote(repo, dir);
    const bin = join(dir, 'bin');
    const { argsLog, bodyCopy } = fakeGh(bin);
    const opened = await openPullRequest({ token: () => null, env: { PATH: `${bin}:/usr/bin:/bin` }, githubApiUrl: api.url }, input({ draft: true }));
    expect(opened).toEqual({ url: 'https://github.com/acme/widgets/pull/7', number: 7, via: 'gh', existing: false });
    expect(git(bare, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(git(repo, 'rev-parse', BRANCH));
    const args = readFileSync(argsLog, 'utf8').trim().split('\n');
    const bodyFile = args[args.indexOf('--body-file') + 1];
    expect(args).toEqual(['pr', 'create', '--repo', 'github.com/acme/widgets', '--head', BRANCH, '--base', 'main', '--title', 'Add the feature', '--body-file', bodyFile, '--draft']);
    expect(readFileSync(bodyCopy, 'utf8')).toBe(input().body);
    expect(api.requests).toEqual([]);
  });

  it('answers the pull request gh says already exists', async () => {
    addBareRemote(repo, dir);
    const bin = join(dir, 'bin');
    fakeGh(bin);
    const opened = await openPullRequest({ token: () => null, env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_GH_EXISTS: '1' } }, input());
    expect(opened).toEqual({ url: 'https://github.com/acme/widgets/pull/3', number: 3, via: 'gh', existing: true });
  });

  it('says to log in when gh is installed but logged out, before pushing', async () => {
    const bare = addBareRemote(repo, dir);
    const bin = join(dir, 'bin');
    const { argsLog } = fakeGh(bin);
    const error = await failure(openPullRequest({ token: () => null, env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_GH_LOGGED_OUT: '1' } }, input()));
    expect(error.message).toBe('cannot open a pull request: set a GitHub token under Settings > GitHub, or log in with gh (gh is not logged in to github.com (run "gh auth login"))');
    expect(() => git(bare, 'rev-parse', '--verify', `refs/heads/${BRANCH}`)).toThrow();
    expect(() => readFileSync(argsLog)).toThrow();
  });

  it('prefers the token over gh', async () => {
    addBareRemote(repo, dir);
    const bin = join(dir, 'bin');
    const { argsLog } = fakeGh(bin);
    const opened = await openPullRequest({ token: () => TOKEN, env: { PATH: `${bin}:/usr/bin:/bin` }, githubApiUrl: api.url }, input());
    expect(opened.via).toBe('api');
    expect(() => readFileSync(argsLog)).toThrow();
  });
});
