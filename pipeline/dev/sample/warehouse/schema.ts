/**
 * Schema of the sample warehouse database, shaped like Odoo's stock module on PostgreSQL (table
 * and column names as Odoo creates them, reduced to what stock needs).
 *
 * Target: PostgreSQL 15, schema `public` of the client's database.
 */
import path from 'node:path';
import type { Client } from 'pg';
import { connectorsDir, loadConnector } from '../../../src/connectors/apply.ts';
import { createPostgresSignalTable } from '../shared/signal-table.ts';
import { stackEndpoints } from '../../../src/config/endpoints.ts';

/** Tables of the warehouse schema, parents first. */
export const WAREHOUSE_TABLES = ['stock_location', 'product_product', 'stock_lot', 'stock_quant'] as const;

/**
 * DDL statements, in execution order. Idempotent (`IF NOT EXISTS`; `REPLICA IDENTITY` is a no-op
 * when already set). Quantities are NUMERIC without precision or scale, as Odoo declares them, so
 * values like `2.125` are stored exactly; timestamps are `timestamp without time zone` in UTC.
 */
export const WAREHOUSE_SCHEMA_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS stock_location (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,
    usage varchar NOT NULL CHECK (usage IN ('supplier', 'view', 'internal', 'customer', 'inventory', 'production', 'transit')),
    location_id integer NULL REFERENCES stock_location (id) ON DELETE CASCADE
  )`,

  `CREATE TABLE IF NOT EXISTS product_product (
    id serial PRIMARY KEY,
    default_code varchar NULL,
    name varchar NOT NULL,
    active boolean NOT NULL DEFAULT true
  )`,
  `CREATE INDEX IF NOT EXISTS product_product_default_code_index ON product_product (default_code)`,

  `CREATE TABLE IF NOT EXISTS stock_lot (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    product_id integer NOT NULL REFERENCES product_product (id) ON DELETE RESTRICT
  )`,

  `CREATE TABLE IF NOT EXISTS stock_quant (
    id serial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES product_product (id) ON DELETE RESTRICT,
    location_id integer NOT NULL REFERENCES stock_location (id) ON DELETE RESTRICT,
    lot_id integer NULL REFERENCES stock_lot (id) ON DELETE RESTRICT,
    quantity numeric NOT NULL,
    reserved_quantity numeric NOT NULL DEFAULT 0,
    in_date timestamp without time zone,
    write_date timestamp(6) without time zone
  )`,
  `CREATE INDEX IF NOT EXISTS stock_quant_product_location_index ON stock_quant (product_id, location_id)`,

  // With the default replica identity (the primary key) a DELETE is logged with only the old `id`,
  // and an UPDATE carries no old row at all. Odoo deletes quants that reach zero, so the pipeline
  // would get a delete it cannot attribute to a product and location, nor subtract. FULL makes the
  // WAL (and so Debezium's `before`) carry the whole old row for updates and deletes.
  `ALTER TABLE stock_quant REPLICA IDENTITY FULL`,
];

/**
 * Creates the warehouse tables in the client's current database (missing objects only).
 *
 * @param client - a connected `pg.Client` (a `PoolClient` works too).
 */
export async function createWarehouseSchema(client: Client): Promise<void> {
  for (const ddl of WAREHOUSE_SCHEMA_DDL) await client.query(ddl);
  await createPostgresSignalTable(client, stackEndpoints().warehouse.user);
  await publishCapturedTables(client);
}

/**
 * Creates (or sets the tables of) the publication the warehouse connector streams from
 * (`publication.name` of `connectors/debezium/warehouse.json`, over its `table.include.list`), as
 * the tables' owner: the connector runs with `publication.autocreate.mode=disabled`, so its user
 * needs REPLICATION and SELECT only, not ownership of the tables (docs/sources.md). A captured
 * table missing from the current database is left out. Names escaped by the driver.
 */
export async function publishCapturedTables(client: Client): Promise<void> {
  const connector = loadConnector(path.join(connectorsDir, 'warehouse.json'));
  const publication = connector.config['publication.name'];
  if (!publication) return;
  const wanted = (connector.config['table.include.list'] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const { rows } = await client.query<{ name: string }>(
    "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname || '.' || c.relname = ANY($1)",
    [wanted],
  );
  const tables = rows
    .map((r) =>
      r.name
        .split('.')
        .map((part) => client.escapeIdentifier(part))
        .join('.'),
    )
    .sort()
    .join(', ');
  if (tables === '') return;
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  const name = client.escapeIdentifier(publication);
  await client.query(exists.rowCount === 0 ? `CREATE PUBLICATION ${name} FOR TABLE ${tables}` : `ALTER PUBLICATION ${name} SET TABLE ${tables}`);
}
