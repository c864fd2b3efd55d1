import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POS_TABLES } from '../../../../dev/sample/pos/schema.ts';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { dropPosDatabase, dumpPos, freshPosDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos_seed';
let pos: Connection;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
});

describe('seedPos', () => {
  it('writes the same rows for the same seed, other rows for another seed', async () => {
    const first = await seedPos(pos, { seed: 42 });
    const dump = await dumpPos(pos, POS_TABLES);
    const again = await seedPos(pos, { seed: 42 });
    expect(again).toEqual(first);
    expect(await dumpPos(pos, POS_TABLES)).toEqual(dump);

    expect(first.locations).toBe(3);
    expect(first.products).toBe(1950); // 2000 SKUs minus 50 warehouse-only
    expect(dump.stockcurrent).toHaveLength(first.stockcurrent);
    expect(dump.stockdiary).toHaveLength(first.stockdiary);
    expect(first.stockcurrent).toBeGreaterThan(4000);
    expect(first.stocklevel).toBeGreaterThan(1000);
    expect(dump.locations).toEqual([
      { id: '0', name: 'Store 01 Downtown' },
      { id: '1', name: 'Store 02 Riverside' },
      { id: '2', name: 'Store 03 Airport' },
    ]);

    await seedPos(pos, { seed: 43 });
    expect((await dumpPos(pos, ['products'])).products).not.toEqual(dump.products);
  });

  it('keeps stockcurrent without a primary key and the diary consistent with it', async () => {
    await seedPos(pos, { seed: 42, products: 300 });
    const [keys] = await pos.query<RowDataPacket[]>(
      `SELECT index_name, non_unique, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols
       FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'stockcurrent'
       GROUP BY index_name, non_unique ORDER BY index_name`,
    );
    expect(keys.map((k) => k.index_name)).not.toContain('PRIMARY');
    expect(keys.find((k) => k.index_name === 'stockcurrent_inx')).toMatchObject({
      non_unique: 0,
      cols: 'location,product,attributesetinstance_id',
    });

    // Seeded diary rows sum to stockcurrent for every (location, product, attribute instance).
    const [diff] = await pos.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM stockcurrent c
       LEFT JOIN (SELECT location, product, attributesetinstance_id, SUM(units) AS s FROM stockdiary GROUP BY 1, 2, 3) d
         ON d.location = c.location AND d.product = c.product AND d.attributesetinstance_id <=> c.attributesetinstance_id
       WHERE d.s IS NULL OR ABS(d.s - c.units) > 1e-9`,
    );
    expect(Number(diff[0]?.n)).toBe(0);
    const [shape] = await pos.query<RowDataPacket[]>(
      `SELECT SUM(units = 0) AS zero, SUM(units < 0) AS negative, SUM(attributesetinstance_id IS NOT NULL) AS variants,
              SUM(units <> FLOOR(units)) AS halves, COUNT(*) AS n FROM stockcurrent`,
    );
    expect(Number(shape[0]?.variants)).toBeGreaterThan(0);
    expect(Number(shape[0]?.halves)).toBeGreaterThan(0);
    const [skew] = await pos.query<RowDataPacket[]>('SELECT MAX(units) AS top, AVG(units) AS mean FROM stockcurrent');
    expect(Number(skew[0]?.top)).toBeGreaterThan(10 * Number(skew[0]?.mean)); // Zipf: a few best sellers hold a lot
  });
});
