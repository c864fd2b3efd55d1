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
 * | alert state setup         | 7_316_701                                   | transaction | alerts/state.ts            | one instance creates the alert tables at a time |
 *
 * Two `int4` key space:
 * | lock                      | keys                                        | level       | taken by                   | why |
 * |---------------------------|---------------------------------------------|-------------|----------------------------|-----|
 * | channel SKU bucket        | (hashtext('stocksync-channel:<channel>'), hashtext(sku) & 1023) | session | channels/fanout.ts | one instance at a time computes and writes a SKU for one channel, so a later computation reads a newer canonical state; held across the channel database write, released with `releaseSessionLocks` |
 * | alert SKU                 | (7_316_702, hashtext(sku))                  | transaction | alerts/evaluate.ts         | one batch at a time decides a SKU's alerts (its keys come from several partitions), so low stock is raised once |
 * | merge dimension bucket    | (7_316_101, mergeLockBucket('dim:<source>␟<dimension>␟<key>')) | transaction | merge (step 1, with BEGIN) | a batch that writes or joins against a dimension row serializes with every other batch doing so |
 * | merge canonical bucket    | (7_316_102, mergeLockBucket('key:<sku>␟<location>')) | transaction | merge (step 5, with the resolution update) | one instance at a time recomputes a canonical (sku, location) row |
 *
 * The merge locks are buckets of hashed names (MERGE_LOCK_BUCKETS per space): a collision only
 * serializes two unrelated keys, and the number of locks a transaction holds is bounded whatever
 * the batch size. Within one transaction they are taken in a fixed order — dimension buckets
 * first, then canonical buckets, each ascending — so two merges never wait on each other in a
 * cycle. (A channel's first key is a `hashtext`, which could equal a merge space's number with
 * probability 2^-32 per channel; the cost would be needless waiting, never a wrong result.)
 *
 * (`␟` is U+001F, the unit separator, which no identifier contains.)
 */
import type pg from 'pg';

const MIGRATION_LOCK = 7_316_001;
const CHANNEL_STATE_LOCK = 7_316_601;
const ALERT_STATE_LOCK = 7_316_701;

/** Takes the alert locks of `skus` (in hash order, so two batches never wait on each other in a cycle) until the transaction ends. */
export async function lockAlertSkus(client: pg.ClientBase, skus: string[]): Promise<void> {
  await client.query('SELECT count(pg_advisory_xact_lock(7316702, h)) FROM (SELECT DISTINCT hashtext(s) AS h FROM unnest($1::text[]) AS s ORDER BY 1) AS x', [
    skus,
  ]);
}

/** Takes the alert state setup lock until the transaction ends. Call inside a transaction. */
export async function lockAlertStateSetup(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [ALERT_STATE_LOCK]);
}

/** Takes the migrations lock until the transaction ends. Call inside a transaction. */
export async function lockMigrations(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
}

/** Takes the channel state setup lock until the transaction ends. Call inside a transaction. */
export async function lockChannelStateSetup(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CHANNEL_STATE_LOCK]);
}

/** The merge lock name of a dimension row (source, dimension, key), for `mergeLockStatement`. */
export const mergeDimensionLock = (source: string, dimension: string, key: string): string => `dim:${source}\u001f${dimension}\u001f${key}`;

/** The merge lock name of a canonical (sku, location) row, for `mergeLockStatement`. */
export const mergeCanonicalLock = (sku: string, location: string): string => `key:${sku}\u001f${location}`;

/**
 * Buckets per merge lock space. A merge transaction holds at most this many locks per space, so no
 * batch size can exhaust PostgreSQL's shared lock table (`max_locks_per_transaction` × connections,
 * 6,400 slots by default; 15,000 per-key locks in one transaction failed with "out of shared
 * memory"). More buckets let unrelated keys proceed in parallel; fewer keep the lock count small.
 */
export const MERGE_LOCK_BUCKETS = 256;

/** First key of the two-int advisory locks of each merge lock space. */
const MERGE_LOCK_SPACES = { dimension: 7_316_101, canonical: 7_316_102 } as const;

/**
 * The bucket (0 … MERGE_LOCK_BUCKETS − 1) of a merge lock name: 32-bit FNV-1a over its UTF-16 code
 * units. Every instance must compute the same bucket for a name, so this function must not change
 * while instances of different versions share a canonical store.
 */
export function mergeLockBucket(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % MERGE_LOCK_BUCKETS;
}

/**
 * The statement that takes the merge locks of `names` (built by `mergeDimensionLock` /
 * `mergeCanonicalLock`) in one lock space until the transaction ends: one two-int advisory lock
 * per distinct bucket, in bucket order, so two merges never wait on each other in a cycle (every
 * merge takes its dimension buckets first, its canonical buckets later). The statement has no
 * parameters (the buckets are integers written into it), so it can share a round trip with BEGIN.
 * Returns null when there is nothing to lock.
 */
export function mergeLockStatement(space: keyof typeof MERGE_LOCK_SPACES, names: Iterable<string>): string | null {
  const buckets = [...new Set([...names].map(mergeLockBucket))].sort((a, b) => a - b);
  if (buckets.length === 0) return null;
  return `SELECT pg_advisory_xact_lock(${MERGE_LOCK_SPACES[space]}, b) FROM (SELECT unnest('{${buckets.join(',')}}'::int[]) AS b ORDER BY 1) AS buckets`;
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
