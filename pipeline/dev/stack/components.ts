/**
 * The components of the no-Docker local stack: how each is started, what "healthy" means (a real
 * probe, never a sleep) and where it logs. Order and parallelism are decided in `stack.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { CONNECT_SECRET_VARIABLES, connectSecretEnvironment, ENV_CONFIG_PROVIDER } from '../../src/connectors/apply.ts';
import { connectAuthorization } from '../../src/connectors/connect-rest.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { httpProbe, type Probe } from './probes.ts';
import { spawnDaemon, type PidRecord } from './processes.ts';
import { POS_CONNECTOR_PRIVILEGES, posAdmin, posSocket, sampleWriter, warehouseAdmin, warehouseSocketDir } from './accounts.ts';
import type { StackPaths } from './paths.ts';
import { createMariadbSignalTable, SIGNAL_TABLE } from '../sample/shared/signal-table.ts';

/**
 * `managed`: the stack owns the process and its data (own datadir, own port).
 * `machine`: a server this machine already runs (PostgreSQL 5432, MariaDB 3306, Redis 6379), which
 * other stacks share; the stack starts it when it is down, and never stops it (`stack down` leaves it).
 */
export type Ownership = 'managed' | 'machine';

export interface Component {
  name: string;
  ownership: Ownership;
  ports: number[];
  /** What a healthy component does, for error messages. */
  expected: string;
  /** Components that must be healthy before this one starts. */
  dependsOn: string[];
  timeoutMs: number;
  probe: Probe;
  /**
   * Starts the process (after any one-time initialisation); returns its record, which `up` keeps
   * as the stack's own (managed) or as a note only (machine), see `stack.ts`.
   */
  start(paths: StackPaths): Promise<PidRecord>;
  /** Runs once the probe passes, each `up` (idempotent): users, databases. */
  bootstrap?(paths: StackPaths): Promise<void>;
}

const endpoints = stackEndpoints();
/** Database (on the machine PostgreSQL) where Apicurio Registry keeps its schemas; one per stack. */
const registryDatabase = process.env.STOCKSYNC_REGISTRY_DATABASE ?? 'apicurio_registry';
/**
 * The role Apicurio Registry logs in as, owner of its database only (`STOCKSYNC_REGISTRY_USER`,
 * `STOCKSYNC_REGISTRY_PASSWORD`; default `stocksync_registry`).
 */
const registryAccount = {
  user: process.env.STOCKSYNC_REGISTRY_USER ?? 'stocksync_registry',
  password: process.env.STOCKSYNC_REGISTRY_PASSWORD ?? 'stocksync_registry',
};
const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/**
 * Apicurio Registry 3.3 is compiled for Java 21 (class file 65), while Kafka runs on the machine's
 * default Java 17. Use `STOCKSYNC_REGISTRY_JAVA_HOME`, else the newest JDK >= 21 under /usr/lib/jvm.
 */
function registryJava(): string {
  const explicit = process.env.STOCKSYNC_REGISTRY_JAVA_HOME;
  if (explicit) return path.join(explicit, 'bin', 'java');
  const candidates = fs.existsSync('/usr/lib/jvm') ? fs.readdirSync('/usr/lib/jvm') : [];
  // Each JDK's `release` file names its version, e.g. JAVA_VERSION="25.0.1" (or "1.8.0_402").
  const feature = (name: string) => {
    const release = path.join('/usr/lib/jvm', name, 'release');
    if (!fs.existsSync(release) || !fs.existsSync(path.join('/usr/lib/jvm', name, 'bin', 'java'))) return 0;
    const version = /JAVA_VERSION="(\d+)/.exec(fs.readFileSync(release, 'utf8'))?.[1];
    return Number(version ?? 0);
  };
  const best = candidates.filter((name) => feature(name) >= 21).sort((a, b) => feature(b) - feature(a))[0];
  if (!best) throw new Error('Apicurio Registry needs Java 21 or newer: none found under /usr/lib/jvm (set STOCKSYNC_REGISTRY_JAVA_HOME)');
  return path.join('/usr/lib/jvm', best, 'bin', 'java');
}
const pgBin = (tool: string) => path.join(postgresBinDir(), tool);

