-- 0003: missions, the agents and tasks inside them, escalations, transcripts, and the
-- append-only mission log.
--
-- Follows 0001's conventions (STRICT, `id TEXT` keys, `*_nano` money, ISO-8601 `*_at`,
-- `*_json`). The engine's whole state lives here so that a restart can rebuild it:
--   * `missions` snapshots the team design it was started from (`design_json`): editing
--     or deleting the design later must not change a mission already under way;
--   * agent and team ids come from the design and are unique within a mission only, so
--     their keys include `mission_id` (the same design can run twice);
--   * `mission_log` is append-only: every agent state change, task transition,
--     escalation and human decision is one row there, while the other tables hold the
--     current state (kept in the same transaction as its log row);
--   * transcripts are append-only too: compaction adds a `compaction` row that replaces
--     everything up to `replaces_through_seq` rather than rewriting history.
-- Model calls are not here: they are `calls` rows (0002), attributed by mission_id and
-- agent_id.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE missions (
  id                  TEXT    NOT NULL PRIMARY KEY,
  name                TEXT    NOT NULL,
  design_id           TEXT    NOT NULL,
  design_revision     INTEGER NOT NULL,
  design_json         TEXT    NOT NULL CHECK (json_valid(design_json)),
  goal                TEXT    NOT NULL,
  repo_path           TEXT    NOT NULL,
  base_branch         TEXT    NOT NULL,
  worktree_root       TEXT    NOT NULL,
  state               TEXT    NOT NULL CHECK (state IN ('draft', 'planning', 'awaiting_plan_approval', 'running',
                        'paused', 'integrating', 'done', 'failed', 'cancelled')),
  -- The state a paused mission returns to on resume.
  paused_from         TEXT,
  budget_nano         INTEGER CHECK (budget_nano >= 0),
  skip_plan_approval  INTEGER NOT NULL DEFAULT 0 CHECK (skip_plan_approval IN (0, 1)),
  allowed_commands_json TEXT  NOT NULL DEFAULT '[]' CHECK (json_type(allowed_commands_json) = 'array'),
  setup_command       TEXT,
  copy_files_json     TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(copy_files_json) = 'array'),
  -- Tunables (attempts, stall turns, idle timeout, escalation timeouts).
  settings_json       TEXT    NOT NULL DEFAULT '{}' CHECK (json_type(settings_json) = 'object'),
  -- Plan rounds: a plan sent back by the person is planned again in the next round.
  plan_round          INTEGER NOT NULL DEFAULT 0 CHECK (plan_round >= 0),
  final_commit        TEXT,
  outcome             TEXT,
  created_at          TEXT    NOT NULL,
  updated_at          TEXT    NOT NULL,
  started_at          TEXT,
  ended_at            TEXT
) STRICT;

CREATE INDEX missions_by_created ON missions (created_at DESC);
CREATE INDEX missions_by_state ON missions (state);

