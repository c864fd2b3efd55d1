import type { Connection, RowDataPacket } from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POS_TABLES } from '../../../../dev/sample/pos/schema.ts';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { WAREHOUSE_TABLES } from '../../../../dev/sample/warehouse/schema.ts';
import { dropPosDatabase, dropWarehouseDatabase, dumpPos, dumpWarehouse, freshPosDatabase, freshWarehouseDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos';
const WMS_DB = 'sample_test_wms';
let pos: Connection;
let wms: pg.Client;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
  wms = await freshWarehouseDatabase(WMS_DB);
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
  await dropWarehouseDatabase(wms, WMS_DB);
});

describe('seedPos', { timeout: 20_000 }, () => {
  it('writes the same rows for the same seed, other rows for another seed, quickly', async () => {
    const t0 = performance.now();
    const first = await seedPos(pos, { seed: 42 });
    expect(performance.now() - t0).toBeLessThan(5000);
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

describe('seedWarehouse', { timeout: 20_000 }, () => {
  it('writes the same rows for the same seed, with Odoo locations and several lots per product', async () => {
    const t0 = performance.now();
    const first = await seedWarehouse(wms, { seed: 42 });
    expect(performance.now() - t0).toBeLessThan(5000);
    const dump = await dumpWarehouse(wms, WAREHOUSE_TABLES);
    expect(await seedWarehouse(wms, { seed: 42 })).toEqual(first);
    expect(await dumpWarehouse(wms, WAREHOUSE_TABLES)).toEqual(dump);

    expect(first.locations).toBe(12);
    expect(first.products).toBe(1960); // 1950 SKUs (50 are POS-only) + 10 without default_code
    expect(dump.stock_quant).toHaveLength(first.quants);
    expect(dump.stock_lot).toHaveLength(first.lots);

    const usage = await wms.query<{ complete_name: string; usage: string }>(
      "SELECT complete_name, usage FROM stock_location WHERE usage IN ('internal', 'supplier', 'customer', 'inventory') ORDER BY id",
    );
    expect(usage.rows).toEqual([
      { complete_name: 'Partners/Vendors', usage: 'supplier' },
      { complete_name: 'Partners/Customers', usage: 'customer' },
      { complete_name: 'Virtual Locations/Inventory adjustment', usage: 'inventory' },
      { complete_name: 'WH1/Stock', usage: 'internal' },
      { complete_name: 'WH2/Stock', usage: 'internal' },
    ]);
    const multi = await wms.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM (SELECT 1 FROM stock_quant WHERE lot_id IS NOT NULL GROUP BY product_id, location_id HAVING COUNT(*) > 1) x',
    );
    expect(Number(multi.rows[0]?.n)).toBeGreaterThan(50);
    const checks = await wms.query<{ over: string; fractional: string; unbalanced: string }>(
      `SELECT (SELECT COUNT(*) FROM stock_quant WHERE reserved_quantity > quantity AND quantity > 0) AS over,
              (SELECT COUNT(*) FROM stock_quant WHERE quantity <> trunc(quantity)) AS fractional,
              (SELECT COUNT(*) FROM (SELECT 1 FROM stock_quant GROUP BY product_id HAVING SUM(quantity) <> 0) x) AS unbalanced`,
    );
    expect(checks.rows[0]).toMatchObject({ over: '0', unbalanced: '0' });
    expect(Number(checks.rows[0]?.fractional)).toBeGreaterThan(0);
    const identity = await wms.query<{ relreplident: string }>("SELECT relreplident FROM pg_class WHERE relname = 'stock_quant'");
    expect(identity.rows[0]?.relreplident).toBe('f');
    // New rows get ids after the explicitly inserted ones.
    const next = await wms.query<{ id: number }>("INSERT INTO stock_lot (name, product_id) VALUES ('probe', 1) RETURNING id");
    expect(next.rows[0]?.id).toBe(first.lots + 1);
  });

  it('shares ~95 % of SKUs with the POS', async () => {
    await seedPos(pos, { seed: 42 });
    await seedWarehouse(wms, { seed: 42 });
    const [posRefs] = await pos.query<RowDataPacket[]>('SELECT reference FROM products');
    const whCodes = await wms.query<{ default_code: string }>('SELECT default_code FROM product_product WHERE default_code IS NOT NULL');
    const wh = new Set(whCodes.rows.map((r) => r.default_code));
    const shared = posRefs.filter((r) => wh.has(r.reference as string)).length;
    expect(shared).toBe(1900);
    expect(posRefs.length - shared).toBe(50); // POS-only
    expect(wh.size - shared).toBe(50); // warehouse-only
    expect(posRefs.every((r) => /^SKU-\d{6}$/.test(r.reference as string))).toBe(true);
  });
});
