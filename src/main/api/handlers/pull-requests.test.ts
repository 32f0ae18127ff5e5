import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../shared/contract.js';
import type { SettingsView } from '../../../shared/contract/settings.js';
import type { EscalationView, MissionDetail } from '../../../shared/mission.js';
import type { PullRequestOptionsView, PullRequestView } from '../../../shared/pull-request.js';
import type { Result } from '../../../shared/result.js';
import { openBackend, type Backend } from '../../app/backend.js';
import { makeRepo, saveDesign } from '../../engine/testing/harness.js';
import { startFakeGithubApi, type FakeGithubApi } from '../../publish/testing/fake-github-api.js';
import { addBareRemote, git, refusePushes } from '../../publish/testing/publish-fixtures.js';

// Shaped like a classic personal access token; never a real one.
const TOKEN = 'ghp_' + 'Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8';

let root: string;
let repo: string;
let api: FakeGithubApi;
let backend: Backend;
let events: EventEnvelope[];
let logged: string[];

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'cr-pull-requests-'));
  repo = makeRepo(root);
  api = await startFakeGithubApi({ token: TOKEN, repos: ['acme/widgets'] });
  events = [];
  logged = [];
  mkdirSync(join(root, 'no-gh'));
  backend = openBackend({
    dataDir: join(root, 'data'),
    runtime: 'browser',
    flushIntervalMs: 5,
    // No gh on this PATH: only the token can open a pull request.
    env: { CONTROL_ROOM_SIM_LATENCY: '0', CONTROL_ROOM_GITHUB_API_URL: api.url, PATH: join(root, 'no-gh') },
    logError: (what, error) => logged.push(`${what}: ${error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)}`),
  });
  backend.events.subscribe((batch) => events.push(...batch));
});

afterEach(async () => {
  backend.close();
  await api.close();
  rmSync(root, { recursive: true, force: true });
});

async function call<T>(channel: string, request: unknown = {}): Promise<Result<T>> {
  return (await backend.invoke(channel, request)) as Result<T>;
}

