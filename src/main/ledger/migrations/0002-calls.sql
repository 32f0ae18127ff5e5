-- 0002: the calls ledger. One row per API attempt, written once when the attempt ends
-- (success, error, cancel, or a stream that died after message_start: whatever was
-- billed is recorded), plus roll-ups that keep the dashboard fast at millions of rows.
--
-- Deviations from 0001's conventions, on purpose:
--   * `calls.id` is an INTEGER rowid: rows are append-only and numerous, and the rowid
--     gives cheap ordered scans (export) and small indexes. `request_id` is the caller's
--     id for the attempt, UNIQUE, so an attempt is never recorded twice.
--   * instants are INTEGER epoch milliseconds (`*_at`), as the calls issue specifies:
--     latency and per-minute bucketing are arithmetic on them.
--   * attribution columns (mission_id ... task_id) have no foreign keys yet: missions and
--     agents get their tables in a later migration.
-- Roll-ups are maintained by triggers inside the inserting transaction, so they can never
-- disagree with the raw rows. In roll-ups a missing attribution is '' (a key cannot be NULL).
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE calls (
  id                       INTEGER PRIMARY KEY,
  request_id               TEXT    NOT NULL UNIQUE,
  message_id               TEXT,
  -- request_id of the attempt this one retries; NULL for a first attempt.
  retry_of                 TEXT,
  attempt                  INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  mission_id               TEXT,
  team_id                  TEXT,
  agent_id                 TEXT,
  role                     TEXT,
  task_id                  TEXT,
  model_requested          TEXT    NOT NULL,
  model_resolved           TEXT,
  pool                     TEXT    NOT NULL,
  started_at               INTEGER NOT NULL,
  first_token_at           INTEGER,
  ended_at                 INTEGER NOT NULL,
  status                   TEXT    NOT NULL CHECK (status IN ('ok', 'error', 'cancelled', 'partial')),
  http_status              INTEGER,
  error_type               TEXT,
  stop_reason              TEXT,
  input_tokens             INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  output_tokens            INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  cache_creation_5m_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_5m_tokens >= 0),
  cache_creation_1h_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_1h_tokens >= 0),
  cache_read_tokens        INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
  -- Informational: thinking is billed inside output_tokens.
  thinking_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (thinking_tokens >= 0),
  server_tool_requests     INTEGER NOT NULL DEFAULT 0 CHECK (server_tool_requests >= 0),
  -- What the limiter estimated and reserved before the call, and how long it waited.
  est_input                INTEGER,
  est_output               INTEGER,
  reserved_input           INTEGER,
  reserved_output          INTEGER,
  wait_ms                  INTEGER CHECK (wait_ms >= 0),
  is_batch                 INTEGER NOT NULL DEFAULT 0 CHECK (is_batch IN (0, 1)),
  us_only                  INTEGER NOT NULL DEFAULT 0 CHECK (us_only IN (0, 1)),
  cost_input_nano          INTEGER NOT NULL DEFAULT 0 CHECK (cost_input_nano >= 0),
  cost_output_nano         INTEGER NOT NULL DEFAULT 0 CHECK (cost_output_nano >= 0),
  cost_cache_write_nano    INTEGER NOT NULL DEFAULT 0 CHECK (cost_cache_write_nano >= 0),
  cost_cache_read_nano     INTEGER NOT NULL DEFAULT 0 CHECK (cost_cache_read_nano >= 0),
  cost_server_tools_nano   INTEGER NOT NULL DEFAULT 0 CHECK (cost_server_tools_nano >= 0),
  cost_total_nano          INTEGER NOT NULL DEFAULT 0,
  -- The price row (resources/pricing.json or the Settings table) that priced this call.
  price_row_id             TEXT    NOT NULL,
  CHECK (ended_at >= started_at),
  CHECK (first_token_at IS NULL OR first_token_at BETWEEN started_at AND ended_at),
  CHECK (cost_total_nano = cost_input_nano + cost_output_nano + cost_cache_write_nano
                           + cost_cache_read_nano + cost_server_tools_nano)
) STRICT;

-- Drill-downs into a mission's raw rows by time. Dashboards read the roll-ups below, and
-- "latest calls" is the rowid order, so this is the one secondary index writes pay for.
CREATE INDEX calls_by_mission_ended ON calls (mission_id, ended_at);

