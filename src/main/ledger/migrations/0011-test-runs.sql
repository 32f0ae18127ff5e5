-- 0011: test runs. Every time the engine runs a team's test command (a leader's review of
-- a coder's submission, or the mission branch before the final merge is asked for), the
-- command, its exit code and its output are a row here, so that the person sees the tests
-- that ran before approving a change, and the mission's result shows their final output.
-- Rows are inserted once, when the command has ended, and never changed or deleted.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE test_runs (
  id            INTEGER PRIMARY KEY,
  mission_id    TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  -- NULL for a run on the mission branch (all teams together).
  team_id       TEXT,
  -- The task whose submission was tested; NULL for a run on the mission branch.
  task_id       TEXT,
  -- The agent the run was for (the reviewing leader); NULL when the engine ran it itself.
  agent_id      TEXT,
  -- 'review': a leader's review of one submission; 'final': the mission branch before the final merge.
  stage         TEXT    NOT NULL CHECK (stage IN ('review', 'final')),
  command       TEXT    NOT NULL,
  -- NULL when the command could not be started or was stopped (timeout, signal).
  exit_code     INTEGER,
  -- stdout and stderr together, cut to a cap (the end is kept: failures print last).
  output        TEXT    NOT NULL,
  -- 1 when the output was cut to the cap.
  truncated     INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
  -- Where it ran: the worktree or checkout path, and the commit tested.
  cwd           TEXT    NOT NULL,
  head_commit   TEXT,
  started_at    TEXT    NOT NULL,
  ended_at      TEXT    NOT NULL
) STRICT;

CREATE INDEX test_runs_by_mission ON test_runs (mission_id, id);
CREATE INDEX test_runs_by_task ON test_runs (mission_id, task_id, id);
