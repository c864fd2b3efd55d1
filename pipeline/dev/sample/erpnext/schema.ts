/**
 * Schema of the sample ERPNext database: the tables ERPNext's stock module keeps on MariaDB, with the
 * column names and types the Frappe framework creates for them, reduced to what stock needs.
 *
 * Frappe's rules, which the DDL below follows: one table `tab<DocType>` per document type (a space
 * in the DocType stays in the table name: `tabStock Ledger Entry`); a string primary key
 * `name varchar(140)` (item code, warehouse name, or a naming series such as `MAT-BIN-2026-00001`);
 * the standard columns `creation`/`modified datetime(6)`, `modified_by`/`owner varchar(140)`,
 * `docstatus int(1)` (0 draft, 1 submitted, 2 cancelled) and `idx int(8)`; Float and Currency fields
 * as `decimal(21,9)`; Check fields as `int(1)`; Link and Data fields as `varchar(140)`; Date as
 * `date`, Time as `time(6)`; naming-series counters in `tabSeries`.
 *
 * The sample lives in its own database (`erpnext` by default) on the stack's binlog-enabled POS
 * MariaDB instance (the stack's `erpnext` endpoint, `STOCKSYNC_ERPNEXT_*`, config/endpoints.ts),
 * captured by its own connector (`connectors/debezium/erpnext.json`).
 *
 * Target: MariaDB 10.11, InnoDB, utf8mb4 (Frappe's default collation utf8mb4_unicode_ci).
 */
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { connectionOptions, stackEndpoints, type DatabaseEndpoint } from '../../../src/config/endpoints.ts';
import { sampleWriter } from '../../stack/accounts.ts';
import { createMariadbSignalTable } from '../shared/signal-table.ts';

/** Tables the ERPNext connector captures, dimensions first. */
export const ERPNEXT_CAPTURED_TABLES = ['tabItem', 'tabWarehouse', 'tabBin', 'tabStock Ledger Entry'] as const;

/** Every table of the sample schema (captured ones plus Frappe's naming-series counters). */
export const ERPNEXT_TABLES = [...ERPNEXT_CAPTURED_TABLES, 'tabSeries'] as const;

/** One of {@link ERPNEXT_TABLES}. */
export type ErpnextTable = (typeof ERPNEXT_TABLES)[number];

const TABLE_OPTIONS = 'ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** Frappe's standard columns, first in every `tab*` table. */
const STANDARD_COLUMNS = `
    name varchar(140) NOT NULL,
    creation datetime(6) DEFAULT NULL,
    modified datetime(6) DEFAULT NULL,
    modified_by varchar(140) DEFAULT NULL,
    owner varchar(140) DEFAULT NULL,
    docstatus int(1) NOT NULL DEFAULT 0,
    idx int(8) NOT NULL DEFAULT 0,`;

/** Columns Frappe adds to every non-child DocType for tags, comments, assignments and likes. */
const META_COLUMNS = `
    _user_tags text DEFAULT NULL,
    _comments text DEFAULT NULL,
    _assign text DEFAULT NULL,
    _liked_by text DEFAULT NULL,`;

/** A Float or Currency field as Frappe declares it. */
const float = (column: string): string => `${column} decimal(21,9) NOT NULL DEFAULT 0.000000000,`;
/** A Check field as Frappe declares it. */
const check = (column: string, dflt = 0): string => `${column} int(1) NOT NULL DEFAULT ${dflt},`;

/**
 * DDL statements, in execution order. Idempotent (`CREATE TABLE IF NOT EXISTS`). Table names are
 * quoted with backticks throughout, as `tabStock Ledger Entry` requires.
 */
