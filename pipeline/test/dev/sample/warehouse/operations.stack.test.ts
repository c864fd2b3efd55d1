import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QuantStateError, deliverQuant, mergeQuants, receiveQuant, reserveQuant } from '../../../../dev/sample/warehouse/operations.ts';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { buildCatalog } from '../../../../dev/sample/shared/model.ts';
import { dropWarehouseDatabase, freshWarehouseDatabase, sumDecimals } from '../databases.ts';

const WMS_DB = 'sample_test_wms_ops';
const SAMPLE = { seed: 42, products: 300 } as const;
const catalog = buildCatalog(SAMPLE);
let wms: pg.Client;

beforeAll(async () => {
  wms = await freshWarehouseDatabase(WMS_DB);
});
afterAll(async () => {
  await dropWarehouseDatabase(wms, WMS_DB);
});

describe('warehouse operations (Odoo)', () => {
  beforeEach(async () => {
    await seedWarehouse(wms, SAMPLE);
  });
  const quantsOf = async (productId: number, locationId: number) =>
    (
      await wms.query<{ id: number; quantity: string; reserved_quantity: string }>(
        'SELECT id, quantity::text AS quantity, reserved_quantity::text AS reserved_quantity FROM stock_quant WHERE product_id = $1 AND location_id = $2 ORDER BY id',
        [productId, locationId],
      )
    ).rows;

  it('a lot merge updates one quant, deletes the other and leaves the sum unchanged', async () => {
    const pair = await wms.query<{ product_id: number; location_id: number }>(
      'SELECT product_id, location_id FROM stock_quant WHERE location_id = 10 GROUP BY 1, 2 HAVING COUNT(*) > 2 ORDER BY 1 LIMIT 1',
    );
    const { product_id, location_id } = pair.rows[0]!;
    const before = await quantsOf(product_id, location_id);
    const [keep, drop] = [before[0]!, before[1]!];
    await wms.query('UPDATE stock_quant SET reserved_quantity = 1 WHERE id = $1', [drop.id]);
    const commit = await mergeQuants(wms, keep.id, drop.id);
    const after = await quantsOf(product_id, location_id);
    expect(after).toHaveLength(before.length - 1);
    expect(after.map((q) => q.id)).not.toContain(drop.id);
    expect(sumDecimals(after.map((q) => q.quantity))).toBe(sumDecimals(before.map((q) => q.quantity)));
    expect(after.find((q) => q.id === keep.id)?.quantity).toBe(sumDecimals([keep.quantity, drop.quantity]));
    expect(commit.changes.map((c) => c.action)).toEqual(['update', 'delete']);
    expect(sumDecimals(commit.changes.map((c) => c.quantityDelta))).toBe('0');
    expect(sumDecimals(commit.changes.map((c) => c.reservedDelta))).toBe('0');
    expect(commit.txId).toMatch(/^\d+$/);
  });

  it('deletes a quant whose quantity reaches zero and moves the goods to the customer location', async () => {
    const q = (
      await wms.query<{ id: number; product_id: number; quantity: string }>(
        'SELECT id, product_id, quantity::text AS quantity FROM stock_quant WHERE location_id = 10 AND quantity > 3 AND lot_id IS NULL ORDER BY id LIMIT 1',
      )
    ).rows[0]!;
    const partial = await deliverQuant(wms, { quantId: q.id, quantity: '1', customerLocationId: 5 });
    expect(partial.changes[0]).toMatchObject({ action: 'update', quantityDelta: '-1' });
    const all = await deliverQuant(wms, { quantId: q.id, quantity: 'all', customerLocationId: 5 });
    expect(all.changes[0]).toMatchObject({ action: 'delete', quantityDelta: `-${sumDecimals([q.quantity, '-1'])}` });
    expect((await wms.query('SELECT 1 FROM stock_quant WHERE id = $1', [q.id])).rowCount).toBe(0);
    expect((await quantsOf(q.product_id, 5)).map((x) => x.quantity)).toEqual([q.quantity]);
    const zero = await wms.query('SELECT COUNT(*)::int AS n FROM stock_quant WHERE quantity = 0');
    expect(zero.rows[0].n).toBe(0);
  });

  it('never reserves above the quantity', async () => {
    const q = (
      await wms.query<{ id: number; quantity: string }>(
        'SELECT id, quantity::text AS quantity FROM stock_quant WHERE location_id = 12 AND reserved_quantity = 0 AND quantity >= 5 ORDER BY id LIMIT 1',
      )
    ).rows[0]!;
    await expect(reserveQuant(wms, q.id, sumDecimals([q.quantity, '0.001']))).rejects.toBeInstanceOf(QuantStateError);
    expect((await wms.query('SELECT reserved_quantity::text AS r FROM stock_quant WHERE id = $1', [q.id])).rows[0].r).toBe('0');
    const r = await reserveQuant(wms, q.id, '2');
    expect(r.changes[0]?.reservedDelta).toBe('2');
    const rest = await reserveQuant(wms, q.id, 'all');
    expect(rest.changes[0]?.reservedDelta).toBe(sumDecimals([q.quantity, '-2']));
    await expect(reserveQuant(wms, q.id, 'all')).rejects.toBeInstanceOf(QuantStateError);
  });

  it('receives into a new lot with fractional NUMERIC quantities, balanced by the vendor location', async () => {
    const p = catalog.warehouseByRank.find((x) => x.lotTracked)!;
    const commit = await receiveQuant(wms, { productId: p.warehouseId!, locationId: 10, lot: 'new', quantity: '2.125', vendorLocationId: 4 });
    expect(commit.changes.map((c) => [c.locationId, c.quantityDelta, c.action])).toEqual([
      [10, '2.125', 'insert'],
      [4, '-2.125', expect.stringMatching(/insert|update/)],
    ]);
    const lot = await wms.query('SELECT name FROM stock_lot WHERE id = $1', [commit.changes[0]!.lotId]);
    expect(lot.rows[0].name).toMatch(/^LOT-\d{6}$/);
  });
});
