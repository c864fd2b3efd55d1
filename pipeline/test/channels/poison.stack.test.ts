/**
 * Issue 16 (3c), through the real pipeline: a product whose internal reference (the SKU) is 2,008
 * characters long gets stock at a web shop location. The web shop's MariaDB table keeps SKUs in a
 * VARCHAR(191), so it refuses the row for good (ER_DATA_TOO_LONG): that SKU's stock.levels record
 * is dead-lettered naming the channel, and every other SKU of the same chunk and after it is
 * written — the web shop channel does not freeze. The marketplace (PostgreSQL text) takes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { DEAD_LETTER_TOPIC } from '../../src/config/names.ts';
import { parseDeadLetter } from '../../src/dead-letter/read.ts';
import { checkChannels } from '../../src/channels/oracle.ts';
import { waitForRecord } from '../helpers/kafka.ts';
import { startChannelEnvironment, type ChannelEnvironment } from './channel-environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
let env: ChannelEnvironment;
let wms: pg.Client;

beforeAll(async () => {
  env = await startChannelEnvironment();
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
}, 300_000);

afterAll(async () => {
  await wms?.end();
  await env?.close();
});

describe('a SKU a channel database rejects', () => {
  it('is dead-lettered naming the channel; the rest of the web shop channel is written', { timeout: 600_000 }, async () => {
    const longSku = `POISON-${Date.now()}-`.padEnd(2008, 'x');
    const [wh1] = (await wms.query<{ id: number }>(`SELECT id FROM stock_location WHERE complete_name = 'WH1/Stock'`)).rows;
    const { rows: others } = await wms.query<{ id: number }>(
      `SELECT q.id FROM stock_quant q JOIN product_product p ON p.id = q.product_id
       WHERE q.location_id = $1 AND p.default_code IS NOT NULL ORDER BY q.id LIMIT 10`,
      [wh1!.id],
    );
    expect(others).toHaveLength(10);

    // The long SKU and five other SKUs in one source transaction (one chunk for the channel), five more after.
    await wms.query('BEGIN');
    const [product] = (
      await wms.query<{ id: number }>(`INSERT INTO product_product (default_code, name, active) VALUES ($1, 'Poison product', true) RETURNING id`, [longSku])
    ).rows;
    await wms.query(
      `INSERT INTO stock_quant (product_id, location_id, quantity, reserved_quantity, in_date, write_date) VALUES ($1, $2, 50, 0, now(), now())`,
      [product!.id, wh1!.id],
    );
    await wms.query('UPDATE stock_quant SET quantity = quantity + 7 WHERE id = ANY($1::int[])', [others.slice(0, 5).map((o) => o.id)]);
    await wms.query('COMMIT');
    await wms.query('UPDATE stock_quant SET quantity = quantity + 3 WHERE id = ANY($1::int[])', [others.slice(5).map((o) => o.id)]);

    // Every channel group consumes to the end: nothing froze.
    await env.settle();
    const letter = parseDeadLetter(
      await waitForRecord(DEAD_LETTER_TOPIC, (record) => {
        const entry = parseDeadLetter(record);
        return entry.reason === 'channel-rejected' && (entry.recordKey ?? '').includes(longSku);
      }),
    );
    expect(letter.table).toBe('webshop.channel_stock');
    expect(letter.field).toBe('sku');
    expect(letter.error).toContain('channel webshop');
    expect(letter.error).toContain('ER_DATA_TOO_LONG');

    // The web shop holds everything but the rejected SKU; the marketplace holds everything.
    const report = await checkChannels({ config: env.config });
    expect(report.mismatches.map((m) => ({ channel: m.channel, sku: m.sku, kind: m.kind }))).toEqual([{ channel: 'webshop', sku: longSku, kind: 'missing' }]);
    expect((await env.row('marketplace', longSku))?.quantity).toBeGreaterThan(0);
  });
});
