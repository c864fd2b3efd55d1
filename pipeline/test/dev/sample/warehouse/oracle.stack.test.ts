import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warehouseOracle } from '../../../../dev/sample/warehouse/oracle.ts';
import { createWarehouseSchema } from '../../../../dev/sample/warehouse/schema.ts';
import { dropWarehouseDatabase, freshWarehouseDatabase } from '../databases.ts';

const WMS_DB = 'sample_test_wms_oracle';
let wms: pg.Client;

beforeAll(async () => {
  wms = await freshWarehouseDatabase(WMS_DB);
  await createWarehouseSchema(wms);
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
  await dropWarehouseDatabase(wms, WMS_DB);
});

describe('warehouse oracle on a hand-built dataset', () => {
  it('sums warehouse quants exactly, for internal locations and coded products only', async () => {
    expect(await warehouseOracle(wms)).toEqual([
      { sku: 'SKU-A', location: 'WH1/Stock', onHand: '12.75', reserved: '1.125' },
      { sku: 'SKU-B', location: 'WH2/Stock', onHand: '5', reserved: '5' },
      { sku: 'SKU-D', location: 'WH1/Stock', onHand: '0.001', reserved: '0' },
    ]);
    expect((await warehouseOracle(wms, { 'WH1/Stock': 'WH1', 'WH2/Stock': 'WH2' })).map((r) => r.location)).toEqual(['WH1', 'WH2', 'WH1']);
  });
});