export const ERPNEXT_SCHEMA_DDL: readonly string[] = [
  // Naming series: `current` is the last number handed out for the prefix (e.g. 'MAT-SLE-2026-').
  `CREATE TABLE IF NOT EXISTS \`tabSeries\` (
    name varchar(100) NOT NULL,
    current int(10) NOT NULL DEFAULT 0,
    PRIMARY KEY (name)
  ) ${TABLE_OPTIONS}`,

  // Item: name = item_code. is_stock_item = 0 for services (no bins, no ledger). safety_stock is
  // ERPNext's item-level safety stock (in stock_uom), not per warehouse.
  `CREATE TABLE IF NOT EXISTS \`tabItem\` (${STANDARD_COLUMNS}
    naming_series varchar(140) DEFAULT NULL,
    item_code varchar(140) DEFAULT NULL,
    variant_of varchar(140) DEFAULT NULL,
    item_name varchar(140) DEFAULT NULL,
    item_group varchar(140) DEFAULT NULL,
    stock_uom varchar(140) DEFAULT NULL,
    ${check('disabled')}
    ${check('allow_alternative_item')}
    ${check('is_stock_item', 1)}
    ${check('has_variants')}
    ${float('opening_stock')}
    ${float('valuation_rate')}
    ${float('standard_rate')}
    ${check('is_fixed_asset')}
    description longtext DEFAULT NULL,
    brand varchar(140) DEFAULT NULL,
    ${check('has_batch_no')}
    ${check('has_serial_no')}
    ${float('safety_stock')}
    valuation_method varchar(140) DEFAULT NULL,
    ${float('weight_per_unit')}
    weight_uom varchar(140) DEFAULT NULL,${META_COLUMNS}
    PRIMARY KEY (name),
    UNIQUE KEY item_code (item_code),
    KEY item_name (item_name),
    KEY item_group (item_group),
    KEY modified (modified)
  ) ${TABLE_OPTIONS}`,

  // Warehouse: name = '<warehouse_name> - <company abbr>'. A nested set (lft, rgt) under the group
  // warehouse 'All Warehouses - ABC'; stock is only ever held in non-group warehouses.
  `CREATE TABLE IF NOT EXISTS \`tabWarehouse\` (${STANDARD_COLUMNS}
    ${check('disabled')}
    warehouse_name varchar(140) DEFAULT NULL,
    ${check('is_group')}
    parent_warehouse varchar(140) DEFAULT NULL,
    ${check('is_rejected_warehouse')}
    account varchar(140) DEFAULT NULL,
    company varchar(140) DEFAULT NULL,
    warehouse_type varchar(140) DEFAULT NULL,
    default_in_transit_warehouse varchar(140) DEFAULT NULL,
    lft int(11) NOT NULL DEFAULT 0,
    rgt int(11) NOT NULL DEFAULT 0,
    old_parent varchar(140) DEFAULT NULL,${META_COLUMNS}
    PRIMARY KEY (name),
    KEY parent_warehouse (parent_warehouse),
    KEY company (company),
    KEY lft (lft),
    KEY rgt (rgt),
    KEY modified (modified)
  ) ${TABLE_OPTIONS}`,

  // Bin: one row per (item_code, warehouse), the current level. projected_qty = actual_qty +
  // ordered_qty + indented_qty + planned_qty - reserved_qty - reserved_qty_for_production -
  // reserved_qty_for_sub_contract (ERPNext's Bin.set_projected_qty).
  `CREATE TABLE IF NOT EXISTS \`tabBin\` (${STANDARD_COLUMNS}
    item_code varchar(140) DEFAULT NULL,
    warehouse varchar(140) DEFAULT NULL,
    ${float('actual_qty')}
    ${float('planned_qty')}
    ${float('indented_qty')}
    ${float('ordered_qty')}
    ${float('projected_qty')}
    ${float('reserved_qty')}
    ${float('reserved_qty_for_production')}
    ${float('reserved_qty_for_sub_contract')}
    ${float('reserved_qty_for_production_plan')}
    ${float('reserved_stock')}
    stock_uom varchar(140) DEFAULT NULL,
    ${float('valuation_rate')}
    ${float('stock_value')}${META_COLUMNS}
    PRIMARY KEY (name),
    UNIQUE KEY unique_item_warehouse (item_code, warehouse),
    KEY warehouse (warehouse),
    KEY modified (modified)
  ) ${TABLE_OPTIONS}`,

  // Stock Ledger Entry: one signed movement (actual_qty) per item, warehouse and voucher line,
  // submitted (docstatus 1) and never deleted. Cancelling a voucher sets is_cancelled = 1 on its
  // entries and inserts reversing entries (actual_qty negated) that also carry is_cancelled = 1.
  `CREATE TABLE IF NOT EXISTS \`tabStock Ledger Entry\` (${STANDARD_COLUMNS}
    item_code varchar(140) DEFAULT NULL,
    warehouse varchar(140) DEFAULT NULL,
    posting_date date DEFAULT NULL,
    posting_time time(6) DEFAULT NULL,
    posting_datetime datetime(6) DEFAULT NULL,
    ${check('is_adjustment_entry')}
    ${check('auto_created_serial_and_batch_bundle')}
    voucher_type varchar(140) DEFAULT NULL,
    voucher_no varchar(140) DEFAULT NULL,
    voucher_detail_no varchar(140) DEFAULT NULL,
    serial_and_batch_bundle varchar(140) DEFAULT NULL,
    dependant_sle_voucher_detail_no varchar(140) DEFAULT NULL,
    ${check('recalculate_rate')}
    ${float('actual_qty')}
    ${float('qty_after_transaction')}
    ${float('incoming_rate')}
    ${float('outgoing_rate')}
    ${float('valuation_rate')}
    ${float('stock_value')}
    ${float('stock_value_difference')}
    stock_queue text DEFAULT NULL,
    company varchar(140) DEFAULT NULL,
    stock_uom varchar(140) DEFAULT NULL,
    project varchar(140) DEFAULT NULL,
    fiscal_year varchar(140) DEFAULT NULL,
    ${check('has_batch_no')}
    ${check('has_serial_no')}
    ${check('is_cancelled')}
    ${check('to_rename', 1)}
    serial_no longtext DEFAULT NULL,
    batch_no varchar(140) DEFAULT NULL,
    PRIMARY KEY (name),
    KEY item_code (item_code),
    KEY warehouse (warehouse),
    KEY posting_date (posting_date),
    KEY voucher_no_voucher_type (voucher_no, voucher_type),
    KEY item_warehouse (item_code, warehouse),
    KEY posting_datetime_creation_index (posting_datetime, creation),
    KEY modified (modified)
  ) ${TABLE_OPTIONS}`,
];

