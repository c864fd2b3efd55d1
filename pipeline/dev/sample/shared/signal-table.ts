/**
 * Debezium's signal table (`debezium_signal`) in each sample source database, as a retailer adds it
 * once to a source for reconciliation repairs (docs/reconciliation.md): the connectors name it in
 * `signal.data.collection`, and `stocksync reconcile --repair` inserts `execute-snapshot` signals
 * into it. Structure from Debezium's "Sending signals to a Debezium connector": three columns,
 * `id` (a unique string), `type` and `data` (JSON text).
 */
import type { Connection } from 'mysql2/promise';
import type { Client } from 'pg';

/** The signal table's name in every sample source. */
export const SIGNAL_TABLE = 'debezium_signal';

/** Creates the signal table in a MariaDB database (the connection's current one) if missing. */
export async function createMariadbSignalTable(conn: Connection): Promise<void> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${SIGNAL_TABLE} (id varchar(64) NOT NULL, type varchar(32) NOT NULL, data mediumtext NULL, PRIMARY KEY (id))
     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
}

/** Creates the signal table in a PostgreSQL database's `public` schema if missing. */
export async function createPostgresSignalTable(client: Client): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS public.${SIGNAL_TABLE} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)`);
}
