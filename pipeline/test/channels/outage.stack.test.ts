/**
 * Issue 6: the storefront database stopped for a while, then started again. The web shop channel
 * is pointed at a MariaDB server of this test's own (pipeline/dev/throwaway/mariadb.ts), so stopping it touches
 * nothing else on the machine. While it is down the web shop consumer retries without committing
 * its offsets and the marketplace goes on; once it is back the web shop ends with the right values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { applyPosMovements } from '../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../dev/sample/pos/schema.ts';
import { reserveQuant } from '../../dev/sample/warehouse/operations.ts';
import { checkChannels } from '../../src/channels/oracle.ts';
import { canonicalQuery, eventually, waitForLagZero } from '../helpers/environment.ts';
import { startChannelEnvironment, type ChannelEnvironment } from './channel-environment.ts';
import { startStorefrontServer, type StorefrontServer } from '../../dev/throwaway/mariadb.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
// Below 32768: ports in the ephemeral range may be taken by any outgoing connection.
const STOREFRONT_PORT = Number(process.env.STOCKSYNC_TEST_STOREFRONT_PORT ?? 13316);
let server: StorefrontServer;
let env: ChannelEnvironment;
let overrides: Record<string, { host: string; port: number; user: string; password: string; database: string }>;
let pos: mysql.Connection;
let wms: pg.Client;

beforeAll(async () => {
  server = await startStorefrontServer(STOREFRONT_PORT, 'storefront');
  overrides = { webshop: server.endpoint };
  env = await startChannelEnvironment({ endpointOverrides: overrides });
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
}, 300_000);

afterAll(async () => {
  await pos?.end();
  await wms?.end();
  await env?.close();
  await server?.destroy();
});

const canonicalLevel = async (sku: string, location: string) =>
  (
    await canonicalQuery<{ on_hand: string; reserved: string; version: string }>(
      'SELECT on_hand::text, reserved::text, version::text FROM stock_level WHERE sku = $1 AND location = $2',
      [sku, location],
    )
  )[0];

describe('a channel database outage', () => {
  it('delays the web shop without dropping an update, and does not hold up the marketplace', async () => {
    expect((await checkChannels({ config: env.config, endpointOverrides: overrides })).mismatches).toEqual([]);

    // A store SKU with room for three sales, and a warehouse quant with room for a reservation.
    const [store] = await canonicalQuery<{ sku: string }>(
      `SELECT sku FROM stock_level WHERE location = 'STORE-02' AND on_hand - reserved - COALESCE(safety_stock, 1) >= 4 AND on_hand = trunc(on_hand) ORDER BY sku LIMIT 1`,
    );
    const [[product]] = (await pos.query('SELECT id FROM products WHERE reference = ?', [store!.sku])) as unknown as [Array<{ id: string }>];
    const [quant] = (
      await wms.query<{ id: number; code: string }>(
        `SELECT q.id, p.default_code AS code FROM stock_quant q
         JOIN product_product p ON p.id = q.product_id JOIN stock_location l ON l.id = q.location_id
         WHERE l.complete_name = 'WH1/Stock' AND p.default_code IS NOT NULL AND q.quantity - q.reserved_quantity >= 10
         ORDER BY q.id LIMIT 1`,
      )
    ).rows;
    const webshopBefore = (await env.row('webshop', store!.sku))!;
    const reservedSkuBefore = (await env.row('webshop', quant!.code))!;
    const wh1Before = (await canonicalLevel(quant!.code, 'WH1/Stock'))!;

    await server.stop();
    const errorsBefore = env.errors.webshop ?? 0;
    // Three sales of one unit, each its own transaction (three canonical versions), and a reservation.
    for (let i = 0; i < 3; i++) {
      await applyPosMovements(pos, [{ location: '1', product: product!.id, reason: POS_REASON.sale, units: -1, price: 5 }]);
    }
    await reserveQuant(wms, quant!.id, '2');

    // The canonical table and the marketplace (its group has consumed every stock.levels record) get
    // everything while the storefront is down.
    await waitForLagZero(undefined, 60_000);
    await env.pipeline.drainOutbox();
    expect(Number((await canonicalLevel(quant!.code, 'WH1/Stock'))!.reserved)).toBe(Number(wh1Before.reserved) + 2);
    await env.settle(['marketplace']);
    expect((await checkChannels({ config: env.config, channels: ['marketplace'] })).mismatches).toEqual([]);
    // The web shop consumer is retrying, with its offsets uncommitted.
    await eventually(
      async () => env.errors.webshop ?? 0,
      (n) => n > errorsBefore,
      30_000,
    );
    expect((await env.channels.lag()).webshop).toBeGreaterThan(0);

    await server.start();
    await env.settle();
    const report = await checkChannels({ config: env.config, endpointOverrides: overrides });
    expect(report.mismatches).toEqual([]);
    expect((await env.row('webshop', store!.sku))!.quantity).toBe(webshopBefore.quantity - 3);
    // WH1 has >= 10 free: 2 more reserved there are 2 fewer on the web shop (safety 1, buffer 1).
    expect((await env.row('webshop', quant!.code))!.quantity).toBe(reservedSkuBefore.quantity - 2);
  });
});
