/**
 * Where every part of the stack lives. One place for hosts, ports and credentials, shared by the
 * stack manager, the connector configs (as placeholders) and the pipeline.
 *
 * Each value can be overridden by an environment variable (named next to it), so the same CLI works
 * against the no-Docker local stack, `deploy/compose.yaml`, or a retailer's own servers. Every
 * database follows one convention: database NAME is read from `STOCKSYNC_<NAME>_HOST`, `_PORT`,
 * `_USER`, `_PASSWORD` and `_DATABASE` ({@link databaseEndpoint}).
 */

/** The environment the endpoints are read from (`process.env` unless a caller gives another). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A database server and database: the one shape of every database endpoint (sources, canonical store, channels). */
export interface DatabaseEndpoint {
  /** `mysql`: MariaDB or MySQL (through mysql2); `postgres`: PostgreSQL (through pg). */
  kind: 'mysql' | 'postgres';
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The databases of the stack, by the NAME of their `STOCKSYNC_<NAME>_*` variables (lower case). */
export const STACK_DATABASES = ['pos', 'erpnext', 'warehouse', 'canonical', 'webshop', 'marketplace'] as const;

/** One of {@link STACK_DATABASES}. */
export type StackDatabase = (typeof STACK_DATABASES)[number];

export interface StackEndpoints extends Record<StackDatabase, DatabaseEndpoint> {
  /** Kafka bootstrap servers, `host:port` list. Env `STOCKSYNC_KAFKA_BROKERS`. */
  kafkaBrokers: string[];
  /** Kafka Connect REST base URL. Env `STOCKSYNC_CONNECT_URL`. */
  connectUrl: string;
  /**
   * The user and password of Kafka Connect's REST API (HTTP basic authentication; the local stack's
   * worker has Kafka's BasicAuthSecurityRestExtension). Env `STOCKSYNC_CONNECT_REST_USER`,
   * `STOCKSYNC_CONNECT_REST_PASSWORD`.
   */
  connectRest: { user: string; password: string };
  /** Confluent-compatible schema registry base URL (Apicurio ccompat v7). Env `STOCKSYNC_REGISTRY_URL`. */
  registryUrl: string;
  /** Apicurio native REST API v2 base URL, used by the Apicurio Kafka Connect converter. Env `STOCKSYNC_APICURIO_URL`. */
  apicurioUrl: string;
  /** POS source (MariaDB, binlog on). `STOCKSYNC_POS_*`. */
  pos: DatabaseEndpoint;
  /** ERPNext source: by default on the POS server (same host, port, user, password), database `erpnext`. `STOCKSYNC_ERPNEXT_*`. */
  erpnext: DatabaseEndpoint;
  /** Warehouse source (PostgreSQL, wal_level=logical). `STOCKSYNC_WAREHOUSE_*`. */
  warehouse: DatabaseEndpoint;
  /** Canonical store (PostgreSQL). `STOCKSYNC_CANONICAL_*`. */
  canonical: DatabaseEndpoint;
  /** Web shop channel database (MariaDB; {@link channelDatabaseDefaults}). `STOCKSYNC_WEBSHOP_*`. */
  webshop: DatabaseEndpoint;
  /** Marketplace channel database (PostgreSQL; {@link channelDatabaseDefaults}). `STOCKSYNC_MARKETPLACE_*`. */
  marketplace: DatabaseEndpoint;
  /** Redis, `redis://host:port`. Env `STOCKSYNC_REDIS_URL`. */
  redisUrl: string;
}

/** The names of the variables of database `name`: `STOCKSYNC_<NAME>_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_DATABASE`. */
export function databaseVariables(name: string): Record<'host' | 'port' | 'user' | 'password' | 'database', string> {
  const prefix = `STOCKSYNC_${name.toUpperCase()}_`;
  return { host: `${prefix}HOST`, port: `${prefix}PORT`, user: `${prefix}USER`, password: `${prefix}PASSWORD`, database: `${prefix}DATABASE` };
}

/**
 * The endpoint of database `name`: each of its variables ({@link databaseVariables}) that is set,
 * else the value in `defaults`.
 */
export function databaseEndpoint(name: string, defaults: DatabaseEndpoint, env: Environment = process.env): DatabaseEndpoint {
  const v = databaseVariables(name);
  return {
    kind: defaults.kind,
    host: env[v.host] ?? defaults.host,
    port: Number(env[v.port] ?? defaults.port),
    user: env[v.user] ?? defaults.user,
    password: env[v.password] ?? defaults.password,
    database: env[v.database] ?? defaults.database,
  };
}

/**
 * The defaults of channel database `name`: the machine's MariaDB (127.0.0.1:3306, root, no
 * password) for `mysql`, the canonical store's PostgreSQL server for `postgres`; database
 * `channel_<name>`.
 */
export function channelDatabaseDefaults(name: string, kind: DatabaseEndpoint['kind'], canonical: DatabaseEndpoint): DatabaseEndpoint {
  const server =
    kind === 'mysql'
      ? { host: '127.0.0.1', port: 3306, user: 'root', password: '' }
      : { host: canonical.host, port: canonical.port, user: canonical.user, password: canonical.password };
  return { kind, ...server, database: `channel_${name}` };
}

/**
 * The kind of database an endpoint name is by this convention: a stack database (one of
 * {@link STACK_DATABASES}) is of its own kind (`pos`, `erpnext`, `webshop`: mysql; `warehouse`,
 * `canonical`, `marketplace`: postgres); any other name may be either.
 */
export function endpointKind(name: string, endpoints: StackEndpoints): DatabaseEndpoint['kind'] | undefined {
  return (STACK_DATABASES as readonly string[]).includes(name) ? endpoints[name as StackDatabase].kind : undefined;
}

/** The variables of database `name` with the endpoint's values (as connector placeholders use them). */
export function databaseVariableValues(name: string, endpoint: DatabaseEndpoint): Record<string, string> {
  const v = databaseVariables(name);
  return {
    [v.host]: endpoint.host,
    [v.port]: String(endpoint.port),
    [v.user]: endpoint.user,
    [v.password]: endpoint.password,
    [v.database]: endpoint.database,
  };
}

/**
 * The connection options of an endpoint for mysql2 or pg: the endpoint less `kind` (mysql2 warns
 * about options it does not know).
 */
export function connectionOptions(endpoint: DatabaseEndpoint): Omit<DatabaseEndpoint, 'kind'> {
  const { host, port, user, password, database } = endpoint;
  return { host, port, user, password, database };
}

/** The default account of one of the stack's channel databases: user and password `stocksync_<name>`. */
const ownAccount = (name: string) => ({ user: `stocksync_${name}`, password: `stocksync_${name}` });

/** Reads the endpoints from the environment, with the local stack's defaults. */
export function stackEndpoints(env: Environment = process.env): StackEndpoints {
  const value = (name: string, fallback: string): string => env[name] ?? fallback;
  const registryPort = Number(env.STOCKSYNC_REGISTRY_PORT ?? 8081);
  const pos = databaseEndpoint('pos', { kind: 'mysql', host: '127.0.0.1', port: 3307, user: 'stocksync', password: 'stocksync', database: 'pos' }, env);
  const canonical = databaseEndpoint(
    'canonical',
    { kind: 'postgres', host: '127.0.0.1', port: 5432, user: 'stocksync_pipeline', password: 'stocksync_pipeline', database: 'stocksync' },
    env,
  );
  return {
    kafkaBrokers: value('STOCKSYNC_KAFKA_BROKERS', '127.0.0.1:9092').split(','),
    connectUrl: value('STOCKSYNC_CONNECT_URL', 'http://127.0.0.1:8083'),
    connectRest: { user: value('STOCKSYNC_CONNECT_REST_USER', 'stocksync'), password: value('STOCKSYNC_CONNECT_REST_PASSWORD', 'stocksync') },
    registryUrl: value('STOCKSYNC_REGISTRY_URL', `http://127.0.0.1:${registryPort}/apis/ccompat/v7`),
    apicurioUrl: value('STOCKSYNC_APICURIO_URL', `http://127.0.0.1:${registryPort}/apis/registry/v2`),
    pos,
    erpnext: databaseEndpoint('erpnext', { ...pos, database: 'erpnext' }, env),
    warehouse: databaseEndpoint(
      'warehouse',
      { kind: 'postgres', host: '127.0.0.1', port: 5433, user: 'stocksync', password: 'stocksync', database: 'wms' },
      env,
    ),
    canonical,
    // The stack's two channels each write as a role of their own (the local stack creates them).
    webshop: databaseEndpoint('webshop', { ...channelDatabaseDefaults('webshop', 'mysql', canonical), ...ownAccount('webshop') }, env),
    marketplace: databaseEndpoint('marketplace', { ...channelDatabaseDefaults('marketplace', 'postgres', canonical), ...ownAccount('marketplace') }, env),
    redisUrl: value('STOCKSYNC_REDIS_URL', 'redis://127.0.0.1:6379'),
  };
}
