-- 0007: the director's draft of a mission's brief is an escalation of type 'mission_brief'
-- (each team's share, the phases, the interfaces between teams), which the person edits
-- and approves before any leader plans.
--
-- SQLite cannot change a CHECK constraint in place, so `escalations` is rebuilt: a new
-- table with the wider CHECK, every row copied as it is, the old table dropped, the new
-- one renamed, its indexes recreated. Nothing references `escalations` by a foreign key
-- (team_command_rules.escalation_id is a plain column) and no trigger is defined on it,
-- so dropping the old table cascades nowhere. Column order and names are unchanged.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE escalations_0007 (
  id              TEXT    NOT NULL PRIMARY KEY,
  mission_id      TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id         TEXT,
  -- The agent that raised it (null for the mission's own: plan approval, final merge, the director's draft).
  agent_id        TEXT,
  task_id         TEXT,
  type            TEXT    NOT NULL CHECK (type IN ('question', 'permission', 'plan_approval', 'budget', 'stall',
                    'dead_letter', 'merge_conflict', 'final_merge', 'mission_brief')),
  -- Who must answer now: the raiser's leader first, then the person.
  level           TEXT    NOT NULL CHECK (level IN ('leader', 'human')),
  state           TEXT    NOT NULL CHECK (state IN ('open', 'resolved', 'cancelled')),
  title           TEXT    NOT NULL,
  detail          TEXT    NOT NULL DEFAULT '',
  -- Type-specific facts: the command asked for, the conflicting files, the budget cap, the draft.
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

INSERT INTO escalations_0007 (id, mission_id, team_id, agent_id, task_id, type, level, state, title, detail,
  payload_json, tool_use_id, decision, comment, always_allow, decided_by, timeout_at, created_at, decided_at)
SELECT id, mission_id, team_id, agent_id, task_id, type, level, state, title, detail,
  payload_json, tool_use_id, decision, comment, always_allow, decided_by, timeout_at, created_at, decided_at
FROM escalations;

DROP TABLE escalations;
ALTER TABLE escalations_0007 RENAME TO escalations;

CREATE INDEX escalations_by_mission ON escalations (mission_id, state, created_at);
CREATE INDEX escalations_open ON escalations (state, created_at) WHERE state = 'open';