/**
 * Creates the ERPNext tables in the connection's current database (missing tables only).
 *
 * @param conn - a mysql2/promise connection opened with a `database` (the schema to fill).
 * @throws Error when the connection has no current database.
 */
export async function createErpnextSchema(conn: Connection): Promise<void> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  if (!rows[0]?.db) throw new Error('createErpnextSchema: the connection has no current database; open it with { database }');
  for (const ddl of ERPNEXT_SCHEMA_DDL) await conn.query(ddl);
  await createMariadbSignalTable(conn);
}

/**
 * Creates the database of `endpoint` on its server if it does not exist (utf8mb4_unicode_ci, as
 * Frappe creates site databases). The user needs CREATE privilege on it (the stack's sample application, `stocksync_app`, has every privilege on it).
 */
export async function ensureErpnextDatabase(endpoint: DatabaseEndpoint = sampleWriter('erpnext', stackEndpoints().erpnext)): Promise<void> {
  if (!/^\w+$/.test(endpoint.database)) throw new Error(`ensureErpnextDatabase: unsupported database name ${JSON.stringify(endpoint.database)}`);
  const { database, ...server } = connectionOptions(endpoint);
  const admin = await mysql.createConnection(server);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
}

/**
 * Opens a connection to the ERPNext sample database, creating the database and the tables first
 * when missing — what a caller needs before seeding or applying the ERPNext connector.
 *
 * @param endpoint - defaults to the stack's `erpnext` endpoint (`STOCKSYNC_ERPNEXT_*`; by default
 *   the POS server, database `erpnext`).
 */
export async function openErpnext(endpoint: DatabaseEndpoint = sampleWriter('erpnext', stackEndpoints().erpnext)): Promise<Connection> {
  await ensureErpnextDatabase(endpoint);
  const conn = await mysql.createConnection(connectionOptions(endpoint));
  try {
    await createErpnextSchema(conn);
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw err;
  }
  return conn;
}