function postgresBinDir(): string {
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort() : [];
  const latest = versions[versions.length - 1];
  if (!latest) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return path.join('/usr/lib/postgresql', latest, 'bin');
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

const logFile = (paths: StackPaths, name: string) => path.join(paths.logs, `${name}.log`);
/** The pid file of a managed component: the process `down` stops. */
const pidFile = (paths: StackPaths, name: string) => path.join(paths.run, `${name}.pid`);
/**
 * Where `up` notes a machine service it had to start (pid, start time, command): for `status` and
 * for waiting on it; `down` never reads it, as the service is the machine's, not the stack's.
 */
const machineStartNote = (paths: StackPaths, name: string) => path.join(paths.run, `${name}.machine-start.json`);

function pgProbe(port: number, database: string, check?: (rows: Record<string, unknown>[]) => void): Probe {
  return async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const result = await client.query('SHOW wal_level');
      check?.(result.rows);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/**
 * Database `database` on the machine PostgreSQL at `port`, owned by the login role of `account`
 * (created, or given `attributes`, never superuser, and its password), with what an older layout
 * created there as postgres (tables, sequences, views) handed to it. The machine's superuser
 * (`postgres`, as the machine lets it in) does it. A superuser `account` is left as it is: the
 * stack never changes a role it did not make.
 */
async function pgOwnedDatabase(port: number, database: string, account: { user: string; password: string }, attributes: string): Promise<void> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const id = (name: string) => admin.escapeIdentifier(name);
  try {
    const role = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [account.user]);
    if (role.rows[0]?.rolsuper) {
      await pgEnsureDatabase(port, database);
      return;
    }
    if (role.rowCount === 0) await admin.query(`CREATE ROLE ${id(account.user)}`);
    await admin.query(
      `ALTER ROLE ${id(account.user)} LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS ${attributes} PASSWORD ${admin.escapeLiteral(account.password)}`,
    );
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${id(database)} OWNER ${id(account.user)}`);
    else await admin.query(`ALTER DATABASE ${id(database)} OWNER TO ${id(account.user)}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
  await client.connect();
  try {
    const owned = await client.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind, c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v') AND pg_get_userbyid(c.relowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')`,
      [account.user],
    );
    for (const row of owned.rows)
      await client.query(`ALTER ${row.kind} public.${client.escapeIdentifier(row.name)} OWNER TO ${client.escapeIdentifier(account.user)}`);
  } finally {
    await client.end();
  }
}

/** Databases on the machine PostgreSQL at `port` whose name starts with `prefix`, not owned by `owner`. */
async function pgDatabasesNotOwned(port: number, prefix: string, owner: string): Promise<string[]> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    const res = await admin.query<{ name: string }>(
      'SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1) AND pg_get_userbyid(datdba) <> $2 AND NOT datistemplate ORDER BY 1',
      [prefix, owner],
    );
    return res.rows.map((r) => r.name);
  } finally {
    await admin.end();
  }
}

async function pgEnsureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

function mysqlProbe(connection: mysql.ConnectionOptions, check?: (row: Record<string, unknown>) => void): Probe {
  return async () => {
    const conn = await mysql.createConnection({ ...connection, connectTimeout: 2000 });
    try {
      const [rows] = await conn.query(
        'SELECT @@version AS version, @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image, @@server_id AS server_id',
      );
      check?.((rows as Record<string, unknown>[])[0]!);
    } finally {
      await conn.end().catch(() => undefined);
    }
  };
}

/** The machine's PostgreSQL (5432): canonical store, marketplace channel, registry storage. */
const machinePostgres: Component = {
  name: 'postgres',
  ownership: 'machine',
  ports: [endpoints.canonical.port],
  expected: `PostgreSQL accepting connections on 127.0.0.1:${endpoints.canonical.port} (user postgres)`,
  dependsOn: [],
  timeoutMs: 30_000,
  probe: pgProbe(endpoints.canonical.port, 'postgres'),
  async start(paths) {
    const version = path.basename(path.dirname(postgresBinDir()));
    const ids = userIds('postgres');
    return spawnDaemon({
      command: pgBin('postgres'),
      args: ['-D', `/var/lib/postgresql/${version}/main`, '-c', `config_file=/etc/postgresql/${version}/main/postgresql.conf`],
      logFile: logFile(paths, 'postgres'),
      ...ids,
    });
  },
  // Each database owned by the one role that uses it (docs/security.md): the registry's, the
  // canonical store (its tables come from the pipeline's migrations) and the marketplace channel's.
  async bootstrap() {
    const port = endpoints.canonical.port;
    await pgOwnedDatabase(port, registryDatabase, registryAccount, 'NOCREATEDB');
    // CREATEDB: the tests and the bench give the pipeline databases of their own beside it.
    await pgOwnedDatabase(port, endpoints.canonical.database, endpoints.canonical, 'CREATEDB');
    // Databases the tests and the bench made beside it (`<canonical>_movements`, …) under an older
    // layout, as postgres: the pipeline's role could not create its tables there.
    for (const database of await pgDatabasesNotOwned(port, `${endpoints.canonical.database}_`, endpoints.canonical.user)) {
      await pgOwnedDatabase(port, database, endpoints.canonical, 'CREATEDB');
    }
    const { marketplace, canonical } = endpoints;
    if (marketplace.host === canonical.host && marketplace.port === canonical.port) {
      await pgOwnedDatabase(port, marketplace.database, marketplace, 'NOCREATEDB');
    }
  },
};

/** The machine's MariaDB port (the web shop's by default). */
const machineMariadbPort = 3306;

/** The machine's MariaDB (3306): the web shop channel database. */
const machineMariadb: Component = {
  name: 'mariadb',
  ownership: 'machine',
  ports: [endpoints.webshop.port],
  expected: `MariaDB accepting connections on 127.0.0.1:${endpoints.webshop.port} (user root)`,
  dependsOn: [],
  timeoutMs: 30_000,
  probe: mysqlProbe({ host: '127.0.0.1', port: endpoints.webshop.port, user: 'root', password: '' }),
  async start(paths) {
    return spawnDaemon({
      command: '/usr/sbin/mariadbd',
      args: ['--user=mysql'],
      logFile: logFile(paths, 'mariadb'),
    });
  },
  // The web shop channel's account: every privilege on its database only, none to grant.
  async bootstrap() {
    const { webshop } = endpoints;
    if (webshop.host !== '127.0.0.1' || webshop.port !== machineMariadbPort || webshop.user === 'root') return;
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: machineMariadbPort, user: 'root', password: '' });
    try {
      await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(webshop.database, true)} CHARACTER SET utf8mb4`);
      await conn.query("CREATE USER IF NOT EXISTS ?@'127.0.0.1' IDENTIFIED BY ?", [webshop.user, webshop.password]);
      await conn.query("ALTER USER ?@'127.0.0.1' IDENTIFIED BY ?", [webshop.user, webshop.password]);
      await conn.query(`GRANT ALL PRIVILEGES ON ${mysql.escapeId(webshop.database, true)}.* TO ?@'127.0.0.1'`, [webshop.user]);
    } finally {
      await conn.end();
    }
  },
};

