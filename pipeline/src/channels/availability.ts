/**
 * Read helper for channel apps in Node: `getAvailability(sku, channel)`, cache-aside over the
 * canonical store, and a reader for a channel's change notifications.
 *
 * Key design (docs/channels.md):
 * - `stocksync:stock:{sku}` is a Redis HASH; field `channel:{name}` holds the JSON of
 *   {@link Availability} for that channel. The publisher DELetes this key after every committed
 *   canonical change of the SKU (any location), so every channel's cached value of the SKU is
 *   invalidated at once, right after the merge commits.
 * - The key expires after `ttlSeconds` (default 60) as a safety net; the TTL is renewed on each fill.
 * - Fill race: a reader that read the canonical rows before a merge committed could write its
 *   stale value after the publisher's DEL. So after filling, the reader reads the SKU's canonical
 *   versions again and removes its field if they moved: either that re-read sees the new commit,
 *   or the commit (and so the publisher's DEL) happens after the fill.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import { availabilityField, channelStream, redisKeys } from '../config/names.ts';
import { channelRule, loadChannelsConfig, matchesLocation, type ChannelRule, type ChannelsConfig } from './config.ts';
import { availableToSell, type CanonicalRow } from './rules.ts';

/** Available to sell of one SKU on one channel. */
export interface Availability {
  sku: string;
  channel: string;
  /** Whole units, >= 0 (0 when the SKU has no stock row at the channel's locations). */
  quantity: number;
  /** Sum of the canonical versions at the channel's locations. */
  version: number;
  canonicalVersions: Record<string, number>;
  /** True when served from Redis. */
  cached: boolean;
}

export interface AvailabilityReader {
  /** @throws Error for an unknown channel (naming the known ones), or the Redis / PostgreSQL error. */
  getAvailability(sku: string, channel: string): Promise<Availability>;
  /**
   * Available to sell of many SKUs on one channel, in the order given (duplicates answered once
   * each time they appear): one Redis round trip (a pipeline of HGETs) and, for the SKUs Redis
   * did not hold, one canonical store query. The misses are filled into Redis in the background
   * with the same fill-race check as {@link getAvailability} (`close()` waits for pending fills).
   * @throws Error for an unknown channel, or the Redis / PostgreSQL error of the reads.
   */
  getAvailabilities(skus: readonly string[], channel: string): Promise<Availability[]>;
  close(): Promise<void>;
}

export interface AvailabilityReaderOptions {
  /** Default: a new Redis client for `endpoints.redisUrl` (closed by `close()`). */
  redis?: Redis;
  /** Canonical store pool. Default: a new pool for `endpoints.canonical` (closed by `close()`). */
  pool?: pg.Pool;
  endpoints?: StackEndpoints;
  config?: ChannelsConfig;
  /** Expiry of a cached SKU, seconds (default 60). */
  ttlSeconds?: number;
  /** A background fill of {@link AvailabilityReader.getAvailabilities} failed (default: ignored; the next read recomputes). */
  onFillError?: (error: Error) => void;
}

type StoredAvailability = Omit<Availability, 'cached'>;

interface LevelRow {
  sku: string;
  location: string;
  on_hand: string;
  reserved: string;
  safety_stock: string | null;
  version: string;
}

const LEVELS_SQL = 'SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level WHERE sku = ANY($1::text[])';

/** The availability of `sku` on the channel from its canonical rows (quantity 0, version 0 without rows at the channel's locations). */
function computeAvailability(rule: ChannelRule, channel: string, sku: string, rows: readonly LevelRow[]): StoredAvailability {
  const canonical: CanonicalRow[] = rows.map((r) => ({
    sku: r.sku,
    location: r.location,
    onHand: r.on_hand,
    reserved: r.reserved,
    safetyStock: r.safety_stock,
    version: Number(r.version),
  }));
  const computed = availableToSell(rule, sku, canonical);
  return {
    sku,
    channel,
    quantity: computed?.quantity ?? 0,
    version: computed?.version ?? 0,
    canonicalVersions: computed?.canonicalVersions ?? {},
  };
}

