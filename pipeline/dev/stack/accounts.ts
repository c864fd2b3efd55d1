/**
 * The accounts of the local stack's source databases, beside the connector users of the endpoints
 * (`STOCKSYNC_POS_USER`, `STOCKSYNC_WAREHOUSE_USER`, …), which may only read (docs/security.md):
 *
 * - the **sample application** account of each source (`STOCKSYNC_<NAME>_APP_USER`,
 *   `_APP_PASSWORD`; default `stocksync_app`/`stocksync_app`; ERPNext's default to the POS's): it
 *   owns the sample tables and is what the seed, the workload, the load generator and the tests
 *   write with, as the retailer's POS or ERP application would;
 * - the **administrator** of each source server, reached only through the server's own Unix socket
 *   by the operating-system user running the stack (MariaDB `root` through `unix_socket`,
 *   PostgreSQL `postgres` through `peer`): no password exists, and neither logs in over TCP.
 */
import path from 'node:path';
import { databaseVariables, stackEndpoints, type DatabaseEndpoint, type Environment } from '../../src/config/endpoints.ts';
import { stackPaths, type StackPaths } from './paths.ts';

/** A sample source: the databases the sample application writes. */
export type SampleSource = 'pos' | 'erpnext' | 'warehouse';

/** The sample application's default user and password on every source. */
export const SAMPLE_APP_DEFAULT = 'stocksync_app';

/**
 * The names of the application account variables of source `name`: `STOCKSYNC_<NAME>_APP_USER`
 * and `STOCKSYNC_<NAME>_APP_PASSWORD`.
 */
export function appVariables(name: SampleSource): { user: string; password: string } {
  const v = databaseVariables(`${name}_app`);
  return { user: v.user, password: v.password };
}

/**
 * The sample application's endpoint on a source: `endpoint` (the connector's: host, port,
 * database) with the application's user and password. ERPNext's default to the POS's, as its
 * database lives on the POS server.
 */
export function sampleWriter(name: SampleSource, endpoint: DatabaseEndpoint, env: Environment = process.env): DatabaseEndpoint {
  const own = appVariables(name);
  const pos = appVariables('pos');
  const user = env[own.user] ?? (name === 'erpnext' ? env[pos.user] : undefined) ?? SAMPLE_APP_DEFAULT;
  const password = env[own.password] ?? (name === 'erpnext' ? env[pos.password] : undefined) ?? SAMPLE_APP_DEFAULT;
  return { ...endpoint, user, password };
}

/** The sample application's endpoints of the three sources, from the connector endpoints. */
export function sampleWriters<E extends Record<SampleSource, DatabaseEndpoint>>(endpoints: E, env: Environment = process.env): E {
  return {
    ...endpoints,
    pos: sampleWriter('pos', endpoints.pos, env),
    erpnext: sampleWriter('erpnext', endpoints.erpnext, env),
    warehouse: sampleWriter('warehouse', endpoints.warehouse, env),
  };
}

/** The POS MariaDB's Unix socket: where its `root` logs in (`unix_socket`), and only there. */
export function posSocket(paths: StackPaths = stackPaths()): string {
  return path.join(paths.data, 'pos-mariadb', 'mariadbd.sock');
}

/** The warehouse PostgreSQL's socket directory: where `postgres` logs in (`peer`), and only there. */
export function warehouseSocketDir(paths: StackPaths = stackPaths()): string {
  return path.join(paths.data, 'wms-postgres');
}

/** mysql2 options of the POS server's administrator (`root` over the socket), on `database` if given. */
export function posAdmin(database?: string, paths: StackPaths = stackPaths()): { socketPath: string; user: string; database?: string } {
  return { socketPath: posSocket(paths), user: 'root', ...(database ? { database } : {}) };
}

/** pg options of the warehouse server's administrator (`postgres` over the socket) on `database`. */
export function warehouseAdmin(database = 'postgres', paths: StackPaths = stackPaths()): { host: string; port: number; user: string; database: string } {
  return { host: warehouseSocketDir(paths), port: stackEndpoints().warehouse.port, user: 'postgres', database };
}

/**
 * The global privileges the Debezium MySQL/MariaDB connector needs (Debezium's documentation:
 * SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT; MariaDB 10.5.2 and later
 * call REPLICATION CLIENT `BINLOG MONITOR`, and grant it under either name).
 */
export const POS_CONNECTOR_PRIVILEGES = 'SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT';