/** The machine's Redis (6379): cache invalidation and change notifications. */
const machineRedis: Component = {
  name: 'redis',
  ownership: 'machine',
  ports: [6379],
  expected: 'Redis answering PING on 127.0.0.1:6379',
  dependsOn: [],
  timeoutMs: 15_000,
  probe: async () => {
    const redis = new Redis(endpoints.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    } finally {
      redis.disconnect();
    }
  },
  async start(paths) {
    fs.mkdirSync('/var/lib/redis', { recursive: true });
    return spawnDaemon({
      command: 'redis-server',
      args: ['--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis'],
      logFile: logFile(paths, 'redis'),
    });
  },
};

/**
 * Hands a folder of a server the stack runs to its operating-system user (recursively: a folder
 * from an older layout, written by a server running as root, changes hands too).
 */
function chownTree(dir: string, ids: { uid: number; gid: number }): void {
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, ids);
    else fs.lchownSync(child, ids.uid, ids.gid);
  }
}

/** The POS source: a MariaDB instance of its own with the binlog settings Debezium requires. */
const posMariadb: Component = {
  name: 'pos-mariadb',
  ownership: 'managed',
  ports: [endpoints.pos.port],
  expected: `MariaDB on 127.0.0.1:${endpoints.pos.port} with log_bin=1, binlog_format=ROW, binlog_row_image=FULL`,
  dependsOn: [],
  timeoutMs: 60_000,
  // The administrator over the instance's own socket (unix_socket authentication): the connector
  // user exists only after bootstrap.
  probe: () => mysqlProbe(posAdmin())(),
  async start(paths) {
    const datadir = path.join(paths.data, 'pos-mariadb');
    // The server runs as the operating-system user `mysql`, never as root (docs/security.md).
    const ids = userIds('mysql');
    const log = logFile(paths, 'pos-mariadb');
    fs.mkdirSync(datadir, { recursive: true });
    // LOAD_FILE, LOAD DATA and SELECT … INTO OUTFILE only inside this empty folder of its own.
    const fileDir = path.join(paths.data, 'pos-mariadb-files');
    fs.mkdirSync(fileDir, { recursive: true, mode: 0o700 });
    chownTree(datadir, ids);
    chownTree(fileDir, ids);
    if (!fs.existsSync(path.join(datadir, 'mysql'))) {
      // root@localhost through unix_socket only (no password, no TCP account): only the operating
      // system's root, on this machine, administers the instance.
      execFileSync(
        'mariadb-install-db',
        ['--no-defaults', `--datadir=${datadir}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db'],
        { stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')] },
      );
    }
    return spawnDaemon({
      command: '/usr/sbin/mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--secure-file-priv=${fileDir}`,
        `--port=${endpoints.pos.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${posSocket(paths)}`,
        `--pid-file=${path.join(datadir, 'mariadbd.pid')}`,
        '--user=mysql',
        '--server-id=1',
        `--log-bin=${path.join(datadir, 'binlog')}`,
        '--binlog-format=ROW',
        '--binlog-row-image=FULL',
        '--binlog-row-metadata=FULL',
        '--binlog-expire-logs-seconds=604800',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--innodb-buffer-pool-size=128M',
        '--skip-name-resolve',
      ],
      logFile: log,
    });
  },
  async bootstrap(paths) {
    await bootstrapPosAccounts(paths);
    await mysqlProbe(connectionOptions(endpoints.pos), (row) => {
      if (Number(row.log_bin) !== 1 || row.binlog_format !== 'ROW' || row.binlog_row_image !== 'FULL') {
        throw new Error(`binlog settings wrong: ${JSON.stringify(row)}`);
      }
    })();
  },
};

