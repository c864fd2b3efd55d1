/**
 * Every PostgreSQL advisory lock the product takes in the canonical store, in one place, so two
 * users of one key space cannot collide unnoticed (PostgreSQL docs, "Advisory Locks" and
 * "Advisory Lock Functions").
 *
 * PostgreSQL has two advisory key spaces that never overlap: one `bigint` key, and two `int4` keys.
 *
 * Single `bigint` key space:
 * | lock                      | key                                         | level       | taken by                   | why |
 * |---------------------------|---------------------------------------------|-------------|----------------------------|-----|
 * | migrations                | 7_316_001                                   | transaction | merge/migrate.ts           | one instance applies pending migrations at a time |
 * | channel state setup       | 7_316_601                                   | transaction | channels/state.ts          | one instance creates the channel stage's tables at a time |
 * | merge dimension key       | hashtextextended('dim:<source>␟<dimension>␟<key>', 0) | transaction | merge (step 1) | a batch that writes or joins against a dimension row serializes with every other batch doing so |
 * | merge canonical key       | hashtextextended('key:<sku>␟<location>', 0) | transaction | merge (step 6)             | one instance at a time recomputes a canonical (sku, location) row |
 *
 * The merge keys are hashes (64 bits; a collision only serializes two unrelated keys). Within one
 * transaction they are taken in a fixed order — dimension keys first, then canonical keys, each
 * sorted by hash — so two merges never wait on each other in a cycle.
 *
 * Two `int4` key space:
 * | lock                      | keys                                        | level       | taken by                   | why |
 * |---------------------------|---------------------------------------------|-------------|----------------------------|-----|
 * | channel SKU bucket        | (hashtext('stocksync-channel:<channel>'), hashtext(sku) & 1023) | session | channels/fanout.ts | one instance at a time computes and writes a SKU for one channel, so a later computation reads a newer canonical state; held across the channel database write, released with `releaseSessionLocks` |
 *
 * (`␟` is U+001F, the unit separator, which no identifier contains.)
 */
import type pg from 'pg';

const MIGRATION_LOCK = 7_316_001;
const CHANNEL_STATE_LOCK = 7_316_601;

/** Takes the migrations lock until the transaction ends. Call inside a transaction. */
export async function lockMigrations(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
}

/** Takes the channel state setup lock until the transaction ends. Call inside a transaction. */
export async function lockChannelStateSetup(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CHANNEL_STATE_LOCK]);
}

/** The merge lock name of a dimension row (source, dimension, key), for `lockMergeKeys`. */
export const mergeDimensionLock = (source: string, dimension: string, key: string): string => `dim:${source}\u001f${dimension}\u001f${key}`;

/** The merge lock name of a canonical (sku, location) row, for `lockMergeKeys`. */
export const mergeCanonicalLock = (sku: string, location: string): string => `key:${sku}\u001f${location}`;

/**
 * Takes the merge locks named (by `mergeDimensionLock` / `mergeCanonicalLock`) until the
 * transaction ends, in hash order, duplicates once. Call inside a transaction.
 */
export async function lockMergeKeys(client: pg.ClientBase, names: Iterable<string>): Promise<void> {
  const list = [...new Set(names)];
  if (list.length === 0) return;
  await client.query('SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS locks', [
    list,
  ]);
}

const LOCK_BUCKETS_SQL = `
  SELECT pg_advisory_lock(hashtext($1), b)
  FROM (SELECT DISTINCT (hashtext(s) & 1023) AS b FROM unnest($2::text[]) AS s ORDER BY 1) AS buckets`;

/**
 * Takes, at session level, the channel's SKU bucket locks (1024 buckets per channel) of `skus`, in
 * bucket order; they are held until `releaseSessionLocks` (or the connection ends). Blocks while
 * another session holds one of them.
 */
export async function lockChannelSkuBuckets(client: pg.ClientBase, channel: string, skus: string[]): Promise<void> {
  await client.query(LOCK_BUCKETS_SQL, [`stocksync-channel:${channel}`, skus]);
}

/**
 * Releases every session-level advisory lock `client` holds. Returns false when that failed: the
 * caller must then drop the connection (which releases them too) instead of returning it to a pool.
 */
export async function releaseSessionLocks(client: pg.ClientBase): Promise<boolean> {
  return client.query('SELECT pg_advisory_unlock_all()').then(
    () => true,
    () => false,
  );
}
