import type { Connection, RowDataPacket } from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareStockKeys, type OracleRow } from '../../../../dev/sample/shared/oracle.ts';
import { posOracle } from '../../../../dev/sample/pos/oracle.ts';
import { warehouseOracle } from '../../../../dev/sample/warehouse/oracle.ts';
import { applyPosMovements } from '../../../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../../../dev/sample/pos/schema.ts';
import { buildCatalog } from '../../../../dev/sample/shared/model.ts';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { QuantStateError, deliverQuant, mergeQuants, receiveQuant, reserveQuant } from '../../../../dev/sample/warehouse/operations.ts';
import { runWorkload, type CommittedOperation } from '../../../../dev/sample/shared/workload.ts';
import { dropPosDatabase, dropWarehouseDatabase, freshPosDatabase, freshWarehouseDatabase, sumDecimals } from '../databases.ts';

const POS_DB = 'sample_test_pos';
const WMS_DB = 'sample_test_wms';
const SAMPLE = { seed: 42, products: 300 } as const;
const catalog = buildCatalog(SAMPLE);
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

/** Expected stock of both sources together, sorted by (sku, location). */
async function bothOracles(): Promise<OracleRow[]> {
  return [...(await posOracle(pos)), ...(await warehouseOracle(wms))].sort(compareStockKeys);
}

async function units(location: string, product: string): Promise<number | null> {
  const [rows] = await pos.query<RowDataPacket[]>(
    'SELECT SUM(units) AS u, COUNT(*) AS n FROM stockcurrent WHERE location = ? AND product = ? AND attributesetinstance_id IS NULL',
    [location, product],
  );
  return Number(rows[0]?.n) === 0 ? null : Number(rows[0]?.u);
}

async function diaryCount(): Promise<number> {
  const [rows] = await pos.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM stockdiary');
  return Number(rows[0]?.n);
}

describe('POS operations (uniCenta)', { timeout: 20_000 }, () => {
  beforeEach(async () => {
    await seedPos(pos, SAMPLE);
  });
  const product = catalog.posByRank.find((p) => p.attributeInstances.length === 0 && !p.byWeight)!;

  it('a sale lowers stockcurrent and adds a reason -1 diary row in one commit', async () => {
    const before = (await units('0', product.posId!)) ?? 0;
    const diaryBefore = await diaryCount();
    const commit = await applyPosMovements(pos, [
      { location: '0', product: product.posId!, reason: POS_REASON.sale, units: -2, price: product.pricesell },
    ]);
    expect(await units('0', product.posId!)).toBe(before - 2);
    expect(await diaryCount()).toBe(diaryBefore + 1);
    const [rows] = await pos.query<RowDataPacket[]>(
      'SELECT reason, units, price, location, product, committed_at FROM stockdiary WHERE id = ?',
      [commit.diaryIds[0]],
    );
    expect(rows[0]).toMatchObject({ reason: -1, units: -2, price: product.pricesell, location: '0', product: product.posId });
    // committed_at carries microseconds and lies within the transaction, before the client saw COMMIT return.
    const committedAt = rows[0]?.committed_at as Date;
    expect(committedAt.getTime()).toBeLessThanOrEqual(commit.committedAtMs);
    expect(commit.committedAtMs - committedAt.getTime()).toBeLessThan(5000);
  });

  it('rolls the whole ticket back when one line fails, so stock and diary never diverge', async () => {
    const before = await units('1', product.posId!);
    const diaryBefore = await diaryCount();
    await expect(
      applyPosMovements(pos, [
        { location: '1', product: product.posId!, reason: POS_REASON.sale, units: -1, price: 1 },
        { location: '1', product: 'no-such-product', reason: POS_REASON.sale, units: -1, price: 1 },
      ]),
    ).rejects.toThrow(/foreign key/i);
    expect(await units('1', product.posId!)).toBe(before);
    expect(await diaryCount()).toBe(diaryBefore);
  });

  it('inserts the stockcurrent row when a store sells a product it had no row for', async () => {
    const [missing] = await pos.query<RowDataPacket[]>(
      `SELECT p.id FROM products p WHERE NOT EXISTS (SELECT 1 FROM stockcurrent c WHERE c.product = p.id AND c.location = '2')
       ORDER BY p.id LIMIT 1`,
    );
    const id = missing[0]?.id as string;
    expect(id).toBeTruthy();
    await applyPosMovements(pos, [{ location: '2', product: id, reason: POS_REASON.sale, units: -1.5, price: 3 }]);
    expect(await units('2', id)).toBe(-1.5);
    await expect(applyPosMovements(pos, [{ location: '2', product: id, reason: POS_REASON.refund, units: -1, price: 3 }])).rejects.toThrow(
      /do not match reason/,
    );
  });
});