-- Upper bounds (ms) of the latency histogram's buckets: 1..20 ms one by one, then each
-- about 5% above the last up to an hour, then everything longer. A percentile read from
-- the histogram is the upper bound of its bucket: at most ~5% above the true value.
CREATE TABLE call_latency_buckets (
  upper_ms INTEGER PRIMARY KEY
) STRICT;

INSERT INTO call_latency_buckets (upper_ms)
WITH RECURSIVE b (upper_ms) AS (
  SELECT 1
  UNION ALL
  SELECT max(upper_ms + 1, (upper_ms * 21 + 19) / 20) FROM b WHERE upper_ms < 3600000
)
SELECT upper_ms FROM b
UNION ALL
SELECT 9223372036854775807;

-- Per-minute roll-up: a call counts in the minute its attempt ended (ended_at / 60000).
-- latency_* cover completed ('ok') calls only.
CREATE TABLE call_minutes (
  minute                   INTEGER NOT NULL,
  mission_id               TEXT    NOT NULL,
  team_id                  TEXT    NOT NULL,
  agent_id                 TEXT    NOT NULL,
  model                    TEXT    NOT NULL,
  pool                     TEXT    NOT NULL,
  calls                    INTEGER NOT NULL,
  ok_calls                 INTEGER NOT NULL,
  error_calls              INTEGER NOT NULL,
  cancelled_calls          INTEGER NOT NULL,
  partial_calls            INTEGER NOT NULL,
  input_tokens             INTEGER NOT NULL,
  output_tokens            INTEGER NOT NULL,
  cache_creation_5m_tokens INTEGER NOT NULL,
  cache_creation_1h_tokens INTEGER NOT NULL,
  cache_read_tokens        INTEGER NOT NULL,
  thinking_tokens          INTEGER NOT NULL,
  server_tool_requests     INTEGER NOT NULL,
  cost_input_nano          INTEGER NOT NULL,
  cost_output_nano         INTEGER NOT NULL,
  cost_cache_write_nano    INTEGER NOT NULL,
  cost_cache_read_nano     INTEGER NOT NULL,
  cost_server_tools_nano   INTEGER NOT NULL,
  cost_total_nano          INTEGER NOT NULL,
  latency_count            INTEGER NOT NULL,
  latency_sum_ms           INTEGER NOT NULL,
  wait_sum_ms              INTEGER NOT NULL,
  latency_max_ms           INTEGER NOT NULL,
  PRIMARY KEY (minute, mission_id, team_id, agent_id, model)
) STRICT, WITHOUT ROWID;

CREATE INDEX call_minutes_by_mission ON call_minutes (mission_id, minute);

-- The same per minute without team and agent: with a thousand agents each calling about
-- once a minute, call_minutes has nearly a row per call, so series, burn rate,
-- throughput, error rate and latency over a time range read this much smaller table.
CREATE TABLE call_mission_minutes (
  minute                   INTEGER NOT NULL,
  mission_id               TEXT    NOT NULL,
  model                    TEXT    NOT NULL,
  pool                     TEXT    NOT NULL,
  calls                    INTEGER NOT NULL,
  ok_calls                 INTEGER NOT NULL,
  error_calls              INTEGER NOT NULL,
  cancelled_calls          INTEGER NOT NULL,
  partial_calls            INTEGER NOT NULL,
  input_tokens             INTEGER NOT NULL,
  output_tokens            INTEGER NOT NULL,
  cache_creation_5m_tokens INTEGER NOT NULL,
  cache_creation_1h_tokens INTEGER NOT NULL,
  cache_read_tokens        INTEGER NOT NULL,
  thinking_tokens          INTEGER NOT NULL,
  server_tool_requests     INTEGER NOT NULL,
  cost_input_nano          INTEGER NOT NULL,
  cost_output_nano         INTEGER NOT NULL,
  cost_cache_write_nano    INTEGER NOT NULL,
  cost_cache_read_nano     INTEGER NOT NULL,
  cost_server_tools_nano   INTEGER NOT NULL,
  cost_total_nano          INTEGER NOT NULL,
  latency_count            INTEGER NOT NULL,
  latency_sum_ms           INTEGER NOT NULL,
  wait_sum_ms              INTEGER NOT NULL,
  latency_max_ms           INTEGER NOT NULL,
  PRIMARY KEY (minute, mission_id, model)
) STRICT, WITHOUT ROWID;

CREATE INDEX call_mission_minutes_by_mission ON call_mission_minutes (mission_id, minute);

