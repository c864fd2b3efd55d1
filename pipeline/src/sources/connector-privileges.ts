/**
 * What a connector user may do beyond what Debezium needs, read from the source database as that
 * user (`stocksync sources check` warns about it; docs/sources.md lists the grants):
 *
 * - MySQL/MariaDB: global SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT
 *   (MariaDB's BINLOG MONITOR; LOCK TABLES where a global read lock is not allowed), SELECT or
 *   LOCK TABLES on databases and tables; INSERT and DELETE on its signal table
 *   (`signal.data.collection`, where Debezium writes incremental-snapshot watermarks; the table of
 *   that name in any database); nothing grantable. Read from information_schema's
 *   USER_PRIVILEGES, SCHEMA_PRIVILEGES and TABLE_PRIVILEGES (privileges through roles are not seen).
 * - PostgreSQL: LOGIN and REPLICATION, SELECT on the captured tables; not superuser, CREATEROLE,
 *   CREATEDB or BYPASSRLS, no member of the predefined roles that write data or reach the server's
 *   files and programs, no INSERT, UPDATE, DELETE or TRUNCATE on a table of the captured schema
 *   (which its owner has) but its signal table, no CREATE on the database or the schema (the publication is created
 *   ahead by the tables' owner, `publication.autocreate.mode=disabled`).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type pg from 'pg';

/** Privilege names (information_schema PRIVILEGE_TYPE) the MariaDB/MySQL connector may hold globally. */
const MARIADB_GLOBAL = new Set([
  'USAGE',
  'SELECT',
  'RELOAD',
  'SHOW DATABASES',
  'REPLICATION SLAVE',
  'REPLICATION REPLICA',
  'REPLICATION CLIENT',
  'BINLOG MONITOR',
  'LOCK TABLES',
]);
/** … on a database or a table. */
const MARIADB_LOCAL = new Set(['USAGE', 'SELECT', 'LOCK TABLES', 'SHOW VIEW']);
/** … on the signal table besides. */
const SIGNAL_TABLE_WRITES = new Set(['INSERT', 'DELETE']);

/**
 * Whether a table scope (`database.table`) is a signal table: named as the connector's
 * (`signal.data.collection`), in any database — one account often serves the connectors of
 * several databases of one server, each with its signal table.
 */
const isSignalTable = (scope: string, signalTable: string | undefined): boolean =>
  signalTable !== undefined && !scope.endsWith('.*') && scope.slice(scope.indexOf('.') + 1) === signalTable.slice(signalTable.indexOf('.') + 1);

/**
 * The MariaDB/MySQL connector user's privileges beyond Debezium's, e.g. `FILE, SUPER on *.*`,
 * `INSERT on pos.*`, `GRANT OPTION`; empty when none.
 */
export async function mariadbExcessPrivileges(conn: Connection, signalTable?: string): Promise<string[]> {
  const [who] = await conn.query<RowDataPacket[]>(
    "SELECT CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') AS grantee",
  );
  const grantee = String(who[0]!.grantee);
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT '*.*' AS scope, PRIVILEGE_TYPE AS privilege, IS_GRANTABLE AS grantable FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?
     UNION ALL
     SELECT CONCAT(TABLE_SCHEMA, '.*'), PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?
     UNION ALL
     SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?`,
    [grantee, grantee, grantee],
  );
  const byScope = new Map<string, string[]>();
  let grantable = false;
  for (const row of rows) {
    const scope = String(row.scope);
    const privilege = String(row.privilege).toUpperCase();
    if (row.grantable === 'YES') grantable = true;
    const allowed = scope === '*.*' ? MARIADB_GLOBAL : MARIADB_LOCAL;
    if (allowed.has(privilege) || (isSignalTable(scope, signalTable) && SIGNAL_TABLE_WRITES.has(privilege))) continue;
    byScope.set(scope, [...(byScope.get(scope) ?? []), privilege]);
  }
  const excess = [...byScope].map(([scope, privileges]) => `${[...new Set(privileges)].sort().join(', ')} on ${scope}`);
  if (grantable) excess.push('GRANT OPTION');
  return excess;
}

/** Predefined PostgreSQL roles a connector user should not be a member of. */
const POSTGRES_ROLES = ['pg_write_all_data', 'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'];

/**
 * The PostgreSQL connector user's privileges beyond Debezium's in schema `namespace`, e.g.
 * `superuser`, `CREATEDB`, `INSERT, UPDATE, DELETE or TRUNCATE on public.stock_quant`; empty when none.
 */
export async function postgresExcessPrivileges(client: pg.Client, namespace: string, signalTable?: string): Promise<string[]> {
  const role = await client.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const r = role.rows[0];
  if (!r) return [];
  if (r.rolsuper) return ['superuser'];
  const excess: string[] = [];
  if (r.rolcreaterole) excess.push('CREATEROLE');
  if (r.rolcreatedb) excess.push('CREATEDB');
  if (r.rolbypassrls) excess.push('BYPASSRLS');
  const members = await client.query<{ name: string }>(
    "SELECT rolname AS name FROM pg_roles WHERE rolname = ANY($1) AND pg_has_role(current_user, oid, 'MEMBER') ORDER BY rolname",
    [POSTGRES_ROLES],
  );
  for (const m of members.rows) excess.push(`member of ${m.name}`);
  const database = await client.query<{ create: boolean; name: string }>(
    "SELECT has_database_privilege(current_database(), 'CREATE') AS create, current_database() AS name",
  );
  if (database.rows[0]!.create) excess.push(`CREATE on database ${database.rows[0]!.name}`);
  const schema = await client.query<{ create: boolean }>("SELECT has_schema_privilege(n.oid, 'CREATE') AS create FROM pg_namespace n WHERE n.nspname = $1", [
    namespace,
  ]);
  if (schema.rows[0]?.create) excess.push(`CREATE on schema ${namespace}`);
  const writable = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
        AND NOT (n.nspname || '.' || c.relname = $2 AND NOT has_table_privilege(c.oid, 'UPDATE, TRUNCATE'))
      ORDER BY c.relname`,
    [namespace, signalTable ?? ''],
  );
  if (writable.rows.length > 0) {
    excess.push(`INSERT, UPDATE, DELETE or TRUNCATE on ${writable.rows.map((w) => `${namespace}.${w.name}`).join(', ')}`);
  }
  return excess;
}
