-- 0013: readable branch names, and whether a mission's branches outlive it.
--
-- A mission's branches read cr/<mission>/<team>/<coder> from the names of the mission,
-- its teams and its coders (slugs, made unique). They are chosen once, when the
-- workspace is first made, and kept here so that reopening it after a restart names the
-- same branches; names_json is { "mission": slug, "teams": {id: slug}, "coders":
-- {id: slug} }. A mission without a row, or whose names_json is NULL, was started
-- before this migration (or not yet): its branches are named by ids, as they were.
-- keep_branches: the person's choice for this mission (1 keep, 0 delete its team and
-- coder branches when it ends), NULL to follow the Settings default.
-- cleaned_at: when its end-of-mission clean-up last ran (NULL: never, so a start-up
-- after a crash does it).
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE mission_workspaces (
  mission_id     TEXT    NOT NULL PRIMARY KEY REFERENCES missions (id) ON DELETE CASCADE,
  mission_slug   TEXT,
  names_json     TEXT    CHECK (names_json IS NULL OR json_type(names_json) = 'object'),
  keep_branches  INTEGER CHECK (keep_branches IS NULL OR keep_branches IN (0, 1)),
  cleaned_at     TEXT,
  CHECK ((mission_slug IS NULL) = (names_json IS NULL))
) STRICT;

CREATE UNIQUE INDEX mission_workspaces_by_slug ON mission_workspaces (mission_slug) WHERE mission_slug IS NOT NULL;
