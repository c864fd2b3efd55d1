/**
 * Channel databases: one table per channel, one row per SKU —
 * `(sku, quantity, version, canonical_versions, updated_at)` — written with a versioned conditional
 * upsert (a row is never replaced by a lower version: docs/design.md invariant 6; an equal version
 * rewrites the same state, which lets `channels resync` apply changed rules), many SKUs per
 * statement. Every request to a channel database first takes a token from the channel's rate
 * limiter, as marketplace APIs impose request rates; the limiter is kept in Redis (one key per
 * channel, package `rate-limiter-flexible`), so the limit holds across `channels run` processes.
 *
 * - web shop (`kind: mariadb`, through mysql2): `INSERT ... ON DUPLICATE KEY UPDATE` whose
 *   assignments keep the stored values when the new version is lower (version assigned last:
 *   MariaDB evaluates the assignments left to right).
 * - marketplace (`kind: postgres`, through pg): `INSERT ... ON CONFLICT (sku) DO UPDATE ... WHERE
 *   stored.version <= EXCLUDED.version`.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Redis } from 'ioredis';
import client from 'prom-client';
import { RateLimiterQueue, RateLimiterRedis } from 'rate-limiter-flexible';
import { connectionOptions, type DatabaseEndpoint } from '../config/endpoints.ts';
import { CHANNEL_RATE_KEY_PREFIX } from '../config/names.ts';
import { metricsRegistry } from '../metrics/registry.ts';
import { createResilientPool } from '../postgres/pool.ts';
import { storeErrorKind, type StoreErrorKind } from '../postgres/errors.ts';
import type { ChannelRule } from './config.ts';

/** One row of a channel table. */
export interface ChannelRow {
  sku: string;
  quantity: number;
  version: number;
  /** Canonical version per location the quantity was computed from. */
  canonicalVersions: Record<string, number>;
}

/** A stored row as read back. */
export interface StoredChannelRow {
  sku: string;
  quantity: number;
  version: number;
}