/**
 * The POS server's accounts, made what docs/security.md says on every `up` (an instance from an
 * older layout is brought in line): `root` only through the socket; the connector user
 * (`STOCKSYNC_POS_USER`) from 127.0.0.1 with exactly Debezium's privileges; the sample application
 * (`STOCKSYNC_POS_APP_USER`) with every privilege on the POS and ERPNext databases only, none to
 * grant. Names and passwords from the environment go in as values, escaped by the driver;
 * database names as identifiers (docs/design.md invariant 8).
 */
async function bootstrapPosAccounts(paths: StackPaths): Promise<void> {
  const conn = await mysql.createConnection(posAdmin(undefined, paths));
  try {
    const connector = endpoints.pos;
    const app = sampleWriter('pos', endpoints.pos);
    if (connector.user === app.user || [connector.user, app.user].includes('root')) {
      throw new Error(`STOCKSYNC_POS_USER (${connector.user}) and STOCKSYNC_POS_APP_USER (${app.user}) must be two accounts, neither root`);
    }
    // Any other root account (an older layout had root@127.0.0.1 without a password), anonymous
    // accounts, and the accounts from any host an older layout created.
    const [stale] = await conn.query<mysql.RowDataPacket[]>(
      "SELECT User AS user, Host AS host FROM mysql.user WHERE (User = 'root' AND Host <> 'localhost') OR User = '' OR (User IN (?, ?) AND Host <> '127.0.0.1')",
      [connector.user, app.user],
    );
    for (const row of stale) await conn.query('DROP USER ?@?', [row.user, row.host]);
    await conn.query("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket");

    await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(connector.database, true)} CHARACTER SET utf8mb4`);
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(endpoints.erpnext.database, true)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);

    for (const account of [connector, app]) {
      await conn.query("CREATE USER IF NOT EXISTS ?@'127.0.0.1' IDENTIFIED BY ?", [account.user, account.password]);
      await conn.query("ALTER USER ?@'127.0.0.1' IDENTIFIED BY ?", [account.user, account.password]);
      await conn.query("REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@'127.0.0.1'", [account.user]);
    }
    await conn.query(`GRANT ${POS_CONNECTOR_PRIVILEGES} ON *.* TO ?@'127.0.0.1'`, [connector.user]);
    // Debezium writes its incremental-snapshot watermarks into the signal table, and
    // `reconcile --repair` its signals: the connector user may write that table only.
    for (const database of new Set([connector.database, endpoints.erpnext.database])) {
      await createMariadbSignalTable(conn, database);
      await conn.query(`GRANT INSERT, DELETE ON ${mysql.escapeId(database, true)}.${SIGNAL_TABLE} TO ?@'127.0.0.1'`, [connector.user]);
    }
    for (const database of new Set([connector.database, endpoints.erpnext.database])) {
      await conn.query(`GRANT ALL PRIVILEGES ON ${mysql.escapeId(database, true)}.* TO ?@'127.0.0.1'`, [app.user]);
    }
  } finally {
    await conn.end();
  }
}

/**
 * The warehouse server's client authentication: `postgres` only over the socket, as the
 * operating-system root or postgres user (`peer`, pg_ident map `stack`); everyone else with a
 * SCRAM-SHA-256 password, over TCP from 127.0.0.1 only (replication connections included).
 */
function writeWarehouseAuthentication(datadir: string, ids: { uid: number; gid: number }): boolean {
  const files: Array<[string, string]> = [
    [
      'pg_hba.conf',
      [
        '# Written by `stocksync stack up` (pipeline/dev/stack/components.ts); rewritten on every up.',
        'local   all          postgres                  peer map=stack',
        'local   all          all                       reject',
        'host    all          postgres   127.0.0.1/32   reject',
        'host    all          all        127.0.0.1/32   scram-sha-256',
        'host    replication  all        127.0.0.1/32   scram-sha-256',
        '',
      ].join('\n'),
    ],
    ['pg_ident.conf', ['# Written by `stocksync stack up`.', 'stack   root       postgres', 'stack   postgres   postgres', ''].join('\n')],
  ];
  let changed = false;
  for (const [name, text] of files) {
    const file = path.join(datadir, name);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chownSync(file, ids.uid, ids.gid);
    changed = true;
  }
  return changed;
}

/** The warehouse source: a PostgreSQL cluster of its own with wal_level=logical for pgoutput. */
const warehousePostgres: Component = {
  name: 'wms-postgres',
  ownership: 'managed',
  ports: [endpoints.warehouse.port],
  expected: `PostgreSQL on 127.0.0.1:${endpoints.warehouse.port} with wal_level=logical`,
  dependsOn: [],
  timeoutMs: 60_000,
  probe: async () => {
    const client = new pg.Client({ ...warehouseAdmin(), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const { rows } = await client.query('SHOW wal_level');
      if (rows[0]?.wal_level !== 'logical') throw new Error(`wal_level is ${String(rows[0]?.wal_level)}, expected logical`);
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  async start(paths) {
    const datadir = warehouseSocketDir(paths);
    const ids = userIds('postgres');
    if (!fs.existsSync(path.join(datadir, 'PG_VERSION'))) {
      fs.mkdirSync(datadir, { recursive: true });
      fs.chownSync(datadir, ids.uid, ids.gid);
      execFileSync(
        pgBin('initdb'),
        ['-D', datadir, '-U', 'postgres', '--auth-local=peer', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8'],
        {
          ...ids,
          stdio: ['ignore', fs.openSync(logFile(paths, 'wms-postgres'), 'a'), fs.openSync(logFile(paths, 'wms-postgres'), 'a')],
        },
      );
    }
    writeWarehouseAuthentication(datadir, ids);
    return spawnDaemon({
      command: pgBin('postgres'),
      args: [
        '-D',
        datadir,
        '-p',
        String(endpoints.warehouse.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${datadir}`,
        '-c',
        'password_encryption=scram-sha-256',
        '-c',
        'wal_level=logical',
        '-c',
        'max_replication_slots=10',
        '-c',
        'max_wal_senders=10',
        '-c',
        'shared_buffers=64MB',
      ],
      logFile: logFile(paths, 'wms-postgres'),
      ...ids,
    });
  },
  async bootstrap(paths) {
    await bootstrapWarehouseAccounts(paths);
  },
};

