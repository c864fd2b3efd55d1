import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPosMovements } from '../../../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../../../dev/sample/pos/schema.ts';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { buildCatalog } from '../../../../dev/sample/shared/model.ts';
import { dropPosDatabase, freshPosDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos_ops';
const SAMPLE = { seed: 42, products: 300 } as const;
const catalog = buildCatalog(SAMPLE);
let pos: Connection;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
});

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

describe('POS operations (uniCenta)', () => {
  beforeEach(async () => {
    await seedPos(pos, SAMPLE);
  });
  const product = catalog.posByRank.find((p) => p.attributeInstances.length === 0 && !p.byWeight)!;

  it('a sale lowers stockcurrent and adds a reason -1 diary row in one commit', async () => {
    const before = (await units('0', product.posId!)) ?? 0;
    const diaryBefore = await diaryCount();
    const commit = await applyPosMovements(pos, [{ location: '0', product: product.posId!, reason: POS_REASON.sale, units: -2, price: product.pricesell }]);
    expect(await units('0', product.posId!)).toBe(before - 2);
    expect(await diaryCount()).toBe(diaryBefore + 1);
    const [rows] = await pos.query<RowDataPacket[]>('SELECT reason, units, price, location, product, committed_at FROM stockdiary WHERE id = ?', [
      commit.diaryIds[0],
    ]);
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
