/**
 * The merge's round-trip counter on a real PostgreSQL: each query of a client checked out of the
 * counting view counts once in stocksync_merge_statements_total, and the client goes back to the
 * pool as usual.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { mergeStatements } from '../../src/processor/metrics.ts';
import { countingStatements } from '../../src/processor/statement-count.ts';

const pool = new pg.Pool({ ...stackEndpoints().canonical, database: 'postgres', max: 1 });

afterAll(async () => {
  await pool.end();
});

const counted = async () => (await mergeStatements.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('countingStatements', () => {
  it('counts every query of a checked-out client, which is released to the pool as usual', async () => {
    const view = countingStatements(pool);
    const before = await counted();
    const client = await view.connect();
    await client.query('BEGIN');
    const res = await client.query<{ n: number }>('SELECT $1::int AS n', [7]);
    await client.query('COMMIT');
    client.release();
    expect(res.rows).toEqual([{ n: 7 }]);
    expect((await counted()) - before).toBe(3);
    // Released: the one connection of the pool serves the next checkout.
    expect(pool.idleCount).toBe(1);
    const again = await view.connect();
    await again.query('SELECT 1');
    again.release();
    expect((await counted()) - before).toBe(4);
    expect(pool.totalCount).toBe(1);
  });
});