/** Runs `statements` as the warehouse server's administrator (over the socket) on `database`. */
async function warehouseExec(paths: StackPaths, database: string, statements: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client(warehouseAdmin(database, paths));
  await client.connect();
  try {
    await statements(client);
  } finally {
    await client.end();
  }
}

/**
 * The warehouse server's roles, made what docs/security.md says on every `up` (a cluster from an
 * older layout is brought in line): `postgres` without a password (socket only); the connector
 * user (`STOCKSYNC_WAREHOUSE_USER`) with LOGIN and REPLICATION, SELECT on the tables of schema
 * public, nothing else; the sample application (`STOCKSYNC_WAREHOUSE_APP_USER`) owning the
 * warehouse database, its tables and the connector's publication (which it creates with the
 * tables, `sample/warehouse/schema.ts`). Names go in as identifiers and passwords as literals,
 * escaped by the driver (role statements take no parameters).
 */
async function bootstrapWarehouseAccounts(paths: StackPaths): Promise<void> {
  const datadir = warehouseSocketDir(paths);
  const connector = endpoints.warehouse;
  const app = sampleWriter('warehouse', endpoints.warehouse);
  if (connector.user === app.user || [connector.user, app.user].includes('postgres')) {
    throw new Error(`STOCKSYNC_WAREHOUSE_USER (${connector.user}) and STOCKSYNC_WAREHOUSE_APP_USER (${app.user}) must be two roles, neither postgres`);
  }
  await warehouseExec(paths, 'postgres', async (client) => {
    // A cluster from an older layout: trust authentication until its configuration is reloaded.
    if (writeWarehouseAuthentication(datadir, userIds('postgres'))) await client.query('SELECT pg_reload_conf()');
    await client.query('ALTER ROLE postgres PASSWORD NULL');
    const id = (name: string) => client.escapeIdentifier(name);
    for (const [account, attributes] of [
      [connector, 'LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'],
      // CREATEDB: the tests give the sample application databases of its own.
      [app, 'LOGIN NOREPLICATION NOSUPERUSER CREATEDB NOCREATEROLE NOBYPASSRLS'],
    ] as const) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [account.user]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${id(account.user)}`);
      await client.query(`ALTER ROLE ${id(account.user)} ${attributes} PASSWORD ${client.escapeLiteral(account.password)}`);
    }
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [connector.database]);
    if (db.rowCount === 0) await client.query(`CREATE DATABASE ${id(connector.database)} OWNER ${id(app.user)}`);
    else await client.query(`ALTER DATABASE ${id(connector.database)} OWNER TO ${id(app.user)}`);
  });
  await warehouseExec(paths, connector.database, async (client) => {
    const id = (name: string) => client.escapeIdentifier(name);
    // Tables, sequences and publications an older layout created as postgres go to the application.
    const owned = await client.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind, c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v') AND pg_get_userbyid(c.relowner) <> $1`,
      [app.user],
    );
    for (const row of owned.rows) await client.query(`ALTER ${row.kind} public.${id(row.name)} OWNER TO ${id(app.user)}`);
    const publications = await client.query<{ name: string }>('SELECT pubname AS name FROM pg_publication WHERE pg_get_userbyid(pubowner) <> $1', [app.user]);
    for (const row of publications.rows) await client.query(`ALTER PUBLICATION ${id(row.name)} OWNER TO ${id(app.user)}`);
    await client.query(`REVOKE ALL ON DATABASE ${id(connector.database)} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${id(connector.database)} TO ${id(connector.user)}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${id(connector.user)}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${id(connector.user)}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${id(connector.user)}`);
    await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${id(app.user)} IN SCHEMA public GRANT SELECT ON TABLES TO ${id(connector.user)}`);
  });
}

const kafkaPort = Number(endpoints.kafkaBrokers[0]!.split(':')[1]);

/** Kafka 4.x in KRaft combined mode, one node. */
const kafka: Component = {
  name: 'kafka',
  ownership: 'managed',
  ports: [kafkaPort, kafkaPort + 1],
  expected: `a KRaft broker+controller answering metadata requests on ${endpoints.kafkaBrokers.join(',')}`,
  dependsOn: [],
  timeoutMs: 90_000,
  probe: async () => {
    const client = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-probe', retries: 0, logErrors: false });
    try {
      const cluster = await client.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in metadata');
    } finally {
      await client.close().catch(() => undefined);
    }
  },
  async start(paths) {
    const datadir = path.join(paths.data, 'kafka');
    const config = path.join(paths.conf, 'kafka.properties');
    fs.mkdirSync(paths.conf, { recursive: true });
    fs.writeFileSync(
      config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${kafkaPort + 1}`,
        `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaPort + 1}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${datadir}`,
        // Three partitions by default, so per-key ordering is exercised across partitions.
        'num.partitions=3',
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=true',
        '',
      ].join('\n'),
    );
    const classpath = path.join(paths.lib, 'kafka', '*');
    const jvm = ['-Xms256m', '-Xmx768m', `-Dlog4j2.configurationFile=${log4jConfig(paths)}`, '-cp', classpath];
    if (!fs.existsSync(path.join(datadir, 'meta.properties'))) {
      execFileSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', '--cluster-id', 'c3RvY2tzeW5jLWxvY2FsMQ', '--config', config], {
        stdio: ['ignore', fs.openSync(logFile(paths, 'kafka'), 'a'), fs.openSync(logFile(paths, 'kafka'), 'a')],
      });
    }
    return spawnDaemon({
      command: java,
      args: [...jvm, 'kafka.Kafka', config],
      logFile: logFile(paths, 'kafka'),
    });
  },
};

