/**
 * Where every part of the stack lives. One place for hosts, ports and credentials, shared by the
 * stack manager, the connector configs (as placeholders) and the pipeline.
 *
 * Each value can be overridden by an environment variable (named next to it), so the same CLI works
 * against the no-Docker local stack, `deploy/compose.yaml`, or a retailer's own servers.
 */
export interface StackEndpoints {
  /** Kafka bootstrap servers, `host:port` list. Env `STOCKSYNC_KAFKA_BROKERS`. */
  kafkaBrokers: string[];
  /** Kafka Connect REST base URL. Env `STOCKSYNC_CONNECT_URL`. */
  connectUrl: string;
  /** Confluent-compatible schema registry base URL (Apicurio ccompat v7). Env `STOCKSYNC_REGISTRY_URL`. */
  registryUrl: string;
  /** Apicurio native REST API v2 base URL, used by the Apicurio Kafka Connect converter. Env `STOCKSYNC_APICURIO_URL`. */
  apicurioUrl: string;
  /** POS source (MariaDB, binlog on). */
  pos: MysqlEndpoint;
  /** Warehouse source (PostgreSQL, wal_level=logical). */
  warehouse: PgEndpoint;
  /** Canonical store (PostgreSQL). */
  canonical: PgEndpoint;
  /** Web shop channel database (MariaDB). */
  webshop: MysqlEndpoint;
  /** Redis, `redis://host:port`. Env `STOCKSYNC_REDIS_URL`. */
  redisUrl: string;
}

/** A MariaDB/MySQL server and database. */
export interface MysqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** A PostgreSQL server and database. */
export interface PgEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const envPort = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** Reads the endpoints from the environment, with the local stack's defaults. */
export function stackEndpoints(): StackEndpoints {
  const registryPort = envPort('STOCKSYNC_REGISTRY_PORT', 8081);
  return {
    kafkaBrokers: env('STOCKSYNC_KAFKA_BROKERS', '127.0.0.1:9092').split(','),
    connectUrl: env('STOCKSYNC_CONNECT_URL', 'http://127.0.0.1:8083'),
    registryUrl: env('STOCKSYNC_REGISTRY_URL', `http://127.0.0.1:${registryPort}/apis/ccompat/v7`),
    apicurioUrl: env('STOCKSYNC_APICURIO_URL', `http://127.0.0.1:${registryPort}/apis/registry/v2`),
    pos: {
      host: env('STOCKSYNC_POS_HOST', '127.0.0.1'),
      port: envPort('STOCKSYNC_POS_PORT', 3307),
      user: env('STOCKSYNC_POS_USER', 'stocksync'),
      password: env('STOCKSYNC_POS_PASSWORD', 'stocksync'),
      database: env('STOCKSYNC_POS_DATABASE', 'pos'),
    },
    warehouse: {
      host: env('STOCKSYNC_WAREHOUSE_HOST', '127.0.0.1'),
      port: envPort('STOCKSYNC_WAREHOUSE_PORT', 5433),
      user: env('STOCKSYNC_WAREHOUSE_USER', 'postgres'),
      password: env('STOCKSYNC_WAREHOUSE_PASSWORD', 'postgres'),
      database: env('STOCKSYNC_WAREHOUSE_DATABASE', 'wms'),
    },
    canonical: {
      host: env('STOCKSYNC_CANONICAL_HOST', '127.0.0.1'),
      port: envPort('STOCKSYNC_CANONICAL_PORT', 5432),
      user: env('STOCKSYNC_CANONICAL_USER', 'postgres'),
      password: env('STOCKSYNC_CANONICAL_PASSWORD', 'postgres'),
      database: env('STOCKSYNC_CANONICAL_DATABASE', 'stocksync'),
    },
    webshop: {
      host: env('STOCKSYNC_WEBSHOP_HOST', '127.0.0.1'),
      port: envPort('STOCKSYNC_WEBSHOP_PORT', 3306),
      user: env('STOCKSYNC_WEBSHOP_USER', 'root'),
      password: env('STOCKSYNC_WEBSHOP_PASSWORD', ''),
      database: env('STOCKSYNC_WEBSHOP_DATABASE', 'channel_webshop'),
    },
    redisUrl: env('STOCKSYNC_REDIS_URL', 'redis://127.0.0.1:6379'),
  };
}