describe('warehouse operations (Odoo)', { timeout: 20_000 }, () => {
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
    const q = (await wms.query<{ id: number; product_id: number; quantity: string }>(
      "SELECT id, product_id, quantity::text AS quantity FROM stock_quant WHERE location_id = 10 AND quantity > 3 AND lot_id IS NULL ORDER BY id LIMIT 1",
    )).rows[0]!;
    const partial = await deliverQuant(wms, { quantId: q.id, quantity: '1', customerLocationId: 5 });
    expect(partial.changes[0]).toMatchObject({ action: 'update', quantityDelta: '-1' });
    const all = await deliverQuant(wms, { quantId: q.id, quantity: 'all', customerLocationId: 5 });
    expect(all.changes[0]).toMatchObject({ action: 'delete', quantityDelta: `-${sumDecimals([q.quantity, '-1'])}` });
    expect((await wms.query('SELECT 1 FROM stock_quant WHERE id = $1', [q.id])).rowCount).toBe(0);
    expect((await quantsOf(q.product_id, 5)).map((x) => x.quantity)).toEqual([q.quantity]);
    const zero = await wms.query("SELECT COUNT(*)::int AS n FROM stock_quant WHERE quantity = 0");
    expect(zero.rows[0].n).toBe(0);
  });

  it('never reserves above the quantity', async () => {
    const q = (await wms.query<{ id: number; quantity: string }>(
      'SELECT id, quantity::text AS quantity FROM stock_quant WHERE location_id = 12 AND reserved_quantity = 0 AND quantity >= 5 ORDER BY id LIMIT 1',
    )).rows[0]!;
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

/** Applies operation deltas to oracle rows, exactly. */
function applyTouched(rows: readonly OracleRow[], ops: readonly CommittedOperation[]): OracleRow[] {
  const byKey = new Map(rows.map((r) => [`${r.sku}|${r.location}`, { ...r }]));
  for (const op of ops) {
    for (const t of op.touched) {
      if (t.sku === null || t.location === null) continue;
      const key = `${t.sku}|${t.location}`;
      const row = byKey.get(key) ?? { sku: t.sku, location: t.location, onHand: '0', reserved: '0' };
      row.onHand = sumDecimals([row.onHand, t.onHandDelta]);
      row.reserved = sumDecimals([row.reserved, t.reservedDelta]);
      byKey.set(key, row);
    }
  }
  return [...byKey.values()];
}

/** Oracle rows as a map, dropping all-zero keys (a deleted quant and a zero row mean the same). */
function asMap(rows: readonly OracleRow[]): Map<string, string> {
  return new Map(rows.filter((r) => r.onHand !== '0' || r.reserved !== '0').map((r) => [`${r.sku}|${r.location}`, `${r.onHand}/${r.reserved}`]));
}

describe('runWorkload', { timeout: 20_000 }, () => {
  const seedBoth = async (): Promise<void> => {
    await seedPos(pos, SAMPLE);
    await seedWarehouse(wms, SAMPLE);
  };

  it('runs a count of operations whose recorded deltas explain the change the oracle sees', async () => {
    await seedBoth();
    const before = await bothOracles();
    const seen: CommittedOperation[] = [];
    const result = await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, count: 400, onCommit: (op) => seen.push(op) });
    expect(result.committed).toBe(400);
    expect(result.planned).toBe(400);
    expect(result.operations).toEqual(seen);
    expect(result.operations.map((o) => o.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    const kinds = new Set(result.operations.map((o) => o.kind));
    for (const k of ['pos.sale', 'pos.receipt', 'wms.receipt', 'wms.reserve', 'wms.delivery', 'wms.merge']) expect(kinds).toContain(k);
    expect(Object.values(result.counts).reduce((a, b) => a + b, 0)).toBe(400);
    for (const op of result.operations) {
      expect(op.touched.length).toBeGreaterThan(0);
      expect(op.committedAtMs).toBeGreaterThanOrEqual(op.startedAtMs);
      expect(typeof op.committedAtHr).toBe('bigint');
    }
    for (const source of ['pos', 'warehouse']) {
      const hr = result.operations.filter((o) => o.source === source).map((o) => o.committedAtHr);
      expect(hr.every((t, i) => i === 0 || t > (hr[i - 1] as bigint))).toBe(true); // each lane is sequential
    }

    const after = await bothOracles();
    expect(asMap(applyTouched(before, result.operations))).toEqual(asMap(after));
    expect(asMap(after)).not.toEqual(asMap(before));
  });

  it('gives the same final state for the same seed', async () => {
    await seedBoth();
    await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, workloadSeed: 5, count: 300 });
    const first = await bothOracles();
    await seedBoth();
    await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, workloadSeed: 5, count: 300 });
    expect(await bothOracles()).toEqual(first);
    await seedBoth();
    await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, workloadSeed: 6, count: 300 });
    expect(await bothOracles()).not.toEqual(first);
  });

  it('paces operations at the requested rate and stops at the end of the duration', async () => {
    await seedBoth();
    const t0 = Date.now();
    const result = await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, rate: 100, durationMs: 1500 });
    const elapsed = Date.now() - t0;
    expect(result.planned).toBe(150);
    expect(result.committed).toBeGreaterThanOrEqual(140);
    expect(result.committed).toBeLessThanOrEqual(150);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2500);
    expect(result.achievedRate).toBeGreaterThan(85);
    expect(result.achievedRate).toBeLessThan(115);
    const lag = result.operations.map((o) => o.startedAtMs - o.scheduledAtMs).sort((a, b) => a - b);
    expect(lag[Math.floor(lag.length / 2)]).toBeLessThan(20);
  });

  it('stops early on abort and refuses databases seeded with other options', async () => {
    await seedBoth();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const result = await runWorkload({ pos, warehouse: wms }, { ...SAMPLE, rate: 50, durationMs: 10_000, signal: ac.signal });
    expect(result.committed).toBeGreaterThan(5);
    expect(result.committed).toBeLessThan(30);
    expect(result.endedAtMs - result.startedAtMs).toBeLessThan(1000);

    await expect(runWorkload({ pos }, { seed: 43, products: 300, count: 1 })).rejects.toThrow(/seeded with the same seed/);
    await expect(runWorkload({ pos }, { ...SAMPLE })).rejects.toThrow(/count or durationMs/);
  });

  it('runs one source alone with only its kinds', async () => {
    await seedBoth();
    const result = await runWorkload({ warehouse: wms }, { ...SAMPLE, count: 50, mix: { 'wms.merge': 0 } });
    expect(result.committed).toBe(50);
    expect(result.operations.every((o) => o.source === 'warehouse' && o.kind !== 'wms.merge')).toBe(true);
  });
});
