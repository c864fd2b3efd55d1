/**
 * The merge lock statements on a real PostgreSQL: a mixed statement takes each bucket in the mode
 * asked, and two transactions holding the same bucket shared do not wait on each other.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { mergeLockStatement } from '../../src/postgres/advisory-locks.ts';

const pool = new pg.Pool({ ...stackEndpoints().canonical, database: 'postgres', max: 3 });

afterAll(async () => {
  await pool.end();
});

/** The advisory locks `pid` holds in the dimension space (7316101), as bucket → mode. */
async function heldBy(pid: number): Promise<Record<string, string>> {
  const res = await pool.query<{ bucket: number; mode: string }>(
    `SELECT objid::int AS bucket, mode FROM pg_locks WHERE locktype = 'advisory' AND classid = 7316101 AND objsubid = 2 AND pid = $1 AND granted`,
    [pid],
  );
  return Object.fromEntries(res.rows.map((r) => [String(r.bucket), r.mode]));
}

describe('mergeLockStatement on PostgreSQL', () => {
  it('takes exclusive and shared buckets as asked; shared holders do not block each other', async () => {
    const sql = mergeLockStatement('dimension', [
      { bucket: 11, exclusive: false },
      { bucket: 12, exclusive: true },
    ])!;
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(sql);
      const pidA = (await a.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(await heldBy(pidA)).toEqual({ '11': 'ShareLock', '12': 'ExclusiveLock' });
      // Another transaction sharing bucket 11 gets it at once; asking for 12 it would wait.
      await b.query('BEGIN');
      await b.query(mergeLockStatement('dimension', [{ bucket: 11, exclusive: false }])!);
      const pidB = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(await heldBy(pidB)).toEqual({ '11': 'ShareLock' });
      const tryExclusive = await b.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock(7316101, 12) AS got');
      expect(tryExclusive.rows[0]!.got).toBe(false);
    } finally {
      await a.query('ROLLBACK');
      await b.query('ROLLBACK');
      a.release();
      b.release();
    }
  });
});
