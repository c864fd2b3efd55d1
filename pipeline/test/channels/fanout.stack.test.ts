/**
 * Issue 6 on the real stack: canonical changes fan out to the web shop (MariaDB) and marketplace
 * (PostgreSQL) channel tables by the channel rules (pipeline/test/channels/channels.test.yaml),
 * versioned, with Redis notifications and the cache-aside read helper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { registerCanonicalSchemas } from '../../src/serve/publisher.ts';
import { availabilityField, redisKeys, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { applyPosMovements } from '../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../dev/sample/pos/schema.ts';
import { reserveQuant } from '../../dev/sample/warehouse/operations.ts';
import type { StockLevelEvent } from '../../src/merge/index.ts';
import { checkChannels } from '../../src/channels/oracle.ts';
import { channelEndpoint, channelRule } from '../../src/channels/config.ts';
import { createAvailabilityReader, readChannelChanges } from '../../src/channels/availability.ts';
import { canonicalQuery, eventually } from '../helpers/environment.ts';
import { startChannelEnvironment, type ChannelEnvironment } from './channel-environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
let env: ChannelEnvironment;
let pos: mysql.Connection;
let wms: pg.Client;
let redis: Redis;

beforeAll(async () => {
  env = await startChannelEnvironment();
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
  redis = new Redis(endpoints.redisUrl);
}, 300_000);

afterAll(async () => {
  await pos?.end();
  await wms?.end();
  redis?.disconnect();
  await env?.close();
});

interface Level {
  location: string;
  on_hand: string;
  reserved: string;
  safety_stock: string | null;
  version: string;
}
const levels = (sku: string) =>
  canonicalQuery<Level>('SELECT location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level WHERE sku = $1 ORDER BY location', [
    sku,
  ]);

/**
 * The test's own arithmetic for the rules in channels.test.yaml, in thousandths of a unit (the
 * sample's quantities have at most 3 decimals): independent of rules.ts and of the SQL oracle.
 */
const milli = (text: string) => Math.round(Number(text) * 1000);
function byHand(channel: 'webshop' | 'marketplace', rows: Level[]): number | null {
  const sells = channel === 'webshop' ? ['STORE-01', 'STORE-02', 'WH1/Stock'] : ['WH1/Stock', 'WH2/Stock'];
  const mine = rows.filter((r) => sells.includes(r.location));
  if (mine.length === 0) return null;
  let total = 0;
  for (const r of mine) {
    const safety = r.safety_stock !== null ? milli(r.safety_stock) : channel === 'webshop' ? 1000 : r.location === 'WH2/Stock' ? 3000 : 2000;
    total += Math.max(0, milli(r.on_hand) - milli(r.reserved) - safety);
  }
  if (channel === 'webshop') return Math.max(0, Math.floor((total - 1000) / 1000));
  return Math.max(0, Math.min(20, Math.floor((total * 90) / 100 / 1000)));
}

/** Produces a canonical event to stock.levels, Avro-encoded as the publisher does. */
async function produceStockLevel(event: StockLevelEvent): Promise<void> {
  const registry = createSchemaRegistry(endpoints.registryUrl);
  const ids = await registerCanonicalSchemas(registry);
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-old-event' });
  try {
    await kafka.send(STOCK_LEVELS_TOPIC, [
      { key: await registry.encode(ids.keyId, { sku: event.sku, location: event.location }), value: await registry.encode(ids.valueId, event) },
    ]);
  } finally {
    await kafka.close();
  }
}