export interface ChannelStore {
  readonly channel: string;
  readonly kind: 'mariadb' | 'postgres';
  /** Creates the database and table if missing (once; retried on the next call after a failure). */
  ensureSchema(): Promise<void>;
  /** Versioned conditional upsert of many rows in one statement (one request). */
  upsert(rows: readonly ChannelRow[]): Promise<void>;
  /** Rows of these SKUs (one request). */
  read(skus: readonly string[]): Promise<Map<string, StoredChannelRow>>;
  /** Every row (for the oracle; not rate limited). */
  readAll(): Promise<StoredChannelRow[]>;
  /** Deletes every row (demo and test resets). */
  truncate(): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelStoreOptions {
  /** Apply the channel's rate limit to every request (default true; the oracle and resets pass false). */
  rateLimited?: boolean;
  /** Redis holding the channel's rate limit, shared by every process that writes the channel (required when rate limited). */
  redis?: Redis;
  /** Client-side timeout of one request, ms (default 15 s): a hung database fails the request, which is retried. */
  requestTimeoutMs?: number;
}

/**
 * The window a channel's rate limit is enforced in: at most `points` requests in each fixed window
 * of `durationSeconds` (whole seconds: Redis expiries). The window is long enough to hold `burst`
 * requests, and `points / durationSeconds` never exceeds `requestsPerSecond`.
 */
export function rateWindow(rate: ChannelRule['rateLimit']): { points: number; durationSeconds: number } {
  const durationSeconds = Math.max(1, Math.ceil(rate.burst / rate.requestsPerSecond));
  return { points: Math.max(1, Math.floor(rate.requestsPerSecond * durationSeconds)), durationSeconds };
}

const rateLimitedRequests = new client.Counter({
  name: 'stocksync_channel_requests_total',
  help: 'Requests to channel databases that took a turn of the channel rate limit (writes and reads), by channel',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});

/**
 * Waits for a turn of a channel's rate limit ({@link rateWindow}), counted in Redis under the
 * channel's key, so every process writing the channel shares it; requests queue in order.
 * @returns a function that resolves when the request may go; it rejects when Redis fails (the
 *   request is then retried like any failed channel request).
 */
export function createChannelRateLimiter(channel: string, rate: ChannelRule['rateLimit'], redis: Redis): () => Promise<void> {
  const { points, durationSeconds } = rateWindow(rate);
  const queue = new RateLimiterQueue(new RateLimiterRedis({ storeClient: redis, keyPrefix: CHANNEL_RATE_KEY_PREFIX, points, duration: durationSeconds }));
  return async () => {
    try {
      await queue.removeTokens(1, channel);
    } catch (error) {
      throw new RateLimitUnavailable(channel, error);
    }
    rateLimitedRequests.inc({ channel });
  };
}

/**
 * A channel request could not take its turn of the rate limit because Redis failed (down,
 * restarting, too many retries). Says nothing about the request's rows: retried, never isolated.
 */
export class RateLimitUnavailable extends Error {
  constructor(channel: string, cause: unknown) {
    super(`channel ${channel}: the rate limit in Redis is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * Whether a failed channel request is worth retrying as it is (`transient`: the rate limit's Redis,
 * or a store error postgres/errors.ts deems transient) or was refused for the rows it carried
 * (`rejected`: their SKUs are isolated and dead-lettered).
 */
export function channelErrorKind(error: unknown): StoreErrorKind {
  return error instanceof RateLimitUnavailable ? 'transient' : storeErrorKind(error);
}

// Identifiers quoted and escaped by the drivers (docs/design.md invariant 8); a MariaDB name with a dot stays one name.
const quoteMysql = (name: string) => mysql.escapeId(name, true);
const quotePg = (name: string) => pg.escapeIdentifier(name);

/**
 * A channel's store.
 * @throws Error when it is rate limited (the default) and `options.redis` is missing.
 */
export function createChannelStore(rule: ChannelRule, endpoint: DatabaseEndpoint, options: ChannelStoreOptions = {}): ChannelStore {
  if (options.rateLimited !== false && !options.redis) throw new Error(`channel ${rule.name}: a rate-limited channel store needs Redis (options.redis)`);
  const take = options.rateLimited === false ? async () => undefined : createChannelRateLimiter(rule.name, rule.rateLimit, options.redis!);
  const timeout = options.requestTimeoutMs ?? 15_000;
  return rule.store.kind === 'mariadb' ? mariadbStore(rule, endpoint, take, timeout) : postgresStore(rule, endpoint, take, timeout);
}

function mariadbStore(rule: ChannelRule, endpoint: DatabaseEndpoint, take: () => Promise<void>, timeout: number): ChannelStore {
  const table = quoteMysql(rule.store.table);
  let pool: mysql.Pool | undefined;
  const getPool = () => {
    if (!pool) {
      pool = mysql.createPool({
        ...connectionOptions(endpoint),
        connectionLimit: 3,
        connectTimeout: 5000,
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
      // A connection whose server went away: mysql2 drops it from the pool on its first error, but
      // a second one would have no listener and terminate the process. The request reports it.
      pool.on('connection', (connection) => connection.on('error', () => undefined));
    }
    return pool;
  };
  let ready = false;
  const store: ChannelStore = {
    channel: rule.name,
    kind: 'mariadb',
    async ensureSchema() {
      if (ready) return;
      await take();
      const conn = await mysql.createConnection({
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
        password: endpoint.password,
        connectTimeout: 5000,
      });
      try {
        await conn.query({ sql: `CREATE DATABASE IF NOT EXISTS ${quoteMysql(endpoint.database)} CHARACTER SET utf8mb4`, timeout });
        await conn.query({
          sql: `CREATE TABLE IF NOT EXISTS ${quoteMysql(endpoint.database)}.${table} (
            sku                VARCHAR(191) NOT NULL PRIMARY KEY,
            quantity           BIGINT       NOT NULL,
            version            BIGINT       NOT NULL,
            canonical_versions TEXT         NOT NULL,
            updated_at         DATETIME(3)  NOT NULL
          ) ENGINE=InnoDB`,
          timeout,
        });
      } finally {
        await conn.end().catch(() => undefined);
      }
      ready = true;
    },
    async upsert(rows) {
      if (rows.length === 0) return;
      await take();
      await getPool().query({
        sql: `INSERT INTO ${table} (sku, quantity, version, canonical_versions, updated_at)
              VALUES ${rows.map(() => '(?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}
              ON DUPLICATE KEY UPDATE
                quantity = IF(VALUES(version) >= version, VALUES(quantity), quantity),
                canonical_versions = IF(VALUES(version) >= version, VALUES(canonical_versions), canonical_versions),
                updated_at = IF(VALUES(version) >= version, VALUES(updated_at), updated_at),
                version = GREATEST(version, VALUES(version))`,
        values: rows.flatMap((r) => [r.sku, r.quantity, r.version, JSON.stringify(r.canonicalVersions)]),
        timeout,
      });
    },
    async read(skus) {
      if (skus.length === 0) return new Map();
      await take();
      const [rows] = await getPool().query({ sql: `SELECT sku, quantity, version FROM ${table} WHERE sku IN (?)`, values: [skus], timeout });
      return new Map((rows as Array<{ sku: string; quantity: string; version: string }>).map((r) => [r.sku, toStored(r)]));
    },
    async readAll() {
      const [rows] = await getPool().query({ sql: `SELECT sku, quantity, version FROM ${table} ORDER BY sku`, timeout });
      return (rows as Array<{ sku: string; quantity: string; version: string }>).map(toStored);
    },
    async truncate() {
      await store.ensureSchema();
      await getPool().query({ sql: `DELETE FROM ${table}`, timeout });
    },
    async close() {
      await pool?.end().catch(() => undefined);
      pool = undefined;
    },
  };
  return store;
}

function postgresStore(rule: ChannelRule, endpoint: DatabaseEndpoint, take: () => Promise<void>, timeout: number): ChannelStore {
  const table = quotePg(rule.store.table);
  let pool: pg.Pool | undefined;
  const getPool = () => {
    if (!pool) {
      // A client whose server went away (idle or checked out): the pool drops it, the request in
      // flight fails (and is retried by the caller), the next request reconnects.
      pool = createResilientPool({ ...connectionOptions(endpoint), max: 3, connectionTimeoutMillis: 5000, query_timeout: timeout }, () => undefined);
    }
    return pool;
  };
  let ready = false;
  const store: ChannelStore = {
    channel: rule.name,
    kind: 'postgres',
    async ensureSchema() {
      if (ready) return;
      await take();
      const admin = new pg.Client({ ...connectionOptions(endpoint), database: 'postgres', connectionTimeoutMillis: 5000, query_timeout: timeout });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [endpoint.database]);
        if (exists.rowCount === 0) {
          await admin.query(`CREATE DATABASE ${quotePg(endpoint.database)}`).catch((error: { code?: string }) => {
            if (error.code !== '42P04') throw error; // created meanwhile by another instance
          });
        }
      } finally {
        await admin.end().catch(() => undefined);
      }
      await getPool()
        .query(
          `CREATE TABLE IF NOT EXISTS ${table} (
          sku                text        PRIMARY KEY,
          quantity           bigint      NOT NULL CHECK (quantity >= 0),
          version            bigint      NOT NULL,
          canonical_versions jsonb       NOT NULL,
          updated_at         timestamptz NOT NULL
        )`,
        )
        .catch((error: { code?: string }) => {
          if (error.code !== '23505' && error.code !== '42P07') throw error; // concurrent CREATE by another instance
        });
      ready = true;
    },
    async upsert(rows) {
      if (rows.length === 0) return;
      await take();
      await getPool().query(
        `INSERT INTO ${table} (sku, quantity, version, canonical_versions, updated_at)
         SELECT sku, q, v, cv::jsonb, clock_timestamp()
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS r(sku, q, v, cv)
         ON CONFLICT (sku) DO UPDATE SET
           quantity = EXCLUDED.quantity, version = EXCLUDED.version,
           canonical_versions = EXCLUDED.canonical_versions, updated_at = EXCLUDED.updated_at
         WHERE ${table}.version <= EXCLUDED.version`,
        [rows.map((r) => r.sku), rows.map((r) => r.quantity), rows.map((r) => r.version), rows.map((r) => JSON.stringify(r.canonicalVersions))],
      );
    },
    async read(skus) {
      if (skus.length === 0) return new Map();
      await take();
      const res = await getPool().query<{ sku: string; quantity: string; version: string }>(
        `SELECT sku, quantity::text, version::text FROM ${table} WHERE sku = ANY($1::text[])`,
        [skus],
      );
      return new Map(res.rows.map((r) => [r.sku, toStored(r)]));
    },
    async readAll() {
      const res = await getPool().query<{ sku: string; quantity: string; version: string }>(
        `SELECT sku, quantity::text, version::text FROM ${table} ORDER BY sku`,
      );
      return res.rows.map(toStored);
    },
    async truncate() {
      await store.ensureSchema();
      await getPool().query(`TRUNCATE ${table}`);
    },
    async close() {
      await pool?.end().catch(() => undefined);
      pool = undefined;
    },
  };
  return store;
}

const toStored = (r: { sku: string; quantity: string | number; version: string | number }): StoredChannelRow => ({
  sku: r.sku,
  quantity: Number(r.quantity),
  version: Number(r.version),
});
