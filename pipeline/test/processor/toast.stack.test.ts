/**
 * Issue 16 item 2 on the real stack: PostgreSQL does not send an unchanged TOASTed column in an
 * UPDATE of a table at REPLICA IDENTITY DEFAULT (the warehouse's product_product), and Debezium
 * writes `__debezium_unavailable_value` in its place. When that column is the one the SKU is looked
 * up from (product_product.default_code), renaming the product must leave the stock where it is:
 * the stored code stands, no SKU named `{"$unchanged":true}` ever appears.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import type { DeadLetter } from '../../src/dead-letter/index.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { waitForRecord } from '../helpers/kafka.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
let pipeline: RunningPipeline;
let wms: pg.Client;
const letters: DeadLetter[] = [];

beforeAll(async () => {
  await freshEnvironment();
  pipeline = await quietPipeline({ serve: false, hooks: { onDeadLetter: (letter) => letters.push(letter) } });
  await waitForLagZero();
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
}, 300_000);

afterAll(async () => {
  await wms?.end();
  await pipeline?.stop();
});

const stockOf = async (sku: string) =>
  canonicalQuery<{ location: string; on_hand: string }>(
    'SELECT location, trim_scale(on_hand)::text AS on_hand FROM stock_level WHERE sku = $1 ORDER BY location',
    [sku],
  );

describe('unchanged TOAST column in a dimension (REPLICA IDENTITY DEFAULT)', () => {
  it('a product renamed without touching its TOASTed code keeps its stock under that code', { timeout: 240_000 }, async () => {
    const identity = await wms.query<{ relreplident: string }>("SELECT relreplident FROM pg_class WHERE relname = 'product_product'");
    expect(identity.rows[0]!.relreplident).toBe('d'); // DEFAULT: updates carry no old row, and no unchanged TOAST value
    // A code that makes the row pass PostgreSQL's 2 kB TOAST threshold (random hex does not compress,
    // so it is moved out of line), yet short enough for a btree index entry (at most 2704 bytes).
    const code = `TOAST-${randomBytes(1200).toString('hex')}`;
    const product = await wms.query<{ id: number }>("INSERT INTO product_product (default_code, name) VALUES ($1, 'Long-coded bolt') RETURNING id", [code]);
    const productId = product.rows[0]!.id;
    const location = await wms.query<{ id: number; complete_name: string }>(
      "SELECT id, complete_name FROM stock_location WHERE usage = 'internal' AND complete_name LIKE 'WH%/Stock' ORDER BY id LIMIT 1",
    );
    const { id: locationId, complete_name: locationCode } = location.rows[0]!;
    await wms.query(
      "INSERT INTO stock_quant (product_id, location_id, quantity, reserved_quantity, in_date) VALUES ($1, $2, 7.5, 0, now() AT TIME ZONE 'UTC')",
      [productId, locationId],
    );
    await eventually(
      () => stockOf(code),
      (rows) => rows.length === 1 && rows[0]!.on_hand === '7.5',
      90_000,
    );

    await wms.query("UPDATE product_product SET name = 'Long-coded bolt, renamed' WHERE id = $1", [productId]);
    // The update really arrived without the code: Debezium's placeholder is in its record (the
    // connector captures only the columns the mapping reads, so the new name itself is not in it).
    const update = await waitForRecord('wms.public.product_product', (record) => {
      const text = record.value?.toString('utf8') ?? '';
      return text.includes(`"id":${productId},`) && text.includes('"op":"u"');
    });
    expect(update.value!.toString('utf8')).toContain('__debezium_unavailable_value');
    await waitForLagZero();
    const dimension = await canonicalQuery<{ default_code: string | null }>(
      "SELECT attributes->>'default_code' AS default_code FROM dimension_row WHERE source = 'warehouse' AND dimension = 'product_product' AND dim_key = $1",
      [String(productId)],
    );
    expect(dimension).toEqual([{ default_code: code }]);

    expect(await stockOf(code)).toEqual([{ location: locationCode, on_hand: '7.5' }]);
    expect(await canonicalQuery("SELECT sku FROM stock_level WHERE sku LIKE '%unchanged%' OR sku LIKE '%unavailable%'")).toEqual([]);
    const quant = await canonicalQuery<{ status: string; sku: string }>(
      "SELECT status, sku FROM source_row WHERE source = 'warehouse' AND table_name = 'stock_quant' AND product_ref = $1",
      [String(productId)],
    );
    expect(quant).toEqual([{ status: 'mapped', sku: code }]);
    expect(letters.filter((l) => l.table === 'product_product' || l.table === 'stock_quant')).toEqual([]);
  });
});
