import type Database from 'better-sqlite3';
import type { ReviewVerdict } from '../../shared/review.js';

/** Which calls a cost covers: a mission, narrowed to a team or to some tasks. */
export interface CostScope {
  missionId: string;
  teamId?: string | null;
  /** The tasks' calls only (a team merge's or one task's); empty matches nothing. */
  taskIds?: readonly string[];
}

interface VerdictRow {
  subject_id: string;
  from_state: string | null;
  to_state: string | null;
  detail_json: string;
  at: string;
}

/**
 * The ledger's answers a change review needs: what the model calls of a scope cost (the
 * calls ledger carries mission, team and task on every call), and the leaders' verdicts
 * on submissions (the task transitions of the mission log).
 */
export class ReviewQueries {
  private readonly verdictsStmt: Database.Statement<[string], VerdictRow>;

  constructor(private readonly db: Database.Database) {
    // A verdict is a move out of review: approved (submitted -> reviewed) or sent back
    // (submitted/reviewed -> ready, or dead_letter after the last attempt).
    this.verdictsStmt = db.prepare(
      `SELECT subject_id, from_state, to_state, detail_json, at FROM mission_log
       WHERE mission_id = ? AND kind = 'task'
         AND ((from_state = 'submitted' AND to_state = 'reviewed')
           OR (from_state IN ('submitted', 'reviewed') AND to_state IN ('ready', 'dead_letter')))
       ORDER BY id`,
    );
  }

  /** The total cost in nano-dollars and the number of calls of a scope. */
  cost(scope: CostScope): { costNanoUsd: number; calls: number } {
    const where = ['mission_id = ?'];
    const params: string[] = [scope.missionId];
    if (scope.teamId) {
      where.push('team_id = ?');
      params.push(scope.teamId);
    }
    if (scope.taskIds) {
      if (scope.taskIds.length === 0) return { costNanoUsd: 0, calls: 0 };
      where.push(`task_id IN (${scope.taskIds.map(() => '?').join(', ')})`);
      params.push(...scope.taskIds);
    }
    const row = this.db
      .prepare<string[], { cost: number | bigint | null; calls: number }>(
        `SELECT SUM(cost_total_nano) AS cost, COUNT(*) AS calls FROM calls WHERE ${where.join(' AND ')}`,
      )
      .get(...params);
    return { costNanoUsd: Number(row?.cost ?? 0), calls: row?.calls ?? 0 };
  }

  /**
   * The verdicts on the given tasks' submissions, oldest first, numbered by attempt.
   * `titles` names the tasks and `names` the agents (the log stores their ids).
   */
  verdicts(
    missionId: string,
    titles: ReadonlyMap<string, string>,
    names: ReadonlyMap<string, string>,
  ): ReviewVerdict[] {
    const attempts = new Map<string, number>();
    const out: ReviewVerdict[] = [];
    for (const row of this.verdictsStmt.all(missionId)) {
      const title = titles.get(row.subject_id);
      if (title === undefined) continue;
      const detail = parseDetail(row.detail_json);
      const approve = row.to_state === 'reviewed';
      // An approval whose merge then conflicted is sent back from 'reviewed': the same attempt.
      const sameAttempt = !approve && row.from_state === 'reviewed';
      const attempt = (attempts.get(row.subject_id) ?? 0) + (sameAttempt ? 0 : 1);
      attempts.set(row.subject_id, attempt);
      const by = typeof detail['by'] === 'string' ? detail['by'] : null;
      out.push({
        taskId: row.subject_id,
        taskTitle: title,
        attempt: Math.max(attempt, 1),
        verdict: approve ? 'approve' : 'reject',
        reviewer: by ? (names.get(by) ?? by) : null,
        feedback: String(detail[approve ? 'comment' : 'feedback'] ?? ''),
        at: row.at,
      });
    }
    return out;
  }
}

function parseDetail(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
