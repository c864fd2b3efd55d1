/**
 * A merge's locks are bounded whatever the batch size: one batch of 50,000 distinct canonical keys
 * merges in one transaction (one advisory lock per key exhausted PostgreSQL's shared lock table at
 * about 15,000 with the default `max_locks_per_transaction`), holding at most the bucket count of
 * locks per lock space; replaying the same batch changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { mergeBatch, prepareCanonicalStore } from '../../src/merge/index.ts';
import { loadMapping, type LevelChange, type SourceMapping } from '../../src/normalize/index.ts';
import { MERGE_LOCK_BUCKETS } from '../../src/postgres/advisory-locks.ts';
import { eventually } from '../helpers/environment.ts';

const KEYS = 50_000;
const database = `stocksync_test_large_batch_${process.pid}`;
const endpoints: StackEndpoints = { ...stackEndpoints(), canonical: { ...stackEndpoints().canonical, database } };

let mapping: SourceMapping;
let pool: pg.Pool;
let admin: pg.Client;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'large-batch-'));
  const file = path.join(dir, 'bulk.yaml');
  fs.writeFileSync(
    file,
    [
      'source: bulk',
      'topic_prefix: bulk.db',
      'format: json',
      'locations: ["LOC-*"]',
      'levels:',
      '  stock:',
      '    row_key: [id]',
      '    sku: { column: sku }',
      '    location: { column: location }',
      '    on_hand: { column: qty, type: decimal }',
      '',
    ].join('\n'),
  );
  mapping = loadMapping(file);
  await prepareCanonicalStore(endpoints);
  pool = new pg.Pool({ ...endpoints.canonical, max: 2 });
  admin = new pg.Client({ ...endpoints.canonical, database: 'postgres' });
  await admin.connect();
});

afterAll(async () => {
  await pool?.end();
  // Dropped once the pool's sessions are gone: forcing one still closing would be an error event with no listener.
  await eventually(
    async () => (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database])).rows[0]!.n,
    (n) => n === 0,
    30_000,
  ).catch(() => undefined);
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
});

function batch(offset: bigint): LevelChange[] {
  return Array.from({ length: KEYS }, (_, i) => ({
    kind: 'level',
    role: 'level',
    source: 'bulk',
    table: 'stock',
    rowKey: JSON.stringify([i]),
    productRef: `SKU-${i}`,
    locationRef: `LOC-${i % 7}`,
    onHand: String(i % 13),
    reserved: '0',
    deleted: false,
    excluded: null,
    position: { value: offset + BigInt(i), text: `lsn:0/${(offset + BigInt(i)).toString(16)}` },
    sourceTsMs: null,
    txId: null,
    snapshot: true,
  }));
}

describe('a batch of 50,000 distinct keys', () => {
  it('merges in one transaction with bounded advisory locks, and a replay changes nothing', async () => {
    let locksHeld = -1;
    const first = await mergeBatch(pool, batch(1_000n), [mapping], async () => {
      const held = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
        [database],
      );
      locksHeld = Number(held.rows[0]!.n);
    });
    expect(first.applied).toBe(KEYS);
    // Every key is new and has a mapped row, so every one is written (an on hand of 0 included).
    expect(first.canonical).toHaveLength(KEYS);
    expect(locksHeld).toBeGreaterThan(0);
    expect(locksHeld).toBeLessThanOrEqual(2 * MERGE_LOCK_BUCKETS);

    const stored = await pool.query<{ n: string; total: string }>('SELECT count(*) AS n, sum(on_hand)::text AS total FROM stock_level');
    expect(Number(stored.rows[0]!.n)).toBe(first.canonical.length);
    expect(stored.rows[0]!.total).toBe(String(expectedTotal()));

    const replay = await mergeBatch(pool, batch(1_000n), [mapping]);
    expect(replay.applied).toBe(0);
    expect(replay.skippedStale).toBe(KEYS);
    expect(replay.canonical).toHaveLength(0);
  });
});

function expectedTotal(): number {
  let total = 0;
  for (let i = 0; i < KEYS; i++) total += i % 13;
  return total;
}
