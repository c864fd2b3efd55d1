import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { posOracle } from '../../../../dev/sample/pos/oracle.ts';
import { createPosSchema } from '../../../../dev/sample/pos/schema.ts';
import { dropPosDatabase, freshPosDatabase } from '../databases.ts';

const POS_DB = 'sample_test_pos_oracle';
let pos: Connection;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
  await createPosSchema(pos);
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
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
});

describe('POS oracle on a hand-built dataset', () => {
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
});
