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
import { channelRule, loadChannelsConfig, matchesLocation, type ChannelsConfig } from './config.ts';
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
  getAvailability(sku: string, channel: string): Promise<Availability>;
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
}

export function createAvailabilityReader(options: AvailabilityReaderOptions = {}): AvailabilityReader {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const ttl = options.ttlSeconds ?? 60;
  const redis = options.redis ?? new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  const pool = options.pool ?? new pg.Pool({ ...endpoints.canonical, max: 4 });
  if (!options.pool) pool.on('error', () => undefined);

  const versionsOf = async (sku: string, locations: string[]): Promise<string> => {
    const res = await pool.query<{ location: string; version: string }>('SELECT location, version::text FROM stock_level WHERE sku = $1', [sku]);
    return versionList(res.rows.filter((r) => matchesLocation(locations, r.location)).map((r) => [r.location, Number(r.version)]));
  };

  return {
    async getAvailability(sku, channel) {
      const rule = channelRule(config, channel);
      const key = redisKeys(sku, '').sku;
      const field = availabilityField(channel);
      const hit = await redis.hget(key, field);
      if (hit !== null) return { ...(JSON.parse(hit) as Omit<Availability, 'cached'>), cached: true };

      const res = await pool.query<{ location: string; on_hand: string; reserved: string; safety_stock: string | null; version: string }>(
        'SELECT location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level WHERE sku = $1',
        [sku],
      );
      const rows: CanonicalRow[] = res.rows.map((r) => ({
        sku,
        location: r.location,
        onHand: r.on_hand,
        reserved: r.reserved,
        safetyStock: r.safety_stock,
        version: Number(r.version),
      }));
      const computed = availableToSell(rule, sku, rows);
      const value: Omit<Availability, 'cached'> = {
        sku,
        channel,
        quantity: computed?.quantity ?? 0,
        version: computed?.version ?? 0,
        canonicalVersions: computed?.canonicalVersions ?? {},
      };
      const readVersions = versionList(Object.entries(value.canonicalVersions));
      await redis.multi().hset(key, field, JSON.stringify(value)).expire(key, ttl).exec();
      if ((await versionsOf(sku, rule.locations)) !== readVersions) await redis.hdel(key, field);
      return { ...value, cached: false };
    },
    async close() {
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
  return reply.flatMap(([, entries]) =>
    entries.map(([id, fields]) => {
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
    }),
  );
}
