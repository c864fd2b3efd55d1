-- The canonical stock store. Quantities are NUMERIC (exact) in the SKU's stock unit.

-- One row per (sku, location): what every channel reads.
CREATE TABLE stock_level (
  sku             text        NOT NULL,
  location        text        NOT NULL,
  on_hand         numeric     NOT NULL,
  reserved        numeric     NOT NULL DEFAULT 0,
  available       numeric     GENERATED ALWAYS AS (on_hand - reserved) STORED,
  source          text        NOT NULL,
  -- The source change that produced this version: binlog file:pos#row, or lsn:X/Y.
  source_position text        NOT NULL,
  source_ts_ms    bigint,
  version         bigint      NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (sku, location)
);

-- The latest image of every captured source row that feeds a level, with the source position of
-- its last change (docs/design.md invariant 3: a change at or before it is skipped). Deleted rows are
-- kept, flagged, so a replayed older insert cannot bring them back.
CREATE TABLE source_row (
  source          text        NOT NULL,
  table_name      text        NOT NULL,
  row_key         text        NOT NULL,
  -- Source ids, before dimension lookups.
  product_ref     text,
  location_ref    text,
  on_hand         numeric     NOT NULL DEFAULT 0,
  reserved        numeric     NOT NULL DEFAULT 0,
  deleted         boolean     NOT NULL DEFAULT false,
  position        numeric     NOT NULL,
  position_text   text        NOT NULL,
  source_ts_ms    bigint,
  -- Resolved canonical key; null while parked (a dimension row is missing) or filtered out.
  sku             text,
  location        text,
  -- mapped | parked | filtered | not-authoritative
  status          text        NOT NULL,
  status_reason   text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, table_name, row_key)
);
CREATE INDEX source_row_product ON source_row (source, product_ref);
CREATE INDEX source_row_location ON source_row (source, location_ref);
CREATE INDEX source_row_key ON source_row (sku, location) WHERE status = 'mapped';

-- Dimension rows (products, locations, ...) read from their CDC topics, joined in the pipeline.
CREATE TABLE dimension_row (
  source          text        NOT NULL,
  dimension       text        NOT NULL,
  dim_key         text        NOT NULL,
  attributes      jsonb,
  deleted         boolean     NOT NULL DEFAULT false,
  position        numeric     NOT NULL,
  position_text   text        NOT NULL,
  PRIMARY KEY (source, dimension, dim_key)
);

-- Transactional outbox: canonical changes written in the merge transaction, published to Redis and
-- stock.levels after it commits, deleted once published (so a crash in between loses nothing).
CREATE TABLE canonical_outbox (
  id              bigserial   PRIMARY KEY,
  sku             text        NOT NULL,
  location        text        NOT NULL,
  version         bigint      NOT NULL,
  payload         jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Counters that must survive restarts and be shared by every pipeline instance.
CREATE TABLE pipeline_counter (
  name            text        PRIMARY KEY,
  value           bigint      NOT NULL
);
