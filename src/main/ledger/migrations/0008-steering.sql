-- 0008: steering a running mission. The person may change a team's priority (its fair
-- share of the shared rate limiter), pause and resume one team, and send a leader a
-- message that reaches it at its next turn. Each is a row here plus a `mission_log` row,
-- so a restarted engine re-applies the weights, keeps paused teams paused and delivers
-- the messages it had not delivered yet.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

-- The team's weight in the limiter's fair share (1 = an equal share with the other teams).
ALTER TABLE mission_teams ADD COLUMN priority_weight REAL NOT NULL DEFAULT 1
  CHECK (priority_weight > 0);
-- 1 while the person has paused the team: its agents take no jobs until it is resumed.
ALTER TABLE mission_teams ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));

CREATE TABLE steering_messages (
  id            INTEGER PRIMARY KEY,
  mission_id    TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id       TEXT    NOT NULL,
  -- The leader it is for.
  agent_id      TEXT    NOT NULL,
  text          TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 8000),
  created_at    TEXT    NOT NULL,
  -- When it was added to the leader's conversation (NULL: waiting for its next turn).
  delivered_at  TEXT,
  -- The conversation it was added to.
  conversation  TEXT
) STRICT;

CREATE INDEX steering_messages_by_mission ON steering_messages (mission_id, id);
