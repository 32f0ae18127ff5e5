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
  // One pass over the mission's calls (by the mission's index), summed per task id; the
  // sums are then matched to the tasks here. Joining calls to each task would read them
  // once per task, and a second query for the rest would read them all again.
  const sums = db
    .prepare(
      `SELECT task_id AS taskId, count(*) AS calls, sum(input_tokens) AS inputTokens,
              sum(output_tokens) AS outputTokens, sum(cost_total_nano) AS costNanoUsd
         FROM calls WHERE mission_id = ? GROUP BY task_id`,
    )
    .all(missionId) as (TaskSpend['unattributed'] & { taskId: string | null })[];
  const tasks = db
    .prepare(
      `SELECT t.id AS taskId, t.title, t.team_id AS teamId, coalesce(tm.name, t.team_id) AS teamName, t.state
         FROM mission_tasks t
         LEFT JOIN mission_teams tm ON tm.mission_id = t.mission_id AND tm.id = t.team_id
        WHERE t.mission_id = ? ORDER BY t.sort_order, t.id`,
    )
    .all(missionId) as Pick<TaskSpendRow, 'taskId' | 'title' | 'teamId' | 'teamName' | 'state'>[];
  const byTask = new Map(sums.filter((r) => r.taskId !== null).map((r) => [r.taskId!, r]));
  const rows: TaskSpendRow[] = tasks.map((t) => {
    const sum = byTask.get(t.taskId);
    byTask.delete(t.taskId);
    return { ...t, calls: sum?.calls ?? 0, inputTokens: sum?.inputTokens ?? 0, outputTokens: sum?.outputTokens ?? 0, costNanoUsd: sum?.costNanoUsd ?? 0 };
  });
  // Dearest first; the plan's order among equals (the sort is stable).
  rows.sort((a, b) => b.costNanoUsd - a.costNanoUsd);
  // What is left: calls of no task, or of a task id the mission does not have.
  const rest = { calls: 0, inputTokens: 0, outputTokens: 0, costNanoUsd: 0 };
  for (const r of [...sums.filter((x) => x.taskId === null), ...byTask.values()]) {
    rest.calls += r.calls;
    rest.inputTokens += r.inputTokens;
    rest.outputTokens += r.outputTokens;
    rest.costNanoUsd += r.costNanoUsd;
  }
  return { missionId, rows, unattributed: rest };
}
