import type Database from 'better-sqlite3';
import { capOutput, type TestRunStage, type TestRunView } from '../../shared/review.js';
import { bool, defineTable, int, intOrNull, text, textOrNull } from './columns.js';
import { joinWriteGroup } from './write-group.js';

/** The `test_runs` table (migration 0011): one row per run of a team's test command. */
export const TEST_RUNS = defineTable<TestRunView>('test_runs', {
  id: int('id'),
  missionId: text('mission_id'),
  teamId: textOrNull('team_id'),
  taskId: textOrNull('task_id'),
  agentId: textOrNull('agent_id'),
  stage: text<TestRunStage>('stage'),
  command: text('command'),
  exitCode: intOrNull('exit_code'),
  output: text('output'),
  truncated: bool('truncated'),
  cwd: text('cwd'),
  headCommit: textOrNull('head_commit'),
  startedAt: text('started_at'),
  endedAt: text('ended_at'),
});

const INSERT = TEST_RUNS.omit('id');

/** What a caller records: the output is cut to the cap here, so no caller can store more. */
export type NewTestRun = Omit<TestRunView, 'id' | 'truncated'>;

/**
 * Prepared statements over `test_runs`; one per connection. The rows are written once, when
 * the command has ended, and read by the change review (before an approval) and the
 * mission's result (the tests' final output).
 */
export class TestRunsRepository {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insert: db.prepare(INSERT.insertSql()),
      byMission: TEST_RUNS.select<[missionId: string]>(db, 'WHERE mission_id = ? ORDER BY id'),
      byTask: TEST_RUNS.select<[missionId: string, taskId: string]>(
        db,
        'WHERE mission_id = ? AND task_id = ? ORDER BY id',
      ),
      byTeam: TEST_RUNS.select<[missionId: string, teamId: string]>(
        db,
        'WHERE mission_id = ? AND team_id = ? ORDER BY id',
      ),
      lastFinal: TEST_RUNS.select<[missionId: string]>(
        db,
        "WHERE mission_id = ? AND stage = 'final' ORDER BY id DESC LIMIT 1",
      ),
    };
  }

  /** Records a finished run; its output is cut to TEST_OUTPUT_MAX (keeping the end). Answers the row. */
  record(run: NewTestRun): TestRunView {
    joinWriteGroup(this.db);
    const { output, truncated } = capOutput(run.output);
    const row = { ...run, output, truncated };
    const { lastInsertRowid } = this.s.insert.run(INSERT.toParams(row));
    return { ...row, id: Number(lastInsertRowid) };
  }

  /** Every run of a mission, oldest first. */
  list(missionId: string): TestRunView[] {
    return this.s.byMission.all(missionId);
  }

  /** The runs that reviewed one task's submissions, oldest first. */
  forTask(missionId: string, taskId: string): TestRunView[] {
    return this.s.byTask.all(missionId, taskId);
  }

  /** The runs of one team (its reviews), oldest first. */
  forTeam(missionId: string, teamId: string): TestRunView[] {
    return this.s.byTeam.all(missionId, teamId);
  }

  /** The latest run on the mission branch before the final merge: the tests' final output. */
  lastFinal(missionId: string): TestRunView | undefined {
    return this.s.lastFinal.get(missionId);
  }
}