export function createAvailabilityReader(options: AvailabilityReaderOptions = {}): AvailabilityReader {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const ttl = options.ttlSeconds ?? 60;
  const redis = options.redis ?? new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  const pool = options.pool ?? new pg.Pool({ ...endpoints.canonical, max: 4 });
  if (!options.pool) pool.on('error', () => undefined);
  const pendingFills = new Set<Promise<void>>();

  /** Each SKU's canonical versions at the channel's locations, as a comparable list. */
  const versionsOf = async (skus: readonly string[], locations: string[]): Promise<Map<string, string>> => {
    const res = await pool.query<{ sku: string; location: string; version: string }>(
      'SELECT sku, location, version::text FROM stock_level WHERE sku = ANY($1::text[])',
      [skus],
    );
    const bySku = new Map<string, Array<[string, number]>>(skus.map((s) => [s, []]));
    for (const r of res.rows) if (matchesLocation(locations, r.location)) bySku.get(r.sku)?.push([r.location, Number(r.version)]);
    return new Map([...bySku].map(([sku, entries]) => [sku, versionList(entries)]));
  };

  /**
   * Writes computed values into their SKUs' hashes, then re-reads their canonical versions and
   * removes each field whose versions moved meanwhile (the fill race, see the module comment).
   */
  const fill = async (rule: ChannelRule, values: readonly StoredAvailability[]): Promise<void> => {
    if (values.length === 0) return;
    const field = availabilityField(rule.name);
    const multi = redis.multi();
    for (const v of values) {
      const key = redisKeys(v.sku, '').sku;
      multi.hset(key, field, JSON.stringify(v)).expire(key, ttl);
    }
    await multi.exec();
    const now = await versionsOf(
      values.map((v) => v.sku),
      rule.locations,
    );
    const moved = values.filter((v) => now.get(v.sku) !== versionList(Object.entries(v.canonicalVersions)));
    if (moved.length === 0) return;
    const del = redis.pipeline();
    for (const v of moved) del.hdel(redisKeys(v.sku, '').sku, field);
    await del.exec();
  };

  return {
    async getAvailability(sku, channel) {
      const rule = channelRule(config, channel);
      const hit = await redis.hget(redisKeys(sku, '').sku, availabilityField(channel));
      if (hit !== null) return { ...(JSON.parse(hit) as StoredAvailability), cached: true };
      const res = await pool.query<LevelRow>(LEVELS_SQL, [[sku]]);
      const value = computeAvailability(rule, channel, sku, res.rows);
      await fill(rule, [value]);
      return { ...value, cached: false };
    },
    async getAvailabilities(skus, channel) {
      const rule = channelRule(config, channel);
      const unique = [...new Set(skus)];
      const field = availabilityField(channel);
      const read = redis.pipeline();
      for (const sku of unique) read.hget(redisKeys(sku, '').sku, field);
      const replies = (await read.exec()) ?? [];
      const found = new Map<string, Availability>();
      const misses: string[] = [];
      unique.forEach((sku, i) => {
        const [error, hit] = replies[i] ?? [new Error('no reply'), null];
        if (error) throw error;
        if (typeof hit === 'string') found.set(sku, { ...(JSON.parse(hit) as StoredAvailability), cached: true });
        else misses.push(sku);
      });
      if (misses.length > 0) {
        const res = await pool.query<LevelRow>(LEVELS_SQL, [misses]);
        const rowsBySku = new Map<string, LevelRow[]>(misses.map((s) => [s, []]));
        for (const r of res.rows) rowsBySku.get(r.sku)?.push(r);
        const computed = misses.map((sku) => computeAvailability(rule, channel, sku, rowsBySku.get(sku) ?? []));
        for (const v of computed) found.set(v.sku, { ...v, cached: false });
        const pending: Promise<void> = fill(rule, computed).then(
          () => undefined,
          (error: Error) => options.onFillError?.(error),
        );
        pendingFills.add(pending);
        void pending.finally(() => pendingFills.delete(pending));
      }
      return skus.map((sku) => found.get(sku) as Availability);
    },
    async close() {
      await Promise.all([...pendingFills]);
      if (!options.redis) redis.disconnect();
      if (!options.pool) await pool.end();
    },
  };
}

const versionList = (entries: Array<[string, number]>) =>
  entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([l, v]) => `${l}=${v}`)
    .join(',');

/** One entry of a channel's notification stream. */
export interface ChannelChange {
  /** Stream entry id; pass the last one seen as `after` to resume. */
  id: string;
  sku: string;
  quantity: number;
  previous: number | null;
  version: number;
  committedAtMs: number;
}

/**
 * Reads a channel's quantity changes from `stocksync:channel:{channel}` after entry `after`
 * (default `'0'` = from the start of the retained stream; `'$'` = only entries added while blocking), waiting up to `blockMs`
 * (0 = return at once). A store app keeps the last id and calls again.
 */
export async function readChannelChanges(
  redis: Redis,
  channel: string,
  options: { after?: string; blockMs?: number; count?: number } = {},
): Promise<ChannelChange[]> {
  const count = options.count ?? 1000;
  const after = options.after ?? '0';
  const reply = options.blockMs
    ? await redis.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', channelStream(channel), after)
    : await redis.xread('COUNT', count, 'STREAMS', channelStream(channel), after);
  if (!reply) return [];
  return reply.flatMap(([, entries]) => entries.map(([id, fields]) => parseChannelChange(id, fields)));
}

/**
 * One entry of a channel stream (`XREAD` / `XRANGE` reply: id and the flat field list sku,
 * quantity, previous, version, committed_at_ms, as channels/notify.ts writes them) as a {@link ChannelChange}.
 */
export function parseChannelChange(id: string, fields: readonly string[]): ChannelChange {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    id,
    sku: f.sku!,
    quantity: Number(f.quantity),
    previous: f.previous ? Number(f.previous) : null,
    version: Number(f.version),
    committedAtMs: Number(f.committed_at_ms),
  };
}
