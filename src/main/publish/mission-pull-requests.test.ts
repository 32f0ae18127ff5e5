import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MissionDetail, MissionState } from '../../shared/mission.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { makeRepo } from '../engine/testing/harness.js';
import { MissionPullRequests, type PullRequestEngine } from './mission-pull-requests.js';
import { startFakeGithubApi, type FakeGithubApi } from './testing/fake-github-api.js';

const TOKEN = 'ghp_' + 'U1v2W3x4Y5z6A7b8C9d0E1f2G3h4I5j6K7l8';

let dir: string;
let ledger: Ledger;
let api: FakeGithubApi;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cr-mission-prs-'));
  ledger = openLedger(join(dir, 'ledger.db'));
  api = await startFakeGithubApi({ token: TOKEN, repos: ['acme/widgets'] });
});

afterEach(async () => {
  ledger.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The engine as the service sees it: one mission in `state`, recording what it was asked to settle. */
function engine(state: MissionState, extra: { finalCommit?: string | null; missionBranch?: string | null } = {}) {
  const settled: string[] = [];
  const repo = makeRepo(dir);
  const detail = {
    mission: { id: 'm1', name: 'Demo', goal: 'A demo', state, repoPath: repo, baseBranch: 'main', missionBranch: 'cr/demo/@mission', finalCommit: null, spentNanoUsd: 0, ...extra },
    teams: [],
    agents: [],
    tasks: [],
    escalations: [],
  } as unknown as MissionDetail;
  const port: PullRequestEngine = {
    get: () => detail,
    settleFinalMergeWithPullRequest: async (id) => void settled.push(id),
    recordPullRequest: (id) => void settled.push(id),
  };
  return { port, settled };
}

function service(port: PullRequestEngine) {
  return new MissionPullRequests({ db: ledger.db, engine: port, token: () => TOKEN, env: { PATH: join(dir, 'no-gh') }, githubApiUrl: api.url });
}

describe('when a mission may open a pull request', () => {
  it('refuses while the mission works, saying when it may, before any push or request', async () => {
    const { port, settled } = engine('running');
    const prs = service(port);
    await expect(prs.open({ missionId: 'm1', draft: false })).rejects.toThrow(
      'a pull request can be opened once the final merge is asked for, or after it was declined; the mission is running',
    );
    expect(await prs.options('m1')).toMatchObject({ allowed: false, reason: expect.stringContaining('the mission is running') as string, via: 'api' });
    expect(api.requests).toEqual([]);
    expect(settled).toEqual([]);
  });

  it('refuses a mission already merged into its base', async () => {
    const { port } = engine('done', { finalCommit: 'abc123' });
    await expect(service(port).open({ missionId: 'm1', draft: false })).rejects.toThrow('the mission is already merged into main');
  });

  it('opens one pull request at a time per mission, and says so', async () => {
    const { port } = engine('done');
    const prs = service(port);
    const first = prs.open({ missionId: 'm1', remote: 'origin', draft: false });
    await expect(prs.open({ missionId: 'm1', draft: false })).rejects.toThrow('a pull request is being opened for this mission already');
    // The first goes on (and fails here: the repository has no mission branch), nothing stored.
    await expect(first).rejects.toThrow('the mission branch "cr/demo/@mission" is no longer in');
    expect(prs.list('m1')).toEqual([]);
  });
});