describe('channel fan-out on the real stack', () => {
  it('after the snapshot, both channel tables equal the rules applied to the canonical table', async () => {
    const report = await checkChannels({ config: env.config });
    expect(report.mismatches).toEqual([]);
    const [webshop, marketplace] = report.channels;
    expect(webshop!.channelRows).toBeGreaterThan(100);
    expect(marketplace!.channelRows).toBeGreaterThan(50);
  });

  it('applies safety stock per location, the unit and percent buffers and the cap (values by hand)', async () => {
    const rows = await canonicalQuery<Level & { sku: string }>(
      'SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level ORDER BY sku, location',
    );
    const bySku = new Map<string, Level[]>();
    for (const r of rows) bySku.set(r.sku, [...(bySku.get(r.sku) ?? []), r]);
    let capped = 0;
    let clampedLocation = 0;
    for (const channel of ['webshop', 'marketplace'] as const) {
      const stored = new Map((await env.store(channel).readAll()).map((r) => [r.sku, r.quantity]));
      const expected = new Map<string, number>();
      for (const [sku, list] of bySku) {
        const q = byHand(channel, list);
        if (q !== null) expected.set(sku, q);
        if (channel === 'marketplace' && q === 20) capped++;
        if (list.some((r) => r.location.startsWith('WH') && milli(r.on_hand) - milli(r.reserved) > 0 && milli(r.on_hand) - milli(r.reserved) < 2000))
          clampedLocation++;
      }
      expect(stored).toEqual(expected);
    }
    // The sample data exercises the cap and the per-location clamp to 0.
    expect(capped).toBeGreaterThan(0);
    expect(clampedLocation).toBeGreaterThan(0);
  });

  let soldSku = '';
  it('a POS sale in one store lowers the web shop quantity, and is notified on the channel stream', async () => {
    // A SKU with at least 3 units free above safety stock at STORE-01 (POS location "0").
    const [candidate] = await canonicalQuery<{ sku: string }>(
      `SELECT sku FROM stock_level WHERE location = 'STORE-01' AND safety_stock IS NULL AND on_hand - reserved - 1 >= 3 AND on_hand = trunc(on_hand)
       ORDER BY sku LIMIT 1`,
    );
    soldSku = candidate!.sku;
    const [[product]] = (await pos.query('SELECT id FROM products WHERE reference = ?', [soldSku])) as unknown as [Array<{ id: string }>];
    const before = (await env.row('webshop', soldSku))!;
    const marketplaceBefore = await env.row('marketplace', soldSku);
    const streamBefore = await readChannelChanges(redis, 'webshop');

    await applyPosMovements(pos, [{ location: '0', product: product!.id, reason: POS_REASON.sale, units: -2, price: 5 }]);
    const after = await eventually(
      () => env.row('webshop', soldSku),
      (r) => r !== undefined && r.version > before.version,
    );
    expect(after!.quantity).toBe(before.quantity - 2);
    await env.settle();
    expect(await env.row('marketplace', soldSku)).toEqual(marketplaceBefore); // STORE-01 is not a marketplace location

    const changes = (await readChannelChanges(redis, 'webshop', { after: streamBefore.at(-1)?.id ?? '0' })).filter((c) => c.sku === soldSku);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ sku: soldSku, quantity: before.quantity - 2, previous: before.quantity, version: after!.version });

    // The latency recorder saw the canonical event of the sale reach the web shop.
    const level = (await levels(soldSku)).find((l) => l.location === 'STORE-01')!;
    expect(env.recorder.committedAt('webshop', `${soldSku}|STORE-01|${level.version}`)).toBeGreaterThan(0);
    expect(env.recorder.committedAt('marketplace', `${soldSku}|STORE-01|${level.version}`)).toBeUndefined();
  });

  it('takes safety stock from the source (POS stocklevel.stocksecurity) when the source states one', async () => {
    // A STORE-01 SKU with >= 8 units free and no stocklevel row (so the channel default of 1 applies).
    const candidates = await canonicalQuery<{ sku: string }>(
      `SELECT sku FROM stock_level WHERE location = 'STORE-01' AND safety_stock IS NULL AND on_hand - reserved >= 8 AND on_hand = trunc(on_hand)
       AND sku <> $1 ORDER BY sku`,
      [soldSku],
    );
    let sku = '';
    let productId = '';
    for (const c of candidates) {
      const [[p]] = (await pos.query(
        `SELECT p.id FROM products p WHERE p.reference = ? AND NOT EXISTS (SELECT 1 FROM stocklevel l WHERE l.product = p.id AND l.location = '0')`,
        [c.sku],
      )) as unknown as [Array<{ id: string }>];
      if (p) {
        sku = c.sku;
        productId = p.id;
        break;
      }
    }
    expect(sku).not.toBe('');
    const before = (await env.row('webshop', sku))!;
    const safetyAt = async () => (await levels(sku)).find((l) => l.location === 'STORE-01')!.safety_stock;

    const id = `test-${Date.now().toString(36)}`;
    await pos.query(`INSERT INTO stocklevel (id, location, product, stocksecurity, stockmaximum) VALUES (?, '0', ?, 5, NULL)`, [id, productId]);
    await eventually(safetyAt, (s) => s === '5');
    await env.settle();
    // STORE-01 keeps 5 back instead of the channel's default 1: 4 fewer units on the web shop.
    expect((await env.row('webshop', sku))!.quantity).toBe(before.quantity - 4);

    // NULL stocksecurity: the source states none again, the default applies again.
    await pos.query('UPDATE stocklevel SET stocksecurity = NULL WHERE id = ?', [id]);
    await eventually(safetyAt, (s) => s === null);
    await env.settle();
    expect((await env.row('webshop', sku))!.quantity).toBe(before.quantity);
  });

  it('a reservation in the warehouse lowers available to sell on both channels', async () => {
    const [quant] = (
      await wms.query<{ id: number; code: string }>(
        `SELECT q.id, p.default_code AS code FROM stock_quant q
         JOIN product_product p ON p.id = q.product_id JOIN stock_location l ON l.id = q.location_id
         WHERE l.complete_name = 'WH1/Stock' AND p.default_code IS NOT NULL AND q.quantity - q.reserved_quantity >= 10
         ORDER BY q.quantity - q.reserved_quantity LIMIT 1`,
      )
    ).rows;
    const sku = quant!.code;
    const before = await levels(sku);
    const wh1 = before.find((l) => l.location === 'WH1/Stock')!;
    const webshopBefore = (await env.row('webshop', sku))!;
    expect(webshopBefore.quantity).toBe(byHand('webshop', before));

    await reserveQuant(wms, quant!.id, '3');
    await eventually(
      () => levels(sku),
      (rows) => rows.find((l) => l.location === 'WH1/Stock')!.version !== wh1.version,
    );
    await env.settle();
    const after = await levels(sku);
    expect(Number(after.find((l) => l.location === 'WH1/Stock')!.reserved)).toBe(Number(wh1.reserved) + 3);
    // WH1 has >= 10 free, so 3 more reserved units are 3 fewer to sell on the web shop (safety 1, buffer 1).
    expect((await env.row('webshop', sku))!.quantity).toBe(webshopBefore.quantity - 3);
    const marketplace = (await env.row('marketplace', sku))!;
    expect(marketplace.quantity).toBe(byHand('marketplace', after));
    expect(marketplace.quantity).toBeLessThanOrEqual(byHand('marketplace', before)!);
  });

  it('an older canonical version on stock.levels never overwrites a newer one', async () => {
    const before = (await env.row('webshop', soldSku))!;
    const level = (await levels(soldSku)).find((l) => l.location === 'STORE-01')!;
    expect(Number(level.version)).toBeGreaterThan(1);
    // Replay version 1 of (soldSku, STORE-01) with a huge quantity, as a late duplicate would arrive.
    await produceStockLevel({
      sku: soldSku,
      location: 'STORE-01',
      on_hand: '9999',
      reserved: '0',
      available: '9999',
      safety_stock: null,
      source: 'pos',
      source_position: 'binlog.000001:4#0',
      source_ts_ms: null,
      version: 1,
      updated_at: Date.now() - 3_600_000,
    });
    await env.settle();
    expect(await env.row('webshop', soldSku)).toEqual(before);

    // The writers' conditional upsert itself, on both channel databases, with a SKU of the test's own.
    for (const channel of ['webshop', 'marketplace']) {
      const store = env.store(channel);
      const sku = `TEST-ORDER-${Date.now().toString(36)}`;
      try {
        await store.upsert([{ sku, quantity: 10, version: 5, canonicalVersions: { 'WH1/Stock': 5 } }]);
        await store.upsert([{ sku, quantity: 99, version: 3, canonicalVersions: { 'WH1/Stock': 3 } }]);
        expect((await store.read([sku])).get(sku)).toEqual({ sku, quantity: 10, version: 5 });
        await store.upsert([
          { sku, quantity: 7, version: 6, canonicalVersions: { 'WH1/Stock': 6 } },
          { sku: `${sku}-B`, quantity: 1, version: 1, canonicalVersions: {} },
        ]);
        expect((await store.read([sku])).get(sku)).toEqual({ sku, quantity: 7, version: 6 });
      } finally {
        // Remove the test's rows so that the oracle sees only pipeline rows.
        const ep = channelEndpoint(channelRule(env.config, channel).store);
        if (store.kind === 'mariadb') {
          const conn = await mysql.createConnection(connectionOptions(ep));
          await conn.query('DELETE FROM channel_stock WHERE sku LIKE ?', [`${sku}%`]);
          await conn.end();
        } else {
          const client = new pg.Client(ep);
          await client.connect();
          await client.query('DELETE FROM channel_stock WHERE sku LIKE $1', [`${sku}%`]);
          await client.end();
        }
      }
    }
  });

  it('redoes a channel write whose outcome is unknown (mirror left pending, as after a crash mid-write)', async () => {
    const good = (await env.row('webshop', soldSku))!;
    // The channel missed the last write (it still shows an older state) and the mirror says the
    // write was in flight when the process died.
    const ep = channelEndpoint(channelRule(env.config, 'webshop').store);
    const conn = await mysql.createConnection(connectionOptions(ep));
    try {
      await conn.query('UPDATE channel_stock SET quantity = quantity + 50, version = version - 1 WHERE sku = ?', [soldSku]);
    } finally {
      await conn.end();
    }
    await canonicalQuery(`UPDATE channel_mirror SET pending = true WHERE channel = 'webshop' AND sku = $1`, [soldSku]);
    // Any event of the SKU makes the channel look again (here a replayed old one).
    await produceStockLevel({
      sku: soldSku,
      location: 'WH1/Stock',
      on_hand: '1',
      reserved: '0',
      available: '1',
      safety_stock: null,
      source: 'warehouse',
      source_position: 'lsn:0/1',
      source_ts_ms: null,
      version: 1,
      updated_at: Date.now() - 3_600_000,
    });
    await env.settle();
    expect(await env.row('webshop', soldSku)).toEqual(good);
    expect(await canonicalQuery(`SELECT pending FROM channel_mirror WHERE channel = 'webshop' AND sku = $1`, [soldSku])).toEqual([{ pending: false }]);
  });

  it('getAvailability serves from Redis and is invalidated by the next canonical change', async () => {
    const reader = createAvailabilityReader({ config: env.config, endpoints });
    const key = redisKeys(soldSku, '').sku;
    try {
      await redis.del(key);
      const first = await reader.getAvailability(soldSku, 'webshop');
      const row = (await env.row('webshop', soldSku))!;
      expect(first).toMatchObject({ sku: soldSku, channel: 'webshop', quantity: row.quantity, version: row.version, cached: false });
      expect(await redis.hexists(key, availabilityField('webshop'))).toBe(1);
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      expect(await reader.getAvailability(soldSku, 'webshop')).toEqual({ ...first, cached: true });
      const marketplace = await reader.getAvailability(soldSku, 'marketplace');
      expect(marketplace.quantity).toBe((await env.row('marketplace', soldSku))?.quantity ?? 0);

      const [[product]] = (await pos.query('SELECT id FROM products WHERE reference = ?', [soldSku])) as unknown as [Array<{ id: string }>];
      await applyPosMovements(pos, [{ location: '0', product: product!.id, reason: POS_REASON.refund, units: 1, price: 5 }]);
      // The publisher deletes the SKU's key after the merge commits; the next read recomputes.
      await eventually(
        () => redis.exists(key),
        (n) => n === 0,
        30_000,
      );
      const after = await reader.getAvailability(soldSku, 'webshop');
      expect(after.cached).toBe(false);
      expect(after.quantity).toBe(first.quantity + 1);
      await env.settle();
      expect((await env.row('webshop', soldSku))!.quantity).toBe(after.quantity);
    } finally {
      await reader.close();
    }
  });

  it('at quiescence every channel table equals the rules applied to the canonical table', async () => {
    await env.settle();
    const report = await checkChannels({ config: env.config });
    expect(report.mismatches).toEqual([]);
    expect(env.errorMessages).toEqual([]);
  });
});
