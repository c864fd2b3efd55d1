-- Reconciliation (docs/reconciliation.md): one row per `stocksync reconcile` run, and one per
-- difference it found, with what it asked Debezium to snapshot again to repair it and whether the
-- canonical store has agreed with the source since (what, when, why).
CREATE TABLE reconcile_run (
  id              bigserial   PRIMARY KEY,
  started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at     timestamptz,
  -- Sources and channels compared, and whether repairs were asked for.
  scope           text[]      NOT NULL,
  repair          boolean     NOT NULL,
  differences     integer     NOT NULL DEFAULT 0,
  repairs_requested integer   NOT NULL DEFAULT 0,
  repaired        integer     NOT NULL DEFAULT 0,
  unsettled       integer     NOT NULL DEFAULT 0,
  -- The run's report as `stocksync reconcile --json` prints it.
  report          jsonb
);

CREATE TABLE reconcile_difference (
  id              bigserial   PRIMARY KEY,
  run_id          bigint      NOT NULL REFERENCES reconcile_run (id),
  -- A source name, or `channel:<name>` for a channel table.
  scope           text        NOT NULL,
  sku             text        NOT NULL,
  location        text,
  -- on_hand | reserved | safety_stock | missing | unexpected (sources); quantity | missing | unexpected | version-ahead (channels)
  kind            text        NOT NULL,
  expected        jsonb,
  actual          jsonb,
  -- The source rows behind the key, from the source and from the canonical store's source_row.
  source_rows     jsonb,
  -- Where the source read stood (binlog file:pos#row or lsn:X/Y).
  source_position text,
  found_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- The repair asked for: the Debezium signal id (execute-snapshot), or the channel republish.
  repair          text,
  repair_requested_at timestamptz,
  -- When a later check found the canonical store (or channel) agreeing with the source again.
  repaired_at     timestamptz,
  -- Why it could not be repaired through the pipeline, when it could not.
  not_repairable  text
);
CREATE INDEX reconcile_difference_run ON reconcile_difference (run_id);
