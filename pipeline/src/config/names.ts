/**
 * The names stocksync owns outside its own process, in one place: Kafka topics and consumer groups,
 * Redis keys, pub/sub channels and streams, and the canonical store's advisory lock keys. Users and
 * channel apps depend on these (docs/channels.md, README), so each is a contract: change one only
 * with a migration. Names owned by others (Debezium's `__debezium-heartbeat.` topic prefix, source
 * topics `<topic_prefix>.<table>` from the mapping files) are not here.
 */

// Kafka topics

/** The compacted topic of canonical changes, keyed by {sku, location} (schema subjects `stock.levels-key` / `-value`). */
export const STOCK_LEVELS_TOPIC = 'stock.levels';

/** The dead-letter topic (docs/design.md invariant 5): records the pipeline could not process, with why. */
export const DEAD_LETTER_TOPIC = 'stocksync.dlq';

// Kafka consumer groups

/** The consumer group of the stream processor (`stocksync run`) over every mapped source topic. */
export const PIPELINE_GROUP_ID = 'stocksync-pipeline';

/** The consumer group of a channel's fan-out on stock.levels. */
export function channelGroupId(channel: string): string {
  return `stocksync-channel-${channel}`;
}

// Redis

/** Prefix of every Redis key and stream stocksync writes (a reset deletes `stocksync:*`). */
export const REDIS_KEY_PREFIX = 'stocksync:';

/**
 * One part of a Redis key or stream name, with `%` and `:` percent-encoded (`%25`, `%3A`): a part
 * never holds the `:` that separates parts, so two different lists of parts never make the same name
 * ((`A`, `B:C`) gives `A:B%3AC`, (`A:B`, `C`) gives `A%3AB:C`; docs/design.md invariant 8). Every
 * other character is kept, so names of SKUs and locations without `%` or `:` read as they are.
 * `decodeURIComponent` gives the part back.
 */
export function redisKeyPart(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

/** `stocksync:` and the parts, each encoded by {@link redisKeyPart}, joined by `:`: every Redis key and stream name of stocksync. */
function redisName(...parts: string[]): string {
  return `${REDIS_KEY_PREFIX}${parts.map(redisKeyPart).join(':')}`;
}

/** Redis key prefix of the channels' rate limiters (package rate-limiter-flexible); a channel's key is `stocksync:channel-rate:<channel>`. */
export const CHANNEL_RATE_KEY_PREFIX = `${REDIS_KEY_PREFIX}channel-rate`;

/**
 * Redis key design shared by the publisher (which invalidates) and channel-app readers (which
 * cache): `stocksync:stock:{sku}:{location}` holds one canonical row, `stocksync:stock:{sku}` a
 * per-SKU summary, SKU and location each encoded by {@link redisKeyPart}. Both are deleted after
 * every committed change to that (sku, location).
 */
export function redisKeys(sku: string, location: string): { level: string; sku: string } {
  return { level: redisName('stock', sku, location), sku: redisName('stock', sku) };
}

/** The field of a channel in the per-SKU hash `stocksync:stock:{sku}` (its cached availability). */
export function availabilityField(channel: string): string {
  return `channel:${redisKeyPart(channel)}`;
}

/** Redis key prefix of the availability API's rate limit per API key (`@fastify/rate-limit`'s Redis store): `stocksync:api-rate:<key id>`. */
export const API_RATE_KEY_PREFIX = `${REDIS_KEY_PREFIX}api-rate:`;

/** Redis pub/sub channel carrying each canonical change as JSON (the stock.levels value fields). */
export const STOCK_CHANGES_CHANNEL = `${REDIS_KEY_PREFIX}stock-changes`;

/** The Redis stream of a channel's quantity changes, `stocksync:channel:{channel}` (encoded by {@link redisKeyPart}). */
export function channelStream(channel: string): string {
  return redisName('channel', channel);
}

// Alerts (docs/alerts.md)

/** The topic of stock alerts (low stock, anomaly, stockout risk), Avro (`schemas/avro/stock_alert.avsc`, subject `stock.alerts-value`), keyed by SKU. */
export const ALERTS_TOPIC = 'stock.alerts';

/** The consumer group of `stocksync alerts run` on stock.levels. */
export const ALERTS_GROUP_ID = 'stocksync-alerts';

/** The Redis stream every alert is added to, `stocksync:alerts`. */
export const ALERTS_STREAM = `${REDIS_KEY_PREFIX}alerts`;

/** The topic channel apps write demand signals to (JSON `{sku, channel, kind, at_ms}`; docs/alerts.md), keyed by SKU. */
export const DEMAND_TOPIC = 'stock.demand';

/** The consumer group of `stocksync alerts run` on the demand topic. */
export const DEMAND_GROUP_ID = 'stocksync-alerts-demand';