CREATE TABLE mission_teams (
  mission_id    TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  id            TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  budget_nano   INTEGER CHECK (budget_nano >= 0),
  -- 'planning' until its leader submits its share of the plan for this round.
  plan_state    TEXT    NOT NULL DEFAULT 'pending' CHECK (plan_state IN ('pending', 'planning', 'submitted')),
  plan_summary  TEXT,
  sort_order    INTEGER NOT NULL CHECK (sort_order >= 0),
  PRIMARY KEY (mission_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE mission_agents (
  mission_id            TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  id                    TEXT    NOT NULL,
  team_id               TEXT    NOT NULL,
  name                  TEXT    NOT NULL,
  role                  TEXT    NOT NULL CHECK (role IN ('leader', 'coder', 'reviewer', 'researcher')),
  model                 TEXT    NOT NULL,
  budget_nano           INTEGER CHECK (budget_nano >= 0),
  state                 TEXT    NOT NULL CHECK (state IN ('starting', 'idle', 'working', 'waiting_limiter',
                          'waiting_tool', 'waiting_escalation', 'done', 'killed', 'failed')),
  state_reason          TEXT,
  current_task_id       TEXT,
  -- Turns since the last write or submit: the stall detector's counter.
  turns_without_progress INTEGER NOT NULL DEFAULT 0 CHECK (turns_without_progress >= 0),
  last_activity_at      TEXT    NOT NULL,
  sort_order            INTEGER NOT NULL CHECK (sort_order >= 0),
  PRIMARY KEY (mission_id, id),
  FOREIGN KEY (mission_id, team_id) REFERENCES mission_teams (mission_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE mission_tasks (
  id                   TEXT    NOT NULL PRIMARY KEY,
  mission_id           TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id              TEXT    NOT NULL,
  plan_round           INTEGER NOT NULL,
  -- The leader's slug, unique within a team's plan round; dependencies name these.
  key                  TEXT    NOT NULL,
  title                TEXT    NOT NULL,
  description          TEXT    NOT NULL,
  acceptance_json      TEXT    NOT NULL CHECK (json_type(acceptance_json) = 'array'),
  owns_json            TEXT    NOT NULL CHECK (json_type(owns_json) = 'array'),
  depends_on_json      TEXT    NOT NULL CHECK (json_type(depends_on_json) = 'array'),
  preferred_assignee   TEXT,
  state                TEXT    NOT NULL CHECK (state IN ('planned', 'ready', 'claimed', 'in_progress', 'submitted',
                         'reviewed', 'merged', 'dead_letter', 'cancelled')),
  assignee             TEXT,
  -- Attempts that ended in a rejection; the next attempt is attempts + 1.
  attempts             INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- Claims so far: each claim is a fresh conversation with the coder.
  claims               INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0),
  stalls               INTEGER NOT NULL DEFAULT 0 CHECK (stalls >= 0),
  feedback             TEXT,
  submission_summary   TEXT,
  merged_commit        TEXT,
  sort_order           INTEGER NOT NULL CHECK (sort_order >= 0),
  created_at           TEXT    NOT NULL,
  updated_at           TEXT    NOT NULL,
  UNIQUE (mission_id, team_id, plan_round, key)
) STRICT;

CREATE INDEX mission_tasks_by_mission ON mission_tasks (mission_id, team_id, sort_order);

CREATE TABLE escalations (
  id              TEXT    NOT NULL PRIMARY KEY,
  mission_id      TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id         TEXT,
  -- The agent that raised it (null for the mission's own: plan approval, final merge).
  agent_id        TEXT,
  task_id         TEXT,
  type            TEXT    NOT NULL CHECK (type IN ('question', 'permission', 'plan_approval', 'budget', 'stall',
                    'dead_letter', 'merge_conflict', 'final_merge')),
  -- Who must answer now: the raiser's leader first, then the person.
  level           TEXT    NOT NULL CHECK (level IN ('leader', 'human')),
  state           TEXT    NOT NULL CHECK (state IN ('open', 'resolved', 'cancelled')),
  title           TEXT    NOT NULL,
  detail          TEXT    NOT NULL DEFAULT '',
  -- Type-specific facts: the command asked for, the conflicting files, the budget cap.
  payload_json    TEXT    NOT NULL DEFAULT '{}' CHECK (json_type(payload_json) = 'object'),
  -- The tool call waiting on the answer, so a restarted agent can finish it.
  tool_use_id     TEXT,
  decision        TEXT    CHECK (decision IN ('approve', 'deny', 'reply')),
  comment         TEXT,
  always_allow    INTEGER NOT NULL DEFAULT 0 CHECK (always_allow IN (0, 1)),
  decided_by      TEXT    CHECK (decided_by IN ('human', 'leader', 'timeout', 'engine')),
  timeout_at      TEXT,
  created_at      TEXT    NOT NULL,
  decided_at      TEXT
) STRICT;

CREATE INDEX escalations_by_mission ON escalations (mission_id, state, created_at);
CREATE INDEX escalations_open ON escalations (state, created_at) WHERE state = 'open';

-- "Always allow this command for this team": rules the person added while deciding.
CREATE TABLE team_command_rules (
  mission_id   TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id      TEXT NOT NULL,
  command      TEXT NOT NULL,
  escalation_id TEXT,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (mission_id, team_id, command)
) STRICT, WITHOUT ROWID;

CREATE TABLE transcript_entries (
  id                   INTEGER PRIMARY KEY,
  mission_id           TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  agent_id             TEXT    NOT NULL,
  -- One conversation per job: a plan round, a task claim, a review, an escalation.
  conversation         TEXT    NOT NULL,
  seq                  INTEGER NOT NULL CHECK (seq >= 0),
  kind                 TEXT    NOT NULL CHECK (kind IN ('message', 'compaction')),
  role                 TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
  content_json         TEXT    NOT NULL CHECK (json_valid(content_json)),
  -- For a compaction: the last seq its summary replaces.
  replaces_through_seq INTEGER,
  -- Input tokens the model reported for the call that produced an assistant message.
  input_tokens         INTEGER,
  output_tokens        INTEGER,
  created_at           TEXT    NOT NULL,
  UNIQUE (mission_id, agent_id, conversation, seq)
) STRICT;

CREATE INDEX transcript_entries_by_agent ON transcript_entries (mission_id, agent_id, id);

CREATE TABLE mission_log (
  id          INTEGER PRIMARY KEY,
  mission_id  TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  at          TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('mission', 'agent', 'task', 'escalation', 'decision', 'note')),
  subject_id  TEXT    NOT NULL,
  from_state  TEXT,
  to_state    TEXT,
  detail_json TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail_json))
) STRICT;

CREATE INDEX mission_log_by_mission ON mission_log (mission_id, id);

CREATE TRIGGER mission_log_no_update BEFORE UPDATE ON mission_log
BEGIN
  SELECT RAISE(ABORT, 'the mission log is append-only');
END;

CREATE TRIGGER transcript_entries_no_update BEFORE UPDATE ON transcript_entries
BEGIN
  SELECT RAISE(ABORT, 'transcripts are append-only');
END;