-- All-time roll-up by attribution and model: breakdowns without a time range read this
-- small table instead of every minute.
CREATE TABLE call_totals (
  mission_id               TEXT    NOT NULL,
  team_id                  TEXT    NOT NULL,
  agent_id                 TEXT    NOT NULL,
  model                    TEXT    NOT NULL,
  pool                     TEXT    NOT NULL,
  calls                    INTEGER NOT NULL,
  ok_calls                 INTEGER NOT NULL,
  error_calls              INTEGER NOT NULL,
  cancelled_calls          INTEGER NOT NULL,
  partial_calls            INTEGER NOT NULL,
  input_tokens             INTEGER NOT NULL,
  output_tokens            INTEGER NOT NULL,
  cache_creation_5m_tokens INTEGER NOT NULL,
  cache_creation_1h_tokens INTEGER NOT NULL,
  cache_read_tokens        INTEGER NOT NULL,
  thinking_tokens          INTEGER NOT NULL,
  server_tool_requests     INTEGER NOT NULL,
  cost_input_nano          INTEGER NOT NULL,
  cost_output_nano         INTEGER NOT NULL,
  cost_cache_write_nano    INTEGER NOT NULL,
  cost_cache_read_nano     INTEGER NOT NULL,
  cost_server_tools_nano   INTEGER NOT NULL,
  cost_total_nano          INTEGER NOT NULL,
  latency_count            INTEGER NOT NULL,
  latency_sum_ms           INTEGER NOT NULL,
  wait_sum_ms              INTEGER NOT NULL,
  latency_max_ms           INTEGER NOT NULL,
  first_minute             INTEGER NOT NULL,
  last_minute              INTEGER NOT NULL,
  PRIMARY KEY (mission_id, team_id, agent_id, model)
) STRICT, WITHOUT ROWID;

CREATE INDEX call_totals_by_team ON call_totals (team_id);
CREATE INDEX call_totals_by_agent ON call_totals (agent_id);

-- Latency histogram of completed calls per minute, mission and model: percentiles
-- without sorting raw rows.
CREATE TABLE call_latency_minutes (
  minute     INTEGER NOT NULL,
  mission_id TEXT    NOT NULL,
  model      TEXT    NOT NULL,
  upper_ms   INTEGER NOT NULL,
  calls      INTEGER NOT NULL,
  PRIMARY KEY (minute, mission_id, model, upper_ms)
) STRICT, WITHOUT ROWID;

CREATE INDEX call_latency_minutes_by_mission ON call_latency_minutes (mission_id, minute);

