/**
 * Debezium's signal table (`debezium_signal`) in each sample source database, as a retailer adds it
 * once to a source for reconciliation repairs (docs/reconciliation.md): the connectors name it in
 * `signal.data.collection`, and `stocksync reconcile --repair` inserts `execute-snapshot` signals
 * into it. Structure from Debezium's "Sending signals to a Debezium connector": three columns,
 * `id` (a unique string), `type` and `data` (JSON text).
 */
import mysql from 'mysql2/promise';
import type { Client } from 'pg';

/** The signal table's name in every sample source. */
export const SIGNAL_TABLE = 'debezium_signal';

/**
 * Creates the signal table in a MariaDB database (`database`, else the connection's current one)
 * if missing.
 */
export async function createMariadbSignalTable(conn: mysql.Connection, database?: string): Promise<void> {
  const table = database === undefined ? SIGNAL_TABLE : `${mysql.escapeId(database, true)}.${SIGNAL_TABLE}`;
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id varchar(64) NOT NULL, type varchar(32) NOT NULL, data mediumtext NULL, PRIMARY KEY (id))
     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
}

/**
 * Creates the signal table in a PostgreSQL database's `public` schema if missing, and lets the
 * connector user (`connectorUser`, when that role exists on this server: a test's scratch database
 * may live elsewhere) write it: Debezium writes its incremental-snapshot watermarks there, and
 * `reconcile --repair` its signals (docs/sources.md).
 */
export async function createPostgresSignalTable(client: Client, connectorUser: string): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS public.${SIGNAL_TABLE} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)`);
  const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [connectorUser]);
  if (role.rowCount === 0) return;
  await client.query(`GRANT INSERT, DELETE ON public.${SIGNAL_TABLE} TO ${client.escapeIdentifier(connectorUser)}`);
}