/** Apicurio Registry 3.x with its Confluent-compatible API, stored in the machine's PostgreSQL. */
const registry: Component = {
  name: 'schema-registry',
  ownership: 'managed',
  ports: [Number(new URL(endpoints.registryUrl).port)],
  expected: `Apicurio Registry answering GET ${endpoints.registryUrl}/subjects`,
  dependsOn: ['postgres'],
  timeoutMs: 120_000,
  probe: httpProbe(`${endpoints.registryUrl}/subjects`),
  async start(paths) {
    const home = path.join(paths.lib, 'apicurio-registry');
    return spawnDaemon({
      command: registryJava(),
      args: [
        '-Xms128m',
        '-Xmx512m',
        `-Dquarkus.http.port=${new URL(endpoints.registryUrl).port}`,
        '-Dquarkus.http.host=127.0.0.1',
        // The management interface (health, metrics) defaults to 0.0.0.0:9000; keep it local and beside the API port.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${Number(new URL(endpoints.registryUrl).port) + 10}`,
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=postgresql',
        `-Dapicurio.datasource.url=jdbc:postgresql://127.0.0.1:${endpoints.canonical.port}/${registryDatabase}`,
        // Its pool defaults to 20 idle connections (up to 100): a few stacks on one machine would
        // take every connection of the canonical PostgreSQL (max_connections 100).
        '-Dapicurio.datasource.jdbc.initial-size=2',
        '-Dapicurio.datasource.jdbc.min-size=2',
        '-Dapicurio.datasource.jdbc.max-size=10',
        '-jar',
        path.join(home, 'quarkus-run.jar'),
      ],
      cwd: home,
      // The canonical server's credentials through the environment (Quarkus maps APICURIO_DATASOURCE_*
      // to apicurio.datasource.*), never on the command line, where `ps` shows them.
      env: { ...process.env, APICURIO_DATASOURCE_USERNAME: registryAccount.user, APICURIO_DATASOURCE_PASSWORD: registryAccount.password },
      logFile: logFile(paths, 'schema-registry'),
    });
  },
};

