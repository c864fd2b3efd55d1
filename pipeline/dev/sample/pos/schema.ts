/**
 * Schema of the sample POS database, shaped like uniCenta oPOS on MySQL/MariaDB (tables, column
 * names and types as uniCenta creates them, reduced to what stock needs).
 *
 * Target: MariaDB 10.11, InnoDB, utf8mb4.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { createMariadbSignalTable } from '../shared/signal-table.ts';

/** uniCenta `stockdiary.reason` codes (sign = direction of the stock change). */
export const POS_REASON = {
  /** +1 goods received from a supplier. */
  purchase: 1,
  /** +2 customer refund, goods back on the shelf. */
  refund: 2,
  /** +4 movement into this location from another one. */
  movementIn: 4,
  /** -1 sale. */
  sale: -1,
  /** -3 breakage / shrinkage. */
  breakage: -3,
  /** -4 movement out of this location to another one. */
  movementOut: -4,
} as const;

/** One of the {@link POS_REASON} values. */
export type PosReason = (typeof POS_REASON)[keyof typeof POS_REASON];

/** Tables of the POS schema, parents first. */
export const POS_TABLES = ['locations', 'products', 'stockcurrent', 'stockdiary', 'stocklevel'] as const;

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci';

/**
 * DDL statements, in execution order. Idempotent (`CREATE TABLE IF NOT EXISTS`).
 * All quantities (`units`) are DOUBLE as in uniCenta; prices are DOUBLE currency units.
 */
export const POS_SCHEMA_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS locations (
    id varchar(255) NOT NULL,
    name varchar(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY locations_name_inx (name)
  ) ${TABLE_OPTIONS}`,

  `CREATE TABLE IF NOT EXISTS products (
    id varchar(255) NOT NULL,
    reference varchar(255) NOT NULL,
    code varchar(255) NOT NULL,
    name varchar(255) NOT NULL,
    pricebuy double NOT NULL DEFAULT 0,
    pricesell double NOT NULL DEFAULT 0,
    category varchar(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY products_inx_0 (reference),
    KEY products_inx_1 (code)
  ) ${TABLE_OPTIONS}`,

  // No primary key, exactly as uniCenta: only a UNIQUE index whose last column is nullable, so rows
  // with a NULL attributesetinstance_id are NOT protected from duplicates by the index. Debezium
  // therefore sees keyless change events for this table.
  `CREATE TABLE IF NOT EXISTS stockcurrent (
    location varchar(255) NOT NULL,
    product varchar(255) NOT NULL,
    attributesetinstance_id varchar(255) NULL DEFAULT NULL,
    units double NOT NULL,
    UNIQUE KEY stockcurrent_inx (location, product, attributesetinstance_id),
    KEY stockcurrent_fk_1 (product),
    CONSTRAINT stockcurrent_fk_1 FOREIGN KEY (product) REFERENCES products (id),
    CONSTRAINT stockcurrent_fk_2 FOREIGN KEY (location) REFERENCES locations (id)
  ) ${TABLE_OPTIONS}`,

  // committed_at is not uniCenta's: the workload sets it with NOW(6) inside the transaction so that
  // end-to-end latency can be measured in microseconds (binlog event timestamps have 1 s resolution).
  `CREATE TABLE IF NOT EXISTS stockdiary (
    id varchar(255) NOT NULL,
    datenew datetime NOT NULL,
    reason int NOT NULL,
    location varchar(255) NOT NULL,
    product varchar(255) NOT NULL,
    attributesetinstance_id varchar(255) NULL DEFAULT NULL,
    units double NOT NULL,
    price double NOT NULL,
    committed_at datetime(6) NULL DEFAULT NULL,
    PRIMARY KEY (id),
    KEY stockdiary_inx_1 (product, location, attributesetinstance_id),
    KEY stockdiary_inx_2 (datenew),
    KEY stockdiary_fk_2 (location),
    CONSTRAINT stockdiary_fk_1 FOREIGN KEY (product) REFERENCES products (id),
    CONSTRAINT stockdiary_fk_2 FOREIGN KEY (location) REFERENCES locations (id)
  ) ${TABLE_OPTIONS}`,

  // Safety stock (stocksecurity) and maximum per product and location, in units.
  `CREATE TABLE IF NOT EXISTS stocklevel (
    id varchar(255) NOT NULL,
    location varchar(255) NOT NULL,
    product varchar(255) NOT NULL,
    stocksecurity double NULL DEFAULT NULL,
    stockmaximum double NULL DEFAULT NULL,
    PRIMARY KEY (id),
    KEY stocklevel_location (location),
    KEY stocklevel_product (product),
    CONSTRAINT stocklevel_location FOREIGN KEY (location) REFERENCES locations (id),
    CONSTRAINT stocklevel_product FOREIGN KEY (product) REFERENCES products (id)
  ) ${TABLE_OPTIONS}`,
];

/**
 * Creates the POS tables in the connection's current database (missing tables only).
 *
 * @param conn - a mysql2/promise connection opened with a `database` (the schema to fill).
 * @throws Error when the connection has no current database.
 */
export async function createPosSchema(conn: Connection): Promise<void> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  if (!rows[0]?.db) throw new Error('createPosSchema: the connection has no current database; open it with { database }');
  for (const ddl of POS_SCHEMA_DDL) await conn.query(ddl);
  await createMariadbSignalTable(conn);
}
