-- Settings a person edits (pool limits, alert thresholds, price table, idle timeout).
-- One row per key holding validated JSON; every change is kept in settings_changes, so
-- a change of prices or limits can be traced like any other human decision.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE settings_changes (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  changed_at TEXT NOT NULL
) STRICT;
