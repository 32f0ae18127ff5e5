-- 0005: agent runtimes. A design's agent runs on the built-in loop or as a Claude Code
-- session; Claude Code agents carry their allowed tools and MCP servers.
-- NULL (designs saved before this migration, or that never chose): the built-in loop.
ALTER TABLE design_agents ADD COLUMN runtime TEXT
  CHECK (runtime IS NULL OR runtime IN ('built-in', 'claude-code'));
-- `{ allowedTools, mcpServers }` (shared/team.ts claudeCodeSpecSchema); NULL: the role's defaults.
ALTER TABLE design_agents ADD COLUMN claude_code_json TEXT
  CHECK (claude_code_json IS NULL OR json_valid(claude_code_json));

-- The sessions of agents that run in an external runtime (Claude Code).
--
-- One row per session a job started: what Control Room needs to resume it after a crash
-- (the runtime's own session id), and how it ended. Rows are inserted when the runtime
-- reports its session id and updated once, when the session ends; they are never deleted.
CREATE TABLE agent_sessions (
  mission_id    TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  agent_id      TEXT NOT NULL,
  -- The job's conversation key (a task claim, a plan round, a review), as in transcript_entries.
  conversation  TEXT NOT NULL,
  runtime       TEXT NOT NULL CHECK (runtime IN ('claude-code')),
  session_id    TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  ended_at      TEXT,
  outcome       TEXT CHECK (outcome IN ('completed', 'error', 'aborted', 'lost')),
  -- One line: why the session failed, or could not be resumed.
  reason        TEXT,
  PRIMARY KEY (mission_id, agent_id, conversation)
) STRICT, WITHOUT ROWID;
