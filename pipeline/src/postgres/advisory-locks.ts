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
 * | merge dimension bucket    | (7_316_101, groupedBucket(<source>␟<dimension>, <key>)) | transaction | merge (step 1, with BEGIN) | exclusive by a batch that writes the dimension row, shared by a batch that joins against it: a writer serializes with every other batch doing either |
 * | merge canonical bucket    | (7_316_102, groupedBucket(<location>, <sku>)) | transaction | merge (step 6, with the source row write) | one instance at a time recomputes a canonical (sku, location) row |
 *
 * The merge locks are buckets of hashed names (MERGE_LOCK_BUCKETS per space, grouped by source
 * and dimension or by location, see `groupedBucket`): a collision only serializes two unrelated keys, and the number of locks a transaction holds is bounded whatever
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

/**
 * One merge lock to take: its bucket in its lock space, and whether it is exclusive (writers) or
 * shared (readers: a level row that joins against a dimension row it does not write).
 */
export interface MergeLock {
  bucket: number;
  exclusive: boolean;
}

/**
 * Buckets per merge lock space. A merge transaction holds at most this many locks per space, so no
 * batch size can exhaust PostgreSQL's shared lock table (`max_locks_per_transaction` × connections,
 * 6,400 slots by default, shared by every database of the cluster; 15,000 per-key locks in one
 * transaction failed with "out of shared memory").
 */
export const MERGE_LOCK_BUCKETS = 256;

/**
 * A bucket is a group (one per source × dimension, or per canonical location) times a member within
 * it, so merges of different sources, whose dimension rows and canonical locations differ, rarely
 * share a bucket however many keys each batch holds: with one flat hash of the key, a batch of a
 * thousand keys covered every bucket and all large merges ran one at a time.
 */
const MERGE_LOCK_LAYOUT = {
  dimension: { groups: 64, members: 4 },
  canonical: { groups: 128, members: 2 },
} as const;

/**
 * The lock on a dimension row (source, dimension, key): exclusive for the batch that writes the
 * row, shared for a batch whose level rows join against it (two such batches never wait on each
 * other; either waits for a writer).
 */
export const mergeDimensionLock = (source: string, dimension: string, key: string, mode: 'exclusive' | 'shared'): MergeLock => ({
  bucket: groupedBucket('dimension', `${source}\u001f${dimension}`, key),
  exclusive: mode === 'exclusive',
});

/** The (exclusive) lock on a canonical (sku, location) row: grouped by location. */
export const mergeCanonicalLock = (sku: string, location: string): MergeLock => ({ bucket: groupedBucket('canonical', location, sku), exclusive: true });

/**
 * The bucket (0 … MERGE_LOCK_BUCKETS − 1) of `member` in `group`: 32-bit FNV-1a over the UTF-16
 * code units of each. Every instance must compute the same bucket for a lock, so this function (and
 * MERGE_LOCK_LAYOUT) must not change while instances of different versions share a canonical
 * store: stop them all to upgrade across a change of it.
 */
export function groupedBucket(space: keyof typeof MERGE_LOCK_LAYOUT, group: string, member: string): number {
  const { groups, members } = MERGE_LOCK_LAYOUT[space];
  return (fnv1a(group) % groups) * members + (fnv1a(member) % members);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** First key of the two-int advisory locks of each merge lock space. */
const MERGE_LOCK_SPACES = { dimension: 7_316_101, canonical: 7_316_102 } as const;

/**
 * The statement that takes `locks` in one lock space until the transaction ends: one two-int
 * advisory lock per distinct bucket, exclusive when any lock of that bucket is, in bucket order,
 * so two merges never wait on each other in a cycle (every merge takes its dimension buckets
 * first, its canonical buckets later). The statement has no parameters (the buckets are integers
 * written into it), so it can share a round trip with BEGIN. Returns null when there is nothing
 * to lock.
 */
export function mergeLockStatement(space: keyof typeof MERGE_LOCK_SPACES, locks: Iterable<MergeLock>): string | null {
  const exclusive = new Map<number, boolean>();
  for (const lock of locks) exclusive.set(lock.bucket, lock.exclusive || (exclusive.get(lock.bucket) ?? false));
  if (exclusive.size === 0) return null;
  const buckets = [...exclusive.keys()].sort((a, b) => a - b);
  const key = MERGE_LOCK_SPACES[space];
  if (buckets.every((b) => exclusive.get(b))) {
    return `SELECT pg_advisory_xact_lock(${key}, b) FROM (SELECT unnest('{${buckets.join(',')}}'::int[]) AS b ORDER BY 1) AS buckets`;
  }
  // Mixed modes, still one ascending pass: the function called per row depends on the mode.
  const modes = buckets.map((b) => (exclusive.get(b) ? 't' : 'f'));
  return `SELECT CASE WHEN x THEN (SELECT 1 FROM pg_advisory_xact_lock(${key}, b)) ELSE (SELECT 1 FROM pg_advisory_xact_lock_shared(${key}, b)) END
    FROM (SELECT * FROM unnest('{${buckets.join(',')}}'::int[], '{${modes.join(',')}}'::bool[]) AS t(b, x) ORDER BY 1) AS buckets`;
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
