-- 0009: what a design says of its teams beyond their agents: each team's brief (its
-- focus and the paths it owns), the teams it starts after (its phase), and which model
-- the design's director uses. NULL means "not given" (designs saved before this
-- migration), which reads back as a design without them.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

ALTER TABLE design_teams ADD COLUMN brief_json TEXT CHECK (brief_json IS NULL OR json_type(brief_json) = 'object');
ALTER TABLE design_teams ADD COLUMN after_json TEXT CHECK (after_json IS NULL OR json_type(after_json) = 'array');
ALTER TABLE team_designs ADD COLUMN director_model TEXT;