async function data<T>(channel: string, request: unknown = {}): Promise<T> {
  const result = await call<T>(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.data;
}

async function failure(channel: string, request: unknown): Promise<{ code: string; message: string }> {
  const result = await call(channel, request);
  if (result.ok) throw new Error(`${channel} succeeded`);
  return result.error;
}

/** A one-team mission run until its final merge is asked for (every other escalation approved or answered). */
async function missionAwaitingFinalMerge(goal: string): Promise<{ id: string; finalMerge: EscalationView }> {
  const design = saveDesign(backend.ledger, [{ id: 'core', coders: 1 }]);
  const created = await data<{ id: string }>('missions:create', { designId: design.id, goal, repoPath: repo, skipPlanApproval: true });
  await data('missions:start', { id: created.id });
  const start = Date.now();
  for (;;) {
    const detail = await data<MissionDetail>('missions:get', { id: created.id });
    const open = detail.escalations.filter((e) => e.state === 'open' && e.level === 'human');
    const finalMerge = open.find((e) => e.type === 'final_merge');
    if (finalMerge) return { id: created.id, finalMerge };
    if (['done', 'failed', 'cancelled'].includes(detail.mission.state)) throw new Error(`mission ended ${detail.mission.state}: ${detail.mission.outcome}`);
    for (const e of open) {
      await data('escalations:decide', { id: e.id, decision: e.type === 'question' ? 'reply' : 'approve', comment: e.type === 'question' ? 'Use your judgement.' : '' });
    }
    if (Date.now() - start > 30_000) throw new Error(`no final merge after 30 s: ${detail.mission.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every byte the ledger holds on disk (the database and its WAL). */
function ledgerBytes(): string {
  const dir = join(root, 'data');
  return ['control-room.db', 'control-room.db-wal', 'ledger.db', 'ledger.db-wal']
    .map((f) => join(dir, f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
}

describe('pull requests through the API', () => {
  it('keeps the token in main: refused when misshapen, masked in the view, never echoed', async () => {
    const bad = await failure('settings:set-github-token', { token: 'not-a-token-at-all-1234567890' });
    expect(bad.code).toBe('invalid_request');
    expect(bad.message).not.toContain('not-a-token');
    const view = await data<SettingsView>('settings:set-github-token', { token: TOKEN });
    expect(view.github).toEqual({ set: true, masked: `ghp_…${TOKEN.slice(-4)}`, volatile: true });
    expect(JSON.stringify(await data('settings:get'))).not.toContain(TOKEN);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    const cleared = await data<SettingsView>('settings:set-github-token', { token: null });
    expect(cleared.github).toEqual({ set: false, masked: null, volatile: false });
  });

  it('answers an awaited final merge with a pull request, after refusing a bad token, a missing remote and a rejected push', async () => {
    const { id, finalMerge } = await missionAwaitingFinalMerge('Add a greeting module');
    const before = await data<MissionDetail>('missions:get', { id });
    const branch = before.mission.missionBranch!;
    const mainBefore = git(repo, 'rev-parse', 'main');

    // No token and no gh: what to set, before any network or push.
    const notSet = await data<PullRequestOptionsView>('missions:pull-request-options', { missionId: id });
    expect(notSet).toMatchObject({ allowed: true, reason: null, via: null, remotes: [], pullRequests: [] });
    expect(notSet.viaProblem).toMatch(/^set a GitHub token under Settings > GitHub, or log in with gh/);

    // No remote: a clear error before any request.
    await data('settings:set-github-token', { token: TOKEN });
    const noRemote = await failure('missions:open-pull-request', { missionId: id });
    expect(noRemote).toEqual({ code: 'invalid_request', message: 'remote: the repository has no git remote "origin" (it has none); add one with "git remote add origin URL"' });
    expect(api.requests).toEqual([]);

    // A remote whose hook refuses the push: git's reason, and no pull request.
    const bare = addBareRemote(repo, root);
    refusePushes(bare, 'no pushes today');
    const rejected = await failure('missions:open-pull-request', { missionId: id });
    expect(rejected.code).toBe('conflict');
    expect(rejected.message).toBe(`the push of ${branch} to "origin" was rejected: pre-receive hook declined; remote said: no pushes today`);
    expect(api.requests).toEqual([]);
    rmSync(join(bare, 'hooks', 'pre-receive'));

    // A token GitHub refuses: a clear error, nothing stored, the final merge still awaited.
    const wrong = 'ghp_' + 'W'.repeat(36);
    await data('settings:set-github-token', { token: wrong });
    const refused = await failure('missions:open-pull-request', { missionId: id });
    expect(refused).toEqual({ code: 'forbidden', message: 'GitHub refused the token (401: Bad credentials): set a valid one under Settings > GitHub' });
    const still = await data<MissionDetail>('missions:get', { id });
    expect(still.escalations.find((e) => e.id === finalMerge.id)?.state).toBe('open');
    expect(still.mission.state).toBe('integrating');
    expect(await data<PullRequestOptionsView>('missions:pull-request-options', { missionId: id })).toMatchObject({ pullRequests: [] });

    // The right token: pushed, opened with the result as its description, recorded, and the final merge answered.
    await data('settings:set-github-token', { token: TOKEN });
    const options = await data<PullRequestOptionsView>('missions:pull-request-options', { missionId: id });
    expect(options).toMatchObject({ allowed: true, via: 'api', viaProblem: null, remotes: [{ name: 'origin', url: 'https://github.com/acme/widgets.git', github: 'acme/widgets' }] });
    const pr = await data<PullRequestView>('missions:open-pull-request', { missionId: id, title: 'Greeting module', draft: true });
    expect(pr).toMatchObject({ missionId: id, remote: 'origin', branch, base: 'main', url: 'https://github.com/acme/widgets/pull/1', number: 1, via: 'api', draft: true });
    expect(git(bare, 'rev-parse', `refs/heads/${branch}`)).toBe(git(repo, 'rev-parse', branch));
    const opened = api.pulls.get('acme/widgets')![0]!;
    expect(opened).toMatchObject({ title: 'Greeting module', head: branch, base: 'main', draft: true });
    expect(opened.body).toContain('> Add a greeting module');
    expect(opened.body).toContain('### core');
    // The description is the mission's result: each team's figures and the cost.
    expect(opened.body).toMatch(/\d+ of \d+ tasks merged/);
    expect(opened.body).toContain('## Cost');

    const after = await data<MissionDetail>('missions:get', { id });
    expect(after.mission).toMatchObject({ state: 'done', resultKind: 'pull_request', finalCommit: null });
    expect(after.mission.outcome).toBe(`pull request opened: ${pr.url} (the work is on ${branch})`);
    expect(after.escalations.find((e) => e.id === finalMerge.id)).toMatchObject({ state: 'resolved', decidedBy: 'human', comment: `Opened a pull request: ${pr.url}` });
    // The base branch is untouched: the work reaches it through the pull request.
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);
    expect((await data<PullRequestOptionsView>('missions:pull-request-options', { missionId: id })).pullRequests).toEqual([pr]);

    // Opening again (the mission is done with its branch unmerged) answers the same pull request, stored once.
    const again = await data<PullRequestView>('missions:open-pull-request', { missionId: id });
    expect(again.url).toBe(pr.url);
    expect((await data<PullRequestOptionsView>('missions:pull-request-options', { missionId: id })).pullRequests).toHaveLength(1);

    // The token went to GitHub's Authorization header and nowhere else.
    expect(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}` || r.authorization === `Bearer ${wrong}`)).toBe(true);
    // The scan reads what the ledger wrote: the pull request's row is there.
    expect(ledgerBytes()).toContain(pr.url);
    for (const secret of [TOKEN, wrong]) {
      expect(ledgerBytes()).not.toContain(secret);
      expect(logged.join('\n')).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(git(repo, 'config', '--list')).not.toContain(secret);
      for (const message of [noRemote.message, rejected.message, refused.message]) expect(message).not.toContain(secret);
    }
  }, 60_000);

  it('opens one after a declined final merge, and refuses one while the mission works or for a bad remote name', async () => {
    await data('settings:set-github-token', { token: TOKEN });
    const bare = addBareRemote(repo, root, { name: 'fork', github: 'acme/widgets' });
    const badName = await failure('missions:open-pull-request', { missionId: 'm-x', remote: '--upload-pack=evil' });
    expect(badName.code).toBe('invalid_request');
    expect(badName.message).toMatch(/^missions:open-pull-request: request.remote: must be the name of a git remote/);

    const design = saveDesign(backend.ledger, [{ id: 'solo', coders: 1 }]);
    const draft = await data<{ id: string }>('missions:create', { designId: design.id, goal: 'Nothing yet', repoPath: repo, skipPlanApproval: true });
    const early = await failure('missions:open-pull-request', { missionId: draft.id, remote: 'fork' });
    expect(early).toEqual({ code: 'conflict', message: 'the mission has no branch yet' });

    const { id, finalMerge } = await missionAwaitingFinalMerge('Add a farewell module');
    await data('escalations:decide', { id: finalMerge.id, decision: 'deny', comment: '' });
    expect((await data<MissionDetail>('missions:get', { id })).mission).toMatchObject({ state: 'done', resultKind: 'declined' });
    const pr = await data<PullRequestView>('missions:open-pull-request', { missionId: id, remote: 'fork' });
    expect(pr).toMatchObject({ remote: 'fork', via: 'api', number: 1 });
    // The mission reads as a pull request now, no longer as declined.
    expect((await data<MissionDetail>('missions:get', { id })).mission).toMatchObject({ state: 'done', resultKind: 'pull_request', outcome: expect.stringContaining(pr.url) as string });
    // Its result links the pull request too (the final-merge item was declined, so only the ledger's row knows it).
    expect(await data<{ pullRequestUrl: string | null }>('missions:get-result', { id })).toMatchObject({ pullRequestUrl: pr.url });
    const branch = (await data<MissionDetail>('missions:get', { id })).mission.missionBranch!;
    expect(git(bare, 'rev-parse', `refs/heads/${branch}`)).toBe(git(repo, 'rev-parse', branch));
    await data('missions:cancel', { id: draft.id });
  }, 60_000);
});
