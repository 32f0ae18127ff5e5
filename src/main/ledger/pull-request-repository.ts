import type Database from 'better-sqlite3';
import type { PullRequestVia, PullRequestView } from '../../shared/pull-request.js';
import { bool, defineTable, int, text } from './columns.js';

/** `mission_pull_requests` (migration 0014): one row per pull request opened for a mission. */
export const PULL_REQUESTS = defineTable<PullRequestView & { id: number }>('mission_pull_requests', {
  id: int('id'),
  missionId: text('mission_id'),
  remote: text('remote'),
  branch: text('branch'),
  base: text('base'),
  url: text('url'),
  number: int('number'),
  via: text<PullRequestVia>('via'),
  draft: bool('draft'),
  createdAt: text('created_at'),
});

const VIEW = PULL_REQUESTS.omit('id');

/** The pull requests opened for missions; prepared statements, one per connection. */
export class PullRequestRepository {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      // The same pull request answered again (it was already open) keeps its first row.
      insert: db.prepare(`${VIEW.insertSql()} ON CONFLICT (mission_id, url) DO NOTHING`),
      byMission: VIEW.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY id DESC'),
      byUrl: VIEW.select<[missionId: string, url: string]>(db, 'WHERE mission_id = ? AND url = ?'),
    };
  }

  /** Records a pull request; answers the row as stored (the first one, when the URL was recorded before). */
  add(pr: PullRequestView): PullRequestView {
    this.s.insert.run(VIEW.toParams(pr));
    return this.s.byUrl.get(pr.missionId, pr.url) ?? pr;
  }

  /** A mission's pull requests, newest first. */
  list(missionId: string): PullRequestView[] {
    return this.s.byMission.all(missionId);
  }
}
