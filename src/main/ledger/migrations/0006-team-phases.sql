-- 0006: phases, shares and deliveries of a mission's teams.
--
-- A team may start only after other teams (`after`), once their work is merged into the
-- mission branch; its branch then starts from the mission branch as it is then. Each
-- mission keeps its own copy of the links (copied from the design when the mission is
-- created) because the director may change them for this mission before planning starts.
-- Rows of missions created before this migration: active, no dependencies, no share.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

-- This mission's share of the goal for the team; NULL: the leader plans from its brief.
ALTER TABLE mission_teams ADD COLUMN share TEXT;
-- Ids of the teams of this mission whose work must be merged before this team plans.
ALTER TABLE mission_teams ADD COLUMN after_json TEXT NOT NULL DEFAULT '[]'
  CHECK (json_type(after_json) = 'array');
-- 'waiting' for the teams it starts after, 'active' (planning or working), 'merged' into
-- the mission branch.
ALTER TABLE mission_teams ADD COLUMN phase_state TEXT NOT NULL DEFAULT 'active'
  CHECK (phase_state IN ('waiting', 'active', 'merged'));
-- The commit its branch started from (the mission branch when it became active).
ALTER TABLE mission_teams ADD COLUMN start_commit TEXT;
-- The mission branch's commit right after the team was merged into it.
ALTER TABLE mission_teams ADD COLUMN merged_commit TEXT;
-- What it delivered once merged: `{ files: string[], summary: string }`.
ALTER TABLE mission_teams ADD COLUMN delivery_json TEXT
  CHECK (delivery_json IS NULL OR json_type(delivery_json) = 'object');
