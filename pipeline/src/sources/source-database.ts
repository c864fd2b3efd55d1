/**
 * A mapping file's source database, reached through the connection details of its Debezium
 * connector (`connectors/debezium/*.json`, placeholders filled as this process sees the hosts):
 * so a data engineer writes them once, in the connector config.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectorFiles, loadConnector, placeholderValues, resolveEnvReferences, type ConnectorFile } from '../connectors/apply.ts';
import type { SourceMapping } from '../normalize/index.ts';
import { describeConnectionError } from '../postgres/connection-errors.ts';
import { mariadbExcessPrivileges, postgresExcessPrivileges } from './connector-privileges.ts';

/** A column as the source's information_schema describes it. */
export interface SourceColumn {
  /** information_schema.columns.data_type, lower case (e.g. `double`, `numeric`, `varchar`). */
  dataType: string;
  /**
   * The full column type, lower case: MariaDB's information_schema.columns.column_type (e.g.
   * `tinyint(1)`, `bigint(20) unsigned`); PostgreSQL's data_type.
   */
  columnType: string;
  nullable: boolean;
}

export interface SourceDatabase {
  kind: 'mariadb' | 'postgres';
  connector: ConnectorFile;
  /** MariaDB database, or PostgreSQL schema, holding the mapped tables. */
  namespace: string;
  /** Columns of a table by name, or null when the table does not exist. */
  columns(table: string): Promise<Map<string, SourceColumn> | null>;
  /** Row count of a table. */
  count(table: string): Promise<number>;
  /**
   * What the connector user may do beyond what Debezium needs ({@link excessPrivileges}), one
   * phrase each (e.g. `SUPER`, `INSERT on pos.*`, `superuser`); empty when it has just enough.
   */
  excessPrivileges(): Promise<string[]>;
  close(): Promise<void>;
}

/** The connector config a mapping names (`connector:`), or undefined. */
export function connectorOf(mapping: SourceMapping): ConnectorFile | undefined {
  const values = placeholderValues('cli');
  return connectorFiles()
    .map((file) => loadConnector(file, values))
    .find((c) => c.name === mapping.connector);
}

/**
 * Opens the mapping's source database.
 * @throws Error when the mapping names no connector, the connector is unknown, or the topic prefix
 *   does not start with the connector's topic.prefix; ConnectionError (naming the source, its
 *   connector and endpoint) when the database cannot be reached.
 */
export async function openSourceDatabase(mapping: SourceMapping): Promise<SourceDatabase> {
  if (!mapping.connector) throw new Error(`${mapping.file}: no connector named; the source database is reached through it`);
  const connector = connectorOf(mapping);
  if (!connector) throw new Error(`${mapping.file}: connector "${mapping.connector}" is not in connectors/debezium/`);
  const c = connector.config;
  const prefix = `${c['topic.prefix']}.`;
  if (!mapping.topic_prefix.startsWith(prefix)) {
    throw new Error(`${mapping.file}: topic_prefix "${mapping.topic_prefix}" does not start with the connector's topic.prefix "${c['topic.prefix']}"`);
  }
  const namespace = mapping.topic_prefix.slice(prefix.length);
  const connection = {
    host: c['database.hostname']!,
    port: Number(c['database.port']),
    user: c['database.user']!,
    password: resolveEnvReferences(c['database.password'] ?? ''),
  };

  const component = `${mapping.source} source database (connector ${connector.name})`;
  if (/postgres/i.test(c['connector.class'] ?? '')) {
    const database = c['database.dbname'] ?? '';
    const client = new pg.Client({ ...connection, database });
    await client.connect().catch((error: unknown) => {
      throw describeConnectionError(component, { ...connection, database, kind: 'postgres' }, error);
    });
    return {
      kind: 'postgres',
      connector,
      namespace,
      async columns(table) {
        const res = await client.query<{ column_name: string; data_type: string; is_nullable: string }>(
          'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
          [namespace, table],
        );
        if (res.rows.length === 0) return null;
        return new Map(
          res.rows.map((r) => [
            r.column_name,
            { dataType: r.data_type.toLowerCase(), columnType: r.data_type.toLowerCase(), nullable: r.is_nullable === 'YES' },
          ]),
        );
      },
      async count(table) {
        // Identifiers from the mapping file, escaped by the driver (docs/design.md invariant 8).
        const res = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${client.escapeIdentifier(namespace)}.${client.escapeIdentifier(table)}`,
        );
        return Number(res.rows[0]!.n);
      },
      excessPrivileges: () => postgresExcessPrivileges(client, namespace),
      close: () => client.end(),
    };
  }
  const conn = await mysql.createConnection({ ...connection, database: namespace }).catch((error: unknown) => {
    throw describeConnectionError(component, { ...connection, database: namespace, kind: 'mysql' }, error);
  });
  return {
    kind: 'mariadb',
    connector,
    namespace,
    async columns(table) {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        'SELECT column_name AS name, data_type AS type, column_type AS full_type, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = ? AND table_name = ?',
        [namespace, table],
      );
      if (rows.length === 0) return null;
      return new Map(
        rows.map((r) => [
          String(r.name),
          { dataType: String(r.type).toLowerCase(), columnType: String(r.full_type).toLowerCase(), nullable: r.nullable === 'YES' },
        ]),
      );
    },
    async count(table) {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${mysql.escapeId(table, true)}`);
      return Number(rows[0]!.n);
    },
    excessPrivileges: () => mariadbExcessPrivileges(conn),
    close: () => conn.end(),
  };
}

/** Rows a fresh snapshot of the mapped tables (dimensions and stock tables) will emit. */
export async function snapshotRowCount(mappings: SourceMapping[]): Promise<number> {
  let total = 0;
  for (const mapping of mappings) {
    const db = await openSourceDatabase(mapping);
    try {
      for (const table of [...Object.values(mapping.dimensions).map((d) => d.table), ...Object.keys(mapping.tables)]) {
        total += await db.count(table);
      }
    } finally {
      await db.close();
    }
  }
  return total;
}
