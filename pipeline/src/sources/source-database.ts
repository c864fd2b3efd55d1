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
  /**
   * Starts one consistent read of the source (a snapshot transaction on this connection) and says
   * where in the source's log it stands. Pages are then read with {@link ConsistentRead.page}, all
   * from that one snapshot, until {@link ConsistentRead.end}. One read at a time per connection.
   * @throws the driver's error when the source refuses the transaction (e.g. no binlog).
   */
  consistentRead(): Promise<ConsistentRead>;
  /**
   * Inserts one signal row `(id, type, data)` into the table named by the connector's
   * `signal.data.collection` (Debezium's source signalling channel).
   * @throws Error when the connector config names no signal table; the driver's error when the
   *   insert fails (the table is missing, or the connector's account may not insert into it).
   */
  signal(id: string, type: string, data: string): Promise<void>;
  /**
   * A SQL literal for a value, quoted and escaped by the driver for this database (for Debezium's
   * `additional-conditions`, which Debezium splices into its snapshot query: docs/design.md
   * invariant 8 — the value is escaped, never spliced raw). null becomes `NULL`.
   */
  literal(value: string | number | null): string;
  /** An identifier (column name) quoted and escaped by the driver for this database. */
  identifier(name: string): string;
  close(): Promise<void>;
}

/**
 * Where a consistent read stands in the source's log, in the form Debezium's `source` block gives
 * positions: MariaDB/MySQL `{ file, pos }` (the binlog coordinates of the snapshot, MariaDB's
 * `binlog_snapshot_file`/`binlog_snapshot_position`), PostgreSQL `{ lsn }` (the WAL insert
 * position when the snapshot was taken: every transaction the snapshot sees committed before it).
 */
export type ReadPosition = { file: string; pos: number } | { lsn: bigint };

/** One consistent read of a source database (see {@link SourceDatabase.consistentRead}). */
export interface ConsistentRead {
  position: ReadPosition;
  /**
   * One page of `table`: `columns` of the rows after `after` (the `orderBy` values of the previous
   * page's last row, or null for the first page), in `orderBy` order, at most `limit` rows. Values
   * come as the drivers give them: strings for DECIMAL/NUMERIC and 64-bit integers, numbers for
   * other integers and doubles (exactly, over MariaDB's binary protocol), booleans for PostgreSQL
   * booleans, dates as text.
   * @param orderBy - key columns; NOT NULL columns (keyset paging). With a nullable key column
   *   pass `offset` instead of `after` (paging by offset, stable inside one snapshot).
   */
  page(table: string, columns: string[], orderBy: string[], after: unknown[] | null, limit: number, offset?: number): Promise<Array<Record<string, unknown>>>;
  /** Ends the snapshot transaction. */
  end(): Promise<void>;
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
      excessPrivileges: () => postgresExcessPrivileges(client, namespace, connector.config['signal.data.collection']),
      async consistentRead() {
        // The first statement of a REPEATABLE READ transaction takes its snapshot: reading the WAL
        // insert position there gives a position at or after every commit the snapshot sees.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const res = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        const [high, low] = res.rows[0]!.lsn.split('/');
        const lsn = (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
        const q = (name: string) => client.escapeIdentifier(name);
        return {
          position: { lsn },
          async page(table, columns, orderBy, after, limit, offset) {
            const params: unknown[] = [];
            let where = '';
            if (after) {
              where = `WHERE (${orderBy.map(q).join(', ')}) > (${after.map((v) => `$${params.push(v)}`).join(', ')})`;
            }
            const res = await client.query({
              text: `SELECT ${columns.map(q).join(', ')} FROM ${q(namespace)}.${q(table)} ${where}
                     ORDER BY ${orderBy.map((c) => `${q(c)} NULLS FIRST`).join(', ')} LIMIT ${Math.trunc(limit)}${offset ? ` OFFSET ${Math.trunc(offset)}` : ''}`,
              values: params,
              // Text for every type but booleans and 4-byte integers: numerics and int8 stay exact strings.
              types: { getTypeParser: (oid: number) => (oid === 16 ? (v: string) => v === 't' : oid === 23 || oid === 21 ? Number : (v: string) => v) },
            });
            return res.rows as Array<Record<string, unknown>>;
          },
          async end() {
            await client.query('COMMIT');
          },
        };
      },
      async signal(id, type, data) {
        const collection = connector.config['signal.data.collection'];
        if (!collection)
          throw new Error(`connector ${connector.name} names no signal.data.collection: add the signal table to its config (docs/reconciliation.md)`);
        const [schema, table] = collection.split('.');
        await client.query(`INSERT INTO ${client.escapeIdentifier(schema!)}.${client.escapeIdentifier(table!)} (id, type, data) VALUES ($1, $2, $3)`, [
          id,
          type,
          data,
        ]);
      },
      literal: (value) => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : client.escapeLiteral(value)),
      identifier: (name) => client.escapeIdentifier(name),
      close: () => client.end(),
    };
  }
  const conn = await mysql
    .createConnection({ ...connection, database: namespace, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true })
    .catch((error: unknown) => {
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
    excessPrivileges: () => mariadbExcessPrivileges(conn, connector.config['signal.data.collection']),
    async consistentRead() {
      await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      // MariaDB: the binlog coordinates that match the snapshot exactly (no lock needed).
      const [status] = await conn.query<mysql.RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const value = (name: string) => status.find((r) => String(r.Variable_name).toLowerCase() === name)?.Value as string | undefined;
      const file = value('binlog_snapshot_file');
      const pos = value('binlog_snapshot_position');
      if (!file || pos === undefined) {
        await conn.query('ROLLBACK');
        throw new Error(`${component}: the server reports no binlog snapshot position (binlog_snapshot_file): is log_bin on? (MariaDB only)`);
      }
      const q = (name: string) => mysql.escapeId(name, true);
      return {
        position: { file, pos: Number(pos) },
        async page(table, columns, orderBy, after, limit, offset) {
          const where = after ? `WHERE (${orderBy.map(q).join(', ')}) > (${after.map(() => '?').join(', ')})` : '';
          // execute(): the binary protocol gives DOUBLE columns as the exact doubles the binlog holds.
          const [rows] = await conn.execute<mysql.RowDataPacket[]>(
            `SELECT ${columns.map(q).join(', ')} FROM ${q(table)} ${where} ORDER BY ${orderBy.map(q).join(', ')} LIMIT ${Math.trunc(limit)}${offset ? ` OFFSET ${Math.trunc(offset)}` : ''}`,
            (after ?? []) as Array<string | number | null>,
          );
          return rows as Array<Record<string, unknown>>;
        },
        async end() {
          await conn.query('COMMIT');
        },
      };
    },
    async signal(id, type, data) {
      const collection = connector.config['signal.data.collection'];
      if (!collection)
        throw new Error(`connector ${connector.name} names no signal.data.collection: add the signal table to its config (docs/reconciliation.md)`);
      const [database, table] = collection.split('.');
      await conn.execute(`INSERT INTO ${mysql.escapeId(database!)}.${mysql.escapeId(table!)} (id, type, data) VALUES (?, ?, ?)`, [id, type, data]);
    },
    literal: (value) => (value === null ? 'NULL' : conn.escape(value)),
    identifier: (name) => mysql.escapeId(name, true),
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
