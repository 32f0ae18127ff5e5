-- 0014: pull requests. A mission may end in a pull request instead of (or before) a local
-- merge: its branch pushed to a remote of the repository and a pull request opened on
-- GitHub (through the REST API with the token from Settings, or the gh command). One row
-- per pull request opened; the token is never stored here.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE mission_pull_requests (
  id          INTEGER PRIMARY KEY,
  mission_id  TEXT    NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  -- The git remote the mission branch was pushed to, e.g. 'origin'.
  remote      TEXT    NOT NULL,
  -- The branch pushed and the branch the pull request asks to merge into.
  branch      TEXT    NOT NULL,
  base        TEXT    NOT NULL,
  url         TEXT    NOT NULL,
  number      INTEGER NOT NULL CHECK (number > 0),
  -- 'api': GitHub's REST API with the saved token; 'gh': the gh command.
  via         TEXT    NOT NULL CHECK (via IN ('api', 'gh')),
  draft       INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1)),
  created_at  TEXT    NOT NULL,
  -- Opening the same pull request again (GitHub answers the open one) adds no second row.
  UNIQUE (mission_id, url)
) STRICT;

CREATE INDEX mission_pull_requests_by_mission ON mission_pull_requests (mission_id, id);
