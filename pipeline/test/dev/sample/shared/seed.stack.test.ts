import type { Connection, RowDataPacket } from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { dropPosDatabase, dropWarehouseDatabase, freshPosDatabase, freshWarehouseDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos_seed_both';
const WMS_DB = 'sample_test_wms_seed_both';
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

describe('POS and warehouse seeders', () => {
  it('share ~95 % of SKUs (one catalogue)', async () => {
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
