import { describe, expect, it } from 'vitest';
import { groupedBucket, MERGE_LOCK_BUCKETS, mergeCanonicalLock, mergeDimensionLock, mergeLockStatement } from '../../src/postgres/advisory-locks.ts';

describe('merge lock buckets', () => {
  it('stay within MERGE_LOCK_BUCKETS and keep one location in one group', () => {
    const buckets = new Set<number>();
    for (let i = 0; i < 5_000; i++) buckets.add(mergeCanonicalLock(`SKU-${i}`, 'STORE-01').bucket);
    // One location: its group's 2 members only, whatever the number of SKUs.
    expect(buckets.size).toBe(2);
    for (const b of buckets) expect(b).toBeGreaterThanOrEqual(0);
    for (const b of buckets) expect(b).toBeLessThan(MERGE_LOCK_BUCKETS);
    const group = Math.floor([...buckets][0]! / 2);
    expect([...buckets].every((b) => Math.floor(b / 2) === group)).toBe(true);
  });

  it('spread a large batch of one source and dimension over 4 dimension buckets only', () => {
    const buckets = new Set(Array.from({ length: 5_000 }, (_, i) => mergeDimensionLock('pos', 'product', String(i), 'shared').bucket));
    expect(buckets.size).toBe(4);
    expect(groupedBucket('dimension', 'pos\u001fproduct', '17')).toBe(mergeDimensionLock('pos', 'product', '17', 'exclusive').bucket);
  });
});

describe('mergeLockStatement', () => {
  it('is null when there is nothing to lock', () => {
    expect(mergeLockStatement('canonical', [])).toBeNull();
  });

  it('takes exclusive locks in ascending bucket order, once per bucket', () => {
    const sql = mergeLockStatement('canonical', [
      { bucket: 9, exclusive: true },
      { bucket: 3, exclusive: true },
      { bucket: 9, exclusive: true },
    ]);
    expect(sql).toBe("SELECT pg_advisory_xact_lock(7316102, b) FROM (SELECT unnest('{3,9}'::int[]) AS b ORDER BY 1) AS buckets");
  });

  it('takes a bucket exclusively when any of its locks is exclusive, the others shared', () => {
    const sql = mergeLockStatement('dimension', [
      { bucket: 5, exclusive: false },
      { bucket: 2, exclusive: false },
      { bucket: 5, exclusive: true },
    ]);
    expect(sql).toContain("unnest('{2,5}'::int[], '{f,t}'::bool[])");
    expect(sql).toContain('pg_advisory_xact_lock_shared(7316101, b)');
  });
});
