import type { Connection } from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffStock, posOracle, sampleOracle, warehouseOracle } from '../../../../dev/sample/shared/oracle.ts';
import { createPosSchema } from '../../../../dev/sample/pos/schema.ts';
import { createWarehouseSchema } from '../../../../dev/sample/warehouse/schema.ts';
import { dropPosDatabase, dropWarehouseDatabase, freshPosDatabase, freshWarehouseDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos';
const WMS_DB = 'sample_test_wms';
let pos: Connection;
let wms: pg.Client;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
  wms = await freshWarehouseDatabase(WMS_DB);
  await createPosSchema(pos);
  await createWarehouseSchema(wms);

  await pos.query("INSERT INTO locations (id, name) VALUES ('0', 'Store 01'), ('1', 'Store 02')");
  await pos.query(
    `INSERT INTO products (id, reference, code, name, pricebuy, pricesell, category) VALUES
     ('p-a', 'SKU-A', '1', 'A', 1, 2, 'x'), ('p-b', 'SKU-B', '2', 'B', 1, 2, 'x'), ('p-c', 'SKU-C', '3', 'C', 1, 2, 'x')`,
  );
  await pos.query(
    `INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES
     ('0', 'p-a', NULL, 1.5), ('0', 'p-a', 'size-s', 2), ('0', 'p-a', 'size-m', 0.1), ('0', 'p-a', 'size-l', 0.2),
     ('1', 'p-a', NULL, -2),
     ('0', 'p-b', NULL, 0),
     ('1', 'p-b', NULL, ?)`,
    [0.1 + 0.2], // a binary double, 0.30000000000000004
  );

  await wms.query(
    `INSERT INTO stock_location (id, name, complete_name, usage, location_id) VALUES
     (1, 'Partners', 'Partners', 'view', NULL), (2, 'Vendors', 'Partners/Vendors', 'supplier', 1),
     (3, 'WH1', 'WH1', 'view', NULL), (4, 'Stock', 'WH1/Stock', 'internal', 3),
     (5, 'WH2', 'WH2', 'view', NULL), (6, 'Stock', 'WH2/Stock', 'internal', 5),
     (7, 'Customers', 'Partners/Customers', 'customer', 1)`,
  );
  await wms.query(
    `INSERT INTO product_product (id, default_code, name, active) VALUES
     (1, 'SKU-A', 'A', true), (2, 'SKU-B', 'B', true), (3, NULL, 'no code', true), (4, 'SKU-D', 'D archived', false)`,
  );
  await wms.query(
    `INSERT INTO stock_quant (product_id, location_id, lot_id, quantity, reserved_quantity) VALUES
     (1, 4, NULL, 10.500, 1.125), (1, 4, NULL, 2.25, 0),
     (1, 2, NULL, -12.75, 0),
     (1, 7, NULL, 3, 0),
     (2, 6, NULL, 5, 5),
     (3, 4, NULL, 7, 0),
     (4, 4, NULL, 0.001, 0),
     (2, 3, NULL, 9, 0)`,
  );
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
  await dropWarehouseDatabase(wms, WMS_DB);
});

describe('oracle on a hand-built dataset', { timeout: 20_000 }, () => {
  it('sums POS stockcurrent per reference and store code, rounding doubles to 6 decimals', async () => {
    expect(await posOracle(pos)).toEqual([
      { sku: 'SKU-A', location: 'STORE-01', onHand: '3.8', reserved: '0' },
      { sku: 'SKU-A', location: 'STORE-02', onHand: '-2', reserved: '0' },
      { sku: 'SKU-B', location: 'STORE-01', onHand: '0', reserved: '0' },
      { sku: 'SKU-B', location: 'STORE-02', onHand: '0.3', reserved: '0' },
    ]);
    expect(await posOracle(pos, { '0': 'S0', '1': 'S1' })).toHaveLength(4);
    await expect(posOracle(pos, { '0': 'S0' })).rejects.toThrow(/POS location "1" has no canonical location code/);
  });

  it('sums warehouse quants exactly, for internal locations and coded products only', async () => {
    expect(await warehouseOracle(wms)).toEqual([
      { sku: 'SKU-A', location: 'WH1/Stock', onHand: '12.75', reserved: '1.125' },
      { sku: 'SKU-B', location: 'WH2/Stock', onHand: '5', reserved: '5' },
      { sku: 'SKU-D', location: 'WH1/Stock', onHand: '0.001', reserved: '0' },
    ]);
    expect((await warehouseOracle(wms, { 'WH1/Stock': 'WH1', 'WH2/Stock': 'WH2' })).map((r) => r.location)).toEqual(['WH1', 'WH2', 'WH1']);
  });

  it('combines both sources sorted by sku then location', async () => {
    const all = await sampleOracle({ pos, warehouse: wms });
    expect(all.map((r) => `${r.sku}@${r.location}`)).toEqual([
      'SKU-A@STORE-01',
      'SKU-A@STORE-02',
      'SKU-A@WH1/Stock',
      'SKU-B@STORE-01',
      'SKU-B@STORE-02',
      'SKU-B@WH2/Stock',
      'SKU-D@WH1/Stock',
    ]);
  });
});

describe('diffStock', () => {
  const row = (sku: string, location: string, onHand: string, reserved = '0') => ({ sku, location, onHand, reserved });

  it('treats missing rows as zero and compares decimals by value', () => {
    expect(diffStock([row('A', 'S1', '1.50'), row('B', 'S1', '0')], [row('A', 'S1', '1.5'), row('C', 'S1', '0.000')])).toEqual([]);
  });

  it('lists every mismatch with both sides', () => {
    expect(diffStock([row('A', 'S1', '2'), row('B', 'S1', '1', '1')], [row('A', 'S1', '3'), row('C', 'S1', '1')])).toEqual([
      { sku: 'A', location: 'S1', expected: { onHand: '2', reserved: '0' }, actual: { onHand: '3', reserved: '0' } },
      { sku: 'B', location: 'S1', expected: { onHand: '1', reserved: '1' }, actual: null },
      { sku: 'C', location: 'S1', expected: null, actual: { onHand: '1', reserved: '0' } },
    ]);
    expect(() => diffStock([row('A', 'S1', '1'), row('A', 'S1', '2')], [])).toThrow(/duplicate expected row/);
  });
});
