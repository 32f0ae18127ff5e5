import type Database from 'better-sqlite3';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import type { TaskSpend, TaskSpendRow } from '../../shared/task-spend.js';

/**
 * A mission's spend broken down by task (`costs:by-task`): every call row the gateway
 * tagged with a task (the coder's work on it, its reviews), summed per task of the
 * mission, with the task's title and team. Tasks with no call yet are listed at zero so
 * the table shows the whole plan; calls tagged with no task of the mission (planning,
 * integration, conflicts) are summed apart. Retried attempts are separate rows in
 * `calls`, so each is counted, as each was billed.
 */
export function taskSpend(db: Database.Database, missionId: string): TaskSpend {
  const exists = db.prepare('SELECT 1 FROM missions WHERE id = ?').get(missionId);
  if (!exists) throw new AppError('not_found', `no mission ${quote(missionId)}`);
  const rows = db
    .prepare(
      `SELECT t.id AS taskId, t.title, t.team_id AS teamId, coalesce(tm.name, t.team_id) AS teamName, t.state,
              count(c.id) AS calls,
              coalesce(sum(c.input_tokens), 0) AS inputTokens,
              coalesce(sum(c.output_tokens), 0) AS outputTokens,
              coalesce(sum(c.cost_total_nano), 0) AS costNanoUsd
         FROM mission_tasks t
         LEFT JOIN mission_teams tm ON tm.mission_id = t.mission_id AND tm.id = t.team_id
         LEFT JOIN calls c ON c.mission_id = t.mission_id AND c.task_id = t.id
        WHERE t.mission_id = ?
        GROUP BY t.id
        ORDER BY costNanoUsd DESC, t.sort_order, t.id`,
    )
    .all(missionId) as TaskSpendRow[];
  const rest = db
    .prepare(
      `SELECT count(*) AS calls,
              coalesce(sum(input_tokens), 0) AS inputTokens,
              coalesce(sum(output_tokens), 0) AS outputTokens,
              coalesce(sum(cost_total_nano), 0) AS costNanoUsd
         FROM calls c
        WHERE c.mission_id = ?
          AND (c.task_id IS NULL OR NOT EXISTS (SELECT 1 FROM mission_tasks t WHERE t.mission_id = c.mission_id AND t.id = c.task_id))`,
    )
    .get(missionId) as TaskSpend['unattributed'];
  return { missionId, rows, unattributed: rest };
}
