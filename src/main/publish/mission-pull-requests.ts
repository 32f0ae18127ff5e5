import type Database from 'better-sqlite3';
import type { OpenPullRequestRequest } from '../../shared/contract/pull-requests.js';
import type { EscalationView, MissionDetail } from '../../shared/mission.js';
import type { MissionResult } from '../../shared/mission-result.js';
import type { PullRequestOptionsView, PullRequestView } from '../../shared/pull-request.js';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { PullRequestRepository } from '../ledger/pull-request-repository.js';
import { branchExists, listRemotes } from './git-push.js';
import { pullRequestBody } from './pr-body.js';
import { choosePath, openPullRequest, type PublishConfig } from './pull-request.js';

/** What the service asks of the engine (`MissionEngine` has these). */
export interface PullRequestEngine {
  get(id: string): MissionDetail;
  /** Resolves the awaited final merge as "opened a pull request"; the mission ends done. */
  settleFinalMergeWithPullRequest(escalationId: string, url: string): Promise<unknown>;
  /** A mission whose final merge was declined now ends as a pull request. */
  recordPullRequest(missionId: string, url: string): unknown;
}

export interface MissionPullRequestsOptions extends PublishConfig {
  db: Database.Database;
  engine: PullRequestEngine;
  /** The mission's result (`missions:get-result`) for the description; its detail is used without it. */
  result?: (missionId: string) => Promise<MissionResult | null> | MissionResult | null;
  clock?: () => Date;
}

const DEFAULT_REMOTE = 'origin';

/**
 * A mission's pull requests (`missions:open-pull-request`, `missions:pull-request-options`):
 * when one may be opened, how, and opening it. A pull request may be opened while the
 * final merge is awaited (which it then answers: the mission ends done, its result a pull
 * request) or once the mission is done with its branch unmerged (a declined final merge).
 * Each one opened is a row of `mission_pull_requests`; the token is never stored or shown.
 */
export class MissionPullRequests {
  private readonly repo: PullRequestRepository;
  private readonly clock: () => Date;
  private readonly opening = new Set<string>();

  constructor(private readonly config: MissionPullRequestsOptions) {
    this.repo = new PullRequestRepository(config.db);
    this.clock = config.clock ?? (() => new Date());
  }

  /** The remotes, how a pull request would be opened, whether it may be now, and the ones opened. */
  async options(missionId: string): Promise<PullRequestOptionsView> {
    const detail = this.config.engine.get(missionId);
    const why = whyNot(detail);
    const remotes = await listRemotes(detail.mission.repoPath).catch(() => []);
    const path = await choosePath(this.config);
    return {
      allowed: why === null,
      reason: why,
      remotes,
      via: path.via,
      viaProblem: path.via === null ? path.problem : null,
      pullRequests: this.repo.list(missionId),
    };
  }

  /** A mission's pull requests, newest first. */
  list(missionId: string): PullRequestView[] {
    return this.repo.list(missionId);
  }

  /**
   * Pushes the mission branch and opens its pull request (see {@link openPullRequest}),
   * records it, and answers an awaited final merge with it. Nothing is recorded or
   * decided when any step fails.
   */
  async open(request: OpenPullRequestRequest): Promise<PullRequestView> {
    const { missionId } = request;
    if (this.opening.has(missionId)) throw new AppError('conflict', 'a pull request is being opened for this mission already');
    this.opening.add(missionId);
    try {
      const detail = this.config.engine.get(missionId);
      const why = whyNot(detail);
      if (why) throw new AppError('conflict', why);
      const m = detail.mission;
      const branch = m.missionBranch as string;
      if (!(await branchExists(m.repoPath, branch))) {
        throw new AppError('conflict', `the mission branch ${quote(branch)} is no longer in ${quote(m.repoPath, 120)}`);
      }
      const result = (await this.config.result?.(missionId)) ?? null;
      const remote = request.remote ?? DEFAULT_REMOTE;
      const opened = await openPullRequest(this.config, {
        repoPath: m.repoPath,
        remote,
        branch,
        base: m.baseBranch,
        title: request.title ?? m.name,
        body: pullRequestBody(detail, result),
        draft: request.draft,
      });
      const row = this.repo.add({
        missionId,
        remote,
        branch,
        base: m.baseBranch,
        url: opened.url,
        number: opened.number,
        via: opened.via,
        draft: request.draft,
        createdAt: this.clock().toISOString(),
      });
      const awaiting = finalMergeAwaited(detail);
      if (awaiting) await this.config.engine.settleFinalMergeWithPullRequest(awaiting.id, row.url);
      else this.config.engine.recordPullRequest(missionId, row.url);
      return row;
    } finally {
      this.opening.delete(missionId);
    }
  }
}

/** The open final-merge escalation, if the mission waits for one. */
function finalMergeAwaited(detail: MissionDetail): EscalationView | undefined {
  return detail.escalations.find((e) => e.type === 'final_merge' && e.state === 'open');
}

/** Why a pull request cannot be opened for the mission now, or null when it can. */
function whyNot(detail: MissionDetail): string | null {
  const m = detail.mission;
  if (!m.missionBranch) return 'the mission has no branch yet';
  if (finalMergeAwaited(detail)) return null;
  if (m.state === 'done' && m.finalCommit === null) return null;
  if (m.state === 'done') return `the mission is already merged into ${m.baseBranch}`;
  return `a pull request can be opened once the final merge is asked for, or after it was declined; the mission is ${m.state.replace(/_/g, ' ')}`;
}
