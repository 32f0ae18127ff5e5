import type Database from 'better-sqlite3';

/**
 * The ledger's side of a mission's result (migration 0012): each team's summary of what
 * it delivered, and the figures the result reads from other tables: cost and calls per
 * team and task from the raw calls (the roll-ups have no task), and the tests' final run.
 */

/** A team's summary of what it delivered, as stored. */
export interface TeamResultSummaryRow {
  missionId: string;
  teamId: string;
  summary: string;
  source: 'leader' | 'fallback';
  note: string | null;
  createdAt: string;
}

/** Cost and calls of one (team, task) pair of a mission; '' for no team or no task. */
export interface TaskCostRow {
  teamId: string;
  taskId: string;
  costNano: number;
  calls: number;
}

/** The last run of the tests on the mission branch (`test_runs`, stage 'final'). */
export interface FinalTestRunRow {
  command: string;
  exitCode: number | null;
  output: string;
  truncated: boolean;
  headCommit: string | null;
  endedAt: string;
}

type Row = Record<string, unknown>;

/** Statements over the result's tables; one instance per connection. */
export class MissionResultsStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      save: db.prepare(
        `INSERT INTO team_result_summaries (mission_id, team_id, summary, source, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (mission_id, team_id) DO UPDATE SET summary = excluded.summary, source = excluded.source,
           note = excluded.note, created_at = excluded.created_at`,
      ),
      summaries: db.prepare('SELECT * FROM team_result_summaries WHERE mission_id = ? ORDER BY team_id'),
      // The raw rows (indexed by mission): call_totals has no task column.
      taskCosts: db.prepare(
        `SELECT coalesce(team_id, '') AS team_id, coalesce(task_id, '') AS task_id,
                sum(cost_total_nano) AS cost_nano, count(*) AS calls
         FROM calls WHERE mission_id = ? GROUP BY 1, 2`,
      ),
      hasTestRuns: db
        .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'test_runs'")
        .pluck(),
    };
  }

  /** Writes (or replaces) a team's summary. */
  saveTeamSummary(row: TeamResultSummaryRow): void {
    this.s.save.run(row.missionId, row.teamId, row.summary, row.source, row.note, row.createdAt);
  }

  /** The summaries written for a mission's teams. */
  teamSummaries(missionId: string): TeamResultSummaryRow[] {
    return (this.s.summaries.all(missionId) as Row[]).map((r) => ({
      missionId: String(r.mission_id),
      teamId: String(r.team_id),
      summary: String(r.summary),
      source: r.source === 'leader' ? 'leader' : 'fallback',
      note: r.note === null ? null : String(r.note),
      createdAt: String(r.created_at),
    }));
  }

  /** Cost and calls per (team, task) of a mission; their sum is the mission's total. */
  taskCosts(missionId: string): TaskCostRow[] {
    return (this.s.taskCosts.all(missionId) as Row[]).map((r) => ({
      teamId: String(r.team_id),
      taskId: String(r.task_id),
      costNano: Number(r.cost_nano),
      calls: Number(r.calls),
    }));
  }

  /**
   * The last run of the tests on the mission branch before the final merge was asked for,
   * or null when none ran (or the ledger predates test runs).
   */
  finalTestRun(missionId: string): FinalTestRunRow | null {
    if (Number(this.s.hasTestRuns.get()) === 0) return null;
    const r = this.db
      .prepare(
        `SELECT command, exit_code, output, truncated, head_commit, ended_at FROM test_runs
         WHERE mission_id = ? AND stage = 'final' ORDER BY id DESC LIMIT 1`,
      )
      .get(missionId) as Row | undefined;
    if (!r) return null;
    return {
      command: String(r.command),
      exitCode: r.exit_code === null ? null : Number(r.exit_code),
      output: String(r.output),
      truncated: Number(r.truncated) === 1,
      headCommit: r.head_commit === null ? null : String(r.head_commit),
      endedAt: String(r.ended_at),
    };
  }
}