/** The Connect plugins the stack must offer (class names as listed by GET /connector-plugins). */
export const requiredConnectPlugins = [
  'io.debezium.connector.mariadb.MariaDbConnector',
  'io.debezium.connector.postgresql.PostgresConnector',
  'io.debezium.connector.jdbc.JdbcSinkConnector',
];

/** Kafka Connect, distributed mode, with the Debezium plugins and the Apicurio converter. */
const connect: Component = {
  name: 'kafka-connect',
  ownership: 'managed',
  ports: [Number(new URL(endpoints.connectUrl).port)],
  expected: `Kafka Connect REST on ${endpoints.connectUrl} listing the Debezium MariaDB, PostgreSQL and JDBC sink plugins`,
  dependsOn: ['kafka'],
  timeoutMs: 120_000,
  probe: httpProbe(
    `${endpoints.connectUrl}/connector-plugins?connectorsOnly=true`,
    (body) => {
      const classes = (JSON.parse(body) as Array<{ class: string }>).map((p) => p.class);
      const missing = requiredConnectPlugins.filter((c) => !classes.includes(c));
      if (missing.length > 0) throw new Error(`plugins missing: ${missing.join(', ')}`);
    },
    connectAuthorization(endpoints),
  ),
  async start(paths) {
    const config = path.join(paths.conf, 'connect-distributed.properties');
    const port = new URL(endpoints.connectUrl).port;
    fs.mkdirSync(paths.conf, { recursive: true });
    fs.writeFileSync(
      config,
      [
        `bootstrap.servers=${endpoints.kafkaBrokers.join(',')}`,
        'group.id=stocksync-connect',
        'config.storage.topic=stocksync-connect-configs',
        'offset.storage.topic=stocksync-connect-offsets',
        'status.storage.topic=stocksync-connect-status',
        'config.storage.replication.factor=1',
        'offset.storage.replication.factor=1',
        'status.storage.replication.factor=1',
        'key.converter=org.apache.kafka.connect.json.JsonConverter',
        'value.converter=org.apache.kafka.connect.json.JsonConverter',
        `listeners=http://127.0.0.1:${port}`,
        'rest.advertised.host.name=127.0.0.1',
        `plugin.path=${path.join(paths.lib, 'plugins')}`,
        // Source offsets (binlog/LSN positions) are flushed every second, so a restart replays little.
        'offset.flush.interval.ms=1000',
        // A worker that lost its group membership (Kafka paused or unreachable past the session
        // timeout) gets its connectors back only after this delay (default 5 min, waiting for the
        // worker to return; they sit UNASSIGNED meanwhile, found by `stocksync chaos`). With the one
        // worker of the local stack there is nobody to wait for: 0 reassigns at once (KAFKA-15693).
        'scheduled.rebalance.max.delay.ms=0',
        'topic.creation.enable=true',
        // Connector configs name their passwords as ${env:STOCKSYNC_*_PASSWORD}, resolved here from the
        // worker's environment (Kafka's EnvVarConfigProvider, KIP-887), limited to those variables:
        // the config topic and GET /connectors/{name}/config hold no secret.
        `config.providers=${ENV_CONFIG_PROVIDER}`,
        `config.providers.${ENV_CONFIG_PROVIDER}.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider`,
        `config.providers.${ENV_CONFIG_PROVIDER}.param.allowlist.pattern=${CONNECT_SECRET_VARIABLES.source}`,
        // HTTP basic authentication on the REST API: an anonymous local process cannot create a
        // connector (which runs code in the worker). Users in the JAAS file's password file.
        'rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension',
        '',
      ].join('\n'),
    );
    return spawnDaemon({
      command: java,
      args: [
        '-Xms256m',
        '-Xmx1g',
        `-Dlog4j2.configurationFile=${log4jConfig(paths)}`,
        `-Djava.security.auth.login.config=${connectJaasConfig(paths)}`,
        '-cp',
        path.join(paths.lib, 'connect', '*'),
        'org.apache.kafka.connect.cli.ConnectDistributed',
        config,
      ],
      env: { ...process.env, ...connectSecretEnvironment() },
      logFile: logFile(paths, 'kafka-connect'),
    });
  },
};

