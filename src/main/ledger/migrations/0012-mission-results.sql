-- 0012: what a finished mission delivered, told apart at a glance.
--
-- `result_kind` says how a mission ended, so a declined final merge no longer looks like
-- a merged mission (both are state 'done'): 'merged' into the base branch, 'declined' by
-- the person (the work stays on the mission branch), 'pull_request' opened instead of a
-- local merge, 'failed', 'cancelled'; NULL while the mission has not ended.
-- Rows of missions that ended before this migration are backfilled from their state and
-- outcome text (a declined final merge's outcome began 'final merge declined').
-- `team_result_summaries` holds each team's leader's summary of what the team delivered,
-- written when the team is merged into the mission branch (or the tasks' own summaries
-- when the leader's call failed, with the reason in `note`).
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

ALTER TABLE missions ADD COLUMN result_kind TEXT
  CHECK (result_kind IS NULL OR result_kind IN ('merged', 'declined', 'pull_request', 'failed', 'cancelled'));

UPDATE missions SET result_kind = CASE
    WHEN state = 'failed' THEN 'failed'
    WHEN state = 'cancelled' THEN 'cancelled'
    WHEN state = 'done' AND outcome LIKE 'final merge declined%' THEN 'declined'
    WHEN state = 'done' AND final_commit IS NULL THEN 'declined'
    WHEN state = 'done' THEN 'merged'
    ELSE NULL
  END;

CREATE TABLE team_result_summaries (
  mission_id  TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  team_id     TEXT NOT NULL,
  summary     TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 20000),
  -- 'leader': the leader's model call wrote it; 'fallback': the merged tasks' own
  -- submission summaries, because the leader's call failed or its reply was malformed.
  source      TEXT NOT NULL CHECK (source IN ('leader', 'fallback')),
  -- Why the fallback was used; NULL for a leader's summary.
  note        TEXT,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (mission_id, team_id)
) STRICT;
