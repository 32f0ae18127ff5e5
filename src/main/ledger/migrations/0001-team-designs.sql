-- 0001: team designs, what a person draws on the canvas before a mission.
--
-- Conventions every later table follows, so missions, agents, tasks, calls and
-- escalations sit beside these without surprises:
--   * tables are plural snake_case and STRICT; the key is `id TEXT`;
--   * a reference is `<singular>_id` (e.g. `design_id` -> team_designs.id);
--   * money is INTEGER nano-dollars in a `*_nano` column, never REAL;
--   * instants are ISO-8601 UTC TEXT in `*_at` columns ("2025-01-31T12:00:00.000Z");
--   * structured values a query never filters on are JSON TEXT in `*_json` columns;
--   * list order a person chose is an INTEGER `sort_order`, starting at 0.
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE team_designs (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL,
  description TEXT    NOT NULL DEFAULT '',
  canvas_json TEXT    NOT NULL CHECK (json_valid(canvas_json)),
  revision    INTEGER NOT NULL CHECK (revision >= 1),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
) STRICT;

-- The design list is shown newest first.
CREATE INDEX team_designs_by_updated ON team_designs (updated_at DESC, name);

-- Team and agent ids are chosen by the client and unique within a design only: the
-- same template imported twice legitimately reuses them, so keys include design_id.
CREATE TABLE design_teams (
  design_id   TEXT    NOT NULL REFERENCES team_designs (id) ON DELETE CASCADE,
  id          TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  budget_nano INTEGER CHECK (budget_nano >= 0),
  position_x  REAL    NOT NULL,
  position_y  REAL    NOT NULL,
  sort_order  INTEGER NOT NULL CHECK (sort_order >= 0),
  PRIMARY KEY (design_id, id),
  UNIQUE (design_id, sort_order)
) STRICT;

CREATE TABLE design_agents (
  design_id             TEXT    NOT NULL REFERENCES team_designs (id) ON DELETE CASCADE,
  id                    TEXT    NOT NULL,
  team_id               TEXT    NOT NULL,
  name                  TEXT    NOT NULL,
  -- Lower-cased name: agents are addressed by name, case-insensitively, in a design.
  name_key              TEXT    NOT NULL,
  role                  TEXT    NOT NULL CHECK (role IN ('leader', 'coder', 'reviewer', 'researcher')),
  model                 TEXT    NOT NULL,
  budget_nano           INTEGER CHECK (budget_nano >= 0),
  system_prompt         TEXT    NOT NULL DEFAULT '',
  allowed_commands_json TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(allowed_commands_json) = 'array'),
  write_scope_json      TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(write_scope_json) = 'array'),
  idle_timeout_sec      INTEGER CHECK (idle_timeout_sec > 0),
  sort_order            INTEGER NOT NULL CHECK (sort_order >= 0),
  PRIMARY KEY (design_id, id),
  UNIQUE (design_id, name_key),
  UNIQUE (design_id, team_id, sort_order),
  FOREIGN KEY (design_id, team_id) REFERENCES design_teams (design_id, id) ON DELETE CASCADE
) STRICT;

-- At most one leader per team (the editor enforces it too; this keeps imports honest).
CREATE UNIQUE INDEX design_agents_one_leader ON design_agents (design_id, team_id)
  WHERE role = 'leader';