/**
 * The JAAS file of Connect's REST basic authentication (realm `KafkaConnect`, Kafka's
 * PropertyFileLoginModule) and its password file (`user: password`), both readable by their owner
 * only: the REST user and password of the endpoints (`STOCKSYNC_CONNECT_REST_USER`, `_PASSWORD`).
 * @returns the JAAS file's path (a path, not a secret, for the command line).
 */
function connectJaasConfig(paths: StackPaths): string {
  const { user, password } = endpoints.connectRest;
  if (/[\s:=\\]/.test(user) || /[\r\n]/.test(password)) {
    throw new Error(
      "STOCKSYNC_CONNECT_REST_USER may not hold spaces, ':', '=' or '\\', nor STOCKSYNC_CONNECT_REST_PASSWORD a line break (a properties file holds them)",
    );
  }
  fs.mkdirSync(paths.conf, { recursive: true });
  const passwords = path.join(paths.conf, 'connect-rest.password');
  const jaas = path.join(paths.conf, 'connect-rest.jaas');
  // A properties file: a backslash in the value is an escape, so it is doubled.
  fs.writeFileSync(passwords, `${user}: ${password.replace(/\\/g, '\\\\')}\n`, { mode: 0o600 });
  fs.chmodSync(passwords, 0o600);
  fs.writeFileSync(
    jaas,
    `KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="${passwords}";\n};\n`,
    { mode: 0o600 },
  );
  return jaas;
}

/** Console logging at INFO for the Kafka JVMs; their stdout goes to the component's log file. */
function log4jConfig(paths: StackPaths): string {
  const file = path.join(paths.conf, 'log4j2.properties');
  fs.mkdirSync(paths.conf, { recursive: true });
  fs.writeFileSync(
    file,
    [
      'appender.console.type=Console',
      'appender.console.name=STDOUT',
      'appender.console.layout.type=PatternLayout',
      'appender.console.layout.pattern=[%d] %p %m (%c)%n',
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.stdout.ref=STDOUT',
      'logger.reflections.name=org.reflections',
      'logger.reflections.level=ERROR',
      '',
    ].join('\n'),
  );
  return file;
}

/** All components, in a valid start order. */
export const components: Component[] = [machinePostgres, machineMariadb, machineRedis, posMariadb, warehousePostgres, kafka, registry, connect];

export { logFile, machineStartNote, pidFile };
