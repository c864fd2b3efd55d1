import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { WAREHOUSE_TABLES } from '../../../../dev/sample/warehouse/schema.ts';
import { dropWarehouseDatabase, dumpWarehouse, freshWarehouseDatabase } from '../databases.ts';

const WMS_DB = 'sample_test_wms_seed';
let wms: pg.Client;

beforeAll(async () => {
  wms = await freshWarehouseDatabase(WMS_DB);
});
afterAll(async () => {
  await dropWarehouseDatabase(wms, WMS_DB);
});

describe('seedWarehouse', () => {
  it('writes the same rows for the same seed, with Odoo locations and several lots per product', async () => {
    const first = await seedWarehouse(wms, { seed: 42 });
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
});
