-- 0010: streamed calls are in the ledger from their message_start. Until now a call's row
-- was written only when its stream ended, so a crash (kill -9, a power cut of the app)
-- in the middle of a stream lost an attempt the API had already billed: message_start
-- carries the input and cache usage, and the account is charged for it from then on.
--
-- Why a separate table rather than a status on `calls`:
--   * `calls` is append-only (triggers refuse UPDATE and DELETE) and its roll-ups
--     (call_minutes, call_totals, ...) only ever add. An "incomplete" calls row later
--     completed would need an UPDATE, a CHECK change (a table rebuild) and triggers that
--     subtract; budgets' running totals read calls by rowid and assume rows never change.
--   * here an attempt gets one row at its message_start: the calls row it would be if the
--     app died now (status 'partial', error_type 'interrupted', the usage message_start
--     reported, priced). When the attempt ends, its calls row is inserted and this row is
--     deleted in the same transaction, so it is in one table or the other, never both.
--   * when an engine starts on the ledger (before any call is admitted), rows left here
--     by a crash are settled: each is inserted into calls as it stands and deleted, in one
--     transaction. calls.request_id is UNIQUE and the insert skips a request id already
--     recorded, so a settled attempt is never counted twice, even if its end had landed.
-- `row_json` holds every calls column but id, as CallsRepository writes them; the columns
-- beside it are for reading (what is in flight, and what it costs so far).
-- Forward-only: once shipped, this file never changes (its hash is checked on open).

CREATE TABLE calls_in_flight (
  request_id      TEXT    PRIMARY KEY,
  mission_id      TEXT,
  started_at      INTEGER NOT NULL,
  -- When message_start arrived (epoch ms).
  seen_at         INTEGER NOT NULL,
  cost_total_nano INTEGER NOT NULL CHECK (cost_total_nano >= 0),
  row_json        TEXT    NOT NULL CHECK (json_valid(row_json))
) STRICT, WITHOUT ROWID;