-- The same histogram for all time: percentiles without a range read a few thousand rows
-- instead of one per minute, mission, model and bucket.
CREATE TABLE call_latency_totals (
  mission_id TEXT    NOT NULL,
  model      TEXT    NOT NULL,
  upper_ms   INTEGER NOT NULL,
  calls      INTEGER NOT NULL,
  PRIMARY KEY (mission_id, model, upper_ms)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER calls_roll_up AFTER INSERT ON calls
BEGIN
  INSERT INTO call_minutes (minute, mission_id, team_id, agent_id, model, pool, latency_max_ms, calls, ok_calls, error_calls, cancelled_calls, partial_calls, input_tokens, output_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens, cache_read_tokens, thinking_tokens, server_tool_requests, cost_input_nano, cost_output_nano, cost_cache_write_nano, cost_cache_read_nano, cost_server_tools_nano, cost_total_nano, latency_count, latency_sum_ms, wait_sum_ms)
  VALUES (
    NEW.ended_at / 60000,
    coalesce(NEW.mission_id, ''),
    coalesce(NEW.team_id, ''),
    coalesce(NEW.agent_id, ''),
    NEW.model_requested,
    NEW.pool,
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    1,
    NEW.status = 'ok',
    NEW.status = 'error',
    NEW.status = 'cancelled',
    NEW.status = 'partial',
    NEW.input_tokens,
    NEW.output_tokens,
    NEW.cache_creation_5m_tokens,
    NEW.cache_creation_1h_tokens,
    NEW.cache_read_tokens,
    NEW.thinking_tokens,
    NEW.server_tool_requests,
    NEW.cost_input_nano,
    NEW.cost_output_nano,
    NEW.cost_cache_write_nano,
    NEW.cost_cache_read_nano,
    NEW.cost_server_tools_nano,
    NEW.cost_total_nano,
    NEW.status = 'ok',
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    coalesce(NEW.wait_ms, 0)
  )
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    ok_calls = ok_calls + excluded.ok_calls,
    error_calls = error_calls + excluded.error_calls,
    cancelled_calls = cancelled_calls + excluded.cancelled_calls,
    partial_calls = partial_calls + excluded.partial_calls,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_creation_5m_tokens = cache_creation_5m_tokens + excluded.cache_creation_5m_tokens,
    cache_creation_1h_tokens = cache_creation_1h_tokens + excluded.cache_creation_1h_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    thinking_tokens = thinking_tokens + excluded.thinking_tokens,
    server_tool_requests = server_tool_requests + excluded.server_tool_requests,
    cost_input_nano = cost_input_nano + excluded.cost_input_nano,
    cost_output_nano = cost_output_nano + excluded.cost_output_nano,
    cost_cache_write_nano = cost_cache_write_nano + excluded.cost_cache_write_nano,
    cost_cache_read_nano = cost_cache_read_nano + excluded.cost_cache_read_nano,
    cost_server_tools_nano = cost_server_tools_nano + excluded.cost_server_tools_nano,
    cost_total_nano = cost_total_nano + excluded.cost_total_nano,
    latency_count = latency_count + excluded.latency_count,
    latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
    wait_sum_ms = wait_sum_ms + excluded.wait_sum_ms,
    latency_max_ms = max(latency_max_ms, excluded.latency_max_ms);

  INSERT INTO call_mission_minutes (minute, mission_id, model, pool, latency_max_ms, calls, ok_calls, error_calls, cancelled_calls, partial_calls, input_tokens, output_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens, cache_read_tokens, thinking_tokens, server_tool_requests, cost_input_nano, cost_output_nano, cost_cache_write_nano, cost_cache_read_nano, cost_server_tools_nano, cost_total_nano, latency_count, latency_sum_ms, wait_sum_ms)
  VALUES (
    NEW.ended_at / 60000,
    coalesce(NEW.mission_id, ''),
    NEW.model_requested,
    NEW.pool,
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    1,
    NEW.status = 'ok',
    NEW.status = 'error',
    NEW.status = 'cancelled',
    NEW.status = 'partial',
    NEW.input_tokens,
    NEW.output_tokens,
    NEW.cache_creation_5m_tokens,
    NEW.cache_creation_1h_tokens,
    NEW.cache_read_tokens,
    NEW.thinking_tokens,
    NEW.server_tool_requests,
    NEW.cost_input_nano,
    NEW.cost_output_nano,
    NEW.cost_cache_write_nano,
    NEW.cost_cache_read_nano,
    NEW.cost_server_tools_nano,
    NEW.cost_total_nano,
    NEW.status = 'ok',
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    coalesce(NEW.wait_ms, 0)
  )
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    ok_calls = ok_calls + excluded.ok_calls,
    error_calls = error_calls + excluded.error_calls,
    cancelled_calls = cancelled_calls + excluded.cancelled_calls,
    partial_calls = partial_calls + excluded.partial_calls,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_creation_5m_tokens = cache_creation_5m_tokens + excluded.cache_creation_5m_tokens,
    cache_creation_1h_tokens = cache_creation_1h_tokens + excluded.cache_creation_1h_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    thinking_tokens = thinking_tokens + excluded.thinking_tokens,
    server_tool_requests = server_tool_requests + excluded.server_tool_requests,
    cost_input_nano = cost_input_nano + excluded.cost_input_nano,
    cost_output_nano = cost_output_nano + excluded.cost_output_nano,
    cost_cache_write_nano = cost_cache_write_nano + excluded.cost_cache_write_nano,
    cost_cache_read_nano = cost_cache_read_nano + excluded.cost_cache_read_nano,
    cost_server_tools_nano = cost_server_tools_nano + excluded.cost_server_tools_nano,
    cost_total_nano = cost_total_nano + excluded.cost_total_nano,
    latency_count = latency_count + excluded.latency_count,
    latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
    wait_sum_ms = wait_sum_ms + excluded.wait_sum_ms,
    latency_max_ms = max(latency_max_ms, excluded.latency_max_ms);

  INSERT INTO call_totals (mission_id, team_id, agent_id, model, pool, latency_max_ms, first_minute, last_minute, calls, ok_calls, error_calls, cancelled_calls, partial_calls, input_tokens, output_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens, cache_read_tokens, thinking_tokens, server_tool_requests, cost_input_nano, cost_output_nano, cost_cache_write_nano, cost_cache_read_nano, cost_server_tools_nano, cost_total_nano, latency_count, latency_sum_ms, wait_sum_ms)
  VALUES (
    coalesce(NEW.mission_id, ''),
    coalesce(NEW.team_id, ''),
    coalesce(NEW.agent_id, ''),
    NEW.model_requested,
    NEW.pool,
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    NEW.ended_at / 60000,
    NEW.ended_at / 60000,
    1,
    NEW.status = 'ok',
    NEW.status = 'error',
    NEW.status = 'cancelled',
    NEW.status = 'partial',
    NEW.input_tokens,
    NEW.output_tokens,
    NEW.cache_creation_5m_tokens,
    NEW.cache_creation_1h_tokens,
    NEW.cache_read_tokens,
    NEW.thinking_tokens,
    NEW.server_tool_requests,
    NEW.cost_input_nano,
    NEW.cost_output_nano,
    NEW.cost_cache_write_nano,
    NEW.cost_cache_read_nano,
    NEW.cost_server_tools_nano,
    NEW.cost_total_nano,
    NEW.status = 'ok',
    CASE WHEN NEW.status = 'ok' THEN NEW.ended_at - NEW.started_at ELSE 0 END,
    coalesce(NEW.wait_ms, 0)
  )
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    ok_calls = ok_calls + excluded.ok_calls,
    error_calls = error_calls + excluded.error_calls,
    cancelled_calls = cancelled_calls + excluded.cancelled_calls,
    partial_calls = partial_calls + excluded.partial_calls,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_creation_5m_tokens = cache_creation_5m_tokens + excluded.cache_creation_5m_tokens,
    cache_creation_1h_tokens = cache_creation_1h_tokens + excluded.cache_creation_1h_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    thinking_tokens = thinking_tokens + excluded.thinking_tokens,
    server_tool_requests = server_tool_requests + excluded.server_tool_requests,
    cost_input_nano = cost_input_nano + excluded.cost_input_nano,
    cost_output_nano = cost_output_nano + excluded.cost_output_nano,
    cost_cache_write_nano = cost_cache_write_nano + excluded.cost_cache_write_nano,
    cost_cache_read_nano = cost_cache_read_nano + excluded.cost_cache_read_nano,
    cost_server_tools_nano = cost_server_tools_nano + excluded.cost_server_tools_nano,
    cost_total_nano = cost_total_nano + excluded.cost_total_nano,
    latency_count = latency_count + excluded.latency_count,
    latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
    wait_sum_ms = wait_sum_ms + excluded.wait_sum_ms,
    latency_max_ms = max(latency_max_ms, excluded.latency_max_ms),
    first_minute = min(first_minute, excluded.first_minute),
    last_minute = max(last_minute, excluded.last_minute);

  INSERT INTO call_latency_minutes (minute, mission_id, model, upper_ms, calls)
  SELECT
    NEW.ended_at / 60000,
    coalesce(NEW.mission_id, ''),
    NEW.model_requested,
    (SELECT upper_ms FROM call_latency_buckets WHERE upper_ms >= NEW.ended_at - NEW.started_at
      ORDER BY upper_ms LIMIT 1),
    1
  WHERE NEW.status = 'ok'
  ON CONFLICT DO UPDATE SET calls = calls + 1;

  INSERT INTO call_latency_totals (mission_id, model, upper_ms, calls)
  SELECT
    coalesce(NEW.mission_id, ''),
    NEW.model_requested,
    (SELECT upper_ms FROM call_latency_buckets WHERE upper_ms >= NEW.ended_at - NEW.started_at
      ORDER BY upper_ms LIMIT 1),
    1
  WHERE NEW.status = 'ok'
  ON CONFLICT DO UPDATE SET calls = calls + 1;
END;

-- The ledger is append-only: a recorded attempt is never rewritten or removed, so the
-- roll-ups above never need to subtract.
CREATE TRIGGER calls_no_update BEFORE UPDATE ON calls
BEGIN
  SELECT RAISE(ABORT, 'calls are append-only');
END;

CREATE TRIGGER calls_no_delete BEFORE DELETE ON calls
BEGIN
  SELECT RAISE(ABORT, 'calls are append-only');
END;
