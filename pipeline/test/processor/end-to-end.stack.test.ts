/**
 * Issue "The main job end to end", on the real stack: POS and warehouse changes flow through
 * Debezium, Kafka, decode, normalize and merge into the canonical table, Redis and stock.levels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { applyPosMovements } from '../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../dev/sample/pos/schema.ts';
import { mergeQuants } from '../../dev/sample/warehouse/operations.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { DEAD_LETTER_TOPIC, PIPELINE_GROUP_ID, redisKeys, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { waitForRecord } from '../helpers/kafka.ts';
import { loadMappings } from '../../src/normalize/mapping.ts';
import { DEAD_LETTER_HEADERS } from '../../src/dead-letter/dead-letter.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
/** The shipped mappings, with a 2 s wait for missing dimension rows (the default is 300 s). */
const shortWait = () => loadMappings().map((m) => ({ ...m, parked_timeout_seconds: 2 }));
let pipeline: RunningPipeline;
let pos: mysql.Connection;
let wms: pg.Client;

beforeAll(async () => {
  await freshEnvironment();
  pipeline = await quietPipeline({ mappings: shortWait() });
  await waitForLagZero();
  await pipeline.drainOutbox();
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
}, 300_000);

afterAll(async () => {
  await pos?.end();
  await wms?.end();
  await pipeline?.stop();
});

const level = async (sku: string, location: string) =>
  (
    await canonicalQuery<{ on_hand: string; reserved: string; version: string; source: string; source_position: string }>(
      'SELECT on_hand::text, reserved::text, version::text, source, source_position FROM stock_level WHERE sku = $1 AND location = $2',
      [sku, location],
    )
  )[0];

describe('end to end on the real stack', () => {
  it('merges the snapshot so that the canonical table equals the SQL oracle', async () => {
    const report = await checkAgainstOracle();
    expect(report.canonicalRows).toBeGreaterThan(100);
    expect(report.mismatches).toEqual([]);
  });

  it('a POS sale reaches the canonical table with the right quantity, then Redis and stock.levels', async () => {
    const [row] = (
      await pos.query(
        `SELECT s.product, p.reference, s.units FROM stockcurrent s JOIN products p ON p.id = s.product
       WHERE s.location = '1' AND s.attributesetinstance_id IS NULL AND s.units >= 3 ORDER BY p.reference LIMIT 1`,
      )
    )[0] as Array<{ product: string; reference: string; units: number }>;
    const before = await level(row!.reference, 'STORE-02');
    expect(Number(before!.on_hand)).toBe(row!.units);

    const redis = new Redis(endpoints.redisUrl);
    const keys = redisKeys(row!.reference, 'STORE-02');
    await redis.set(keys.level, 'stale cached value');
    try {
      await applyPosMovements(pos, [{ location: '1', product: row!.product, reason: POS_REASON.sale, units: -2, price: 9.99 }]);
      const after = await eventually(
        () => level(row!.reference, 'STORE-02'),
        (r) => r !== undefined && r.version !== before!.version,
      );
      expect(Number(after!.on_hand)).toBe(row!.units - 2);
      expect(after!.source).toBe('pos');
      expect(after!.source_position).toMatch(/^binlog\.\d+:\d+#\d+$/);
      await eventually(
        () => redis.exists(keys.level),
        (n) => n === 0,
        10_000,
      );
    } finally {
      redis.disconnect();
    }

    const registry = createSchemaRegistry(endpoints.registryUrl);
    const record = await waitForRecord(STOCK_LEVELS_TOPIC, async (r) => {
      const value = await registry.decode(r.value!);
      return value.sku === row!.reference && value.location === 'STORE-02' && String(value.version) === String(Number(before!.version) + 1);
    });
    expect(await registry.decode(record.key!)).toEqual({ sku: row!.reference, location: 'STORE-02' });
    const event = await registry.decode(record.value!);
    expect(event.on_hand).toBe(String(row!.units - 2));
    expect(event.available).toBe(String(row!.units - 2));
  });

  it('a warehouse lot merge (UPDATE one quant, DELETE another, one transaction) leaves the right sum', async () => {
    const pair = await wms.query<{ keep: number; drop: number; code: string; complete_name: string; total: string }>(
      `SELECT min(q.id) AS keep, max(q.id) AS drop, p.default_code AS code, l.complete_name, sum(q.quantity)::text AS total
       FROM stock_quant q JOIN product_product p ON p.id = q.product_id JOIN stock_location l ON l.id = q.location_id
       WHERE l.usage = 'internal' AND p.default_code IS NOT NULL
       GROUP BY q.product_id, q.location_id, p.default_code, l.complete_name HAVING count(*) >= 2 LIMIT 1`,
    );
    const target = pair.rows[0]!;
    const before = await level(target.code, target.complete_name);
    expect(Number(before!.on_hand)).toBe(Number(target.total));
    await mergeQuants(wms, target.keep, target.drop);
    const dropped = await wms.query('SELECT 1 FROM stock_quant WHERE id = $1', [target.drop]);
    expect(dropped.rowCount).toBe(0);
    // Wait until the DELETE is merged (the dropped quant's source row is flagged deleted).
    await eventually(
      () => canonicalQuery<{ deleted: boolean }>(`SELECT deleted FROM source_row WHERE source = 'warehouse' AND row_key = $1`, [JSON.stringify([target.drop])]),
      (rows) => rows[0]?.deleted === true,
    );
    const after = await level(target.code, target.complete_name);
    expect(Number(after!.on_hand)).toBe(Number(target.total));
    const report = await checkAgainstOracle();
    expect(report.mismatches).toEqual([]);
  });

  it('a stock row that arrives before its product row is parked, then applied when the product arrives', async () => {
    const product = `LATE-${Date.now().toString(36)}`;
    const sku = `SKU-LATE-${Date.now().toString(36)}`;
    // uniCenta enforces the foreign key; switching it off for this session lets the stock row reach
    // the binlog (and so Kafka and the pipeline) strictly before the product row.
    await pos.query('SET FOREIGN_KEY_CHECKS = 0');
    await pos.query(`INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES ('2', ?, NULL, 11)`, [product]);
    await pos.query('SET FOREIGN_KEY_CHECKS = 1');
    const parked = await eventually(
      () =>
        canonicalQuery<{ status: string; status_reason: string }>(`SELECT status, status_reason FROM source_row WHERE source = 'pos' AND product_ref = $1`, [
          product,
        ]),
      (rows) => rows.length === 1,
    );
    expect(parked[0]!.status).toBe('parked');
    expect(parked[0]!.status_reason).toContain('not seen yet');
    expect(await level(sku, 'STORE-03')).toBeUndefined();

    await pos.query('INSERT INTO products (id, reference, code, name, category) VALUES (?, ?, ?, ?, ?)', [product, sku, sku, 'late product', '000']);
    const applied = await eventually(
      () => level(sku, 'STORE-03'),
      (r) => r !== undefined,
    );
    expect(applied!.on_hand).toBe('11');
  });

  it('replaying already applied records (group offsets reset to earliest) changes nothing', async () => {
    const snapshotOf = () =>
      canonicalQuery<{ sku: string; location: string; on_hand: string; version: string }>(
        'SELECT sku, location, on_hand::text, version::text FROM stock_level ORDER BY sku, location',
      );
    const counter = async () =>
      Number((await canonicalQuery<{ value: string }>(`SELECT value::text FROM pipeline_counter WHERE name = 'merge.skipped_stale'`))[0]?.value ?? 0);
    const before = await snapshotOf();
    const skippedBefore = await counter();
    await pipeline.stop();
    const { createKafkaClient } = await import('../../src/kafka/client.ts');
    const kafka = createKafkaClient(endpoints.kafkaBrokers);
    for (const topic of pipeline.topics) await kafka.resetGroupToEarliest(PIPELINE_GROUP_ID, topic);
    await kafka.close();
    pipeline = await quietPipeline({ mappings: shortWait() });
    await waitForLagZero();
    // Every replayed row change was recognised as already applied (at or before its stored position).
    expect((await counter()) - skippedBefore).toBeGreaterThan(before.length);
    expect(await snapshotOf()).toEqual(before);
  });

  it('quarantines a row whose location has no code, naming source, table, key and field; then goes on', async () => {
    const header = (r: { headers: Record<string, Buffer | undefined> }, name: string) => r.headers[name]?.toString('utf8');
    // A store the mapping's constant map does not know.
    const location = `X${Date.now().toString(36)}`;
    const [product] = (await pos.query(`SELECT id, reference FROM products ORDER BY id LIMIT 1`))[0] as Array<{ id: string; reference: string }>;
    await pos.query('INSERT INTO locations (id, name) VALUES (?, ?)', [location, `unmapped store ${location}`]);
    await pos.query(`INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES (?, ?, NULL, 4)`, [location, product!.id]);
    const letter = await waitForRecord(DEAD_LETTER_TOPIC, (r) => (header(r, DEAD_LETTER_HEADERS.key) ?? '').includes(location));
    expect(header(letter, DEAD_LETTER_HEADERS.source)).toBe('pos');
    expect(header(letter, DEAD_LETTER_HEADERS.table)).toBe('stockcurrent');
    expect(header(letter, DEAD_LETTER_HEADERS.field)).toBe('location');
    expect(header(letter, DEAD_LETTER_HEADERS.reason)).toBe('unmapped-code');
    expect(header(letter, DEAD_LETTER_HEADERS.topic)).toBe('pos.pos.stockcurrent');
    expect(header(letter, DEAD_LETTER_HEADERS.error)).toContain('not in the mapping');

    // The pipeline goes on: a later valid change at a mapped store is applied.
    await pos.query(`INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES ('0', ?, 'after-letter', 6)`, [product!.id]);
    await eventually(
      () =>
        canonicalQuery<{ status: string }>(`SELECT status FROM source_row WHERE source = 'pos' AND row_key = $1`, [
          JSON.stringify(['0', product!.id, 'after-letter']),
        ]),
      (rows) => rows[0]?.status === 'mapped',
    );
    // The SQL oracle refuses a POS location without a code; take the unmapped store away again.
    await pos.query('DELETE FROM stockcurrent WHERE location = ?', [location]);
    await pos.query('DELETE FROM locations WHERE id = ?', [location]);
    await eventually(
      () => canonicalQuery<{ deleted: boolean }>(`SELECT deleted FROM source_row WHERE source = 'pos' AND location_ref = $1`, [location]),
      (rows) => rows.length === 1 && rows[0]!.deleted,
    );
    expect((await checkAgainstOracle()).mismatches).toEqual([]);
  });

  it('reports a stock row whose product never arrives to the dead-letter topic after the wait, keeping it parked', async () => {
    const header = (r: { headers: Record<string, Buffer | undefined> }, name: string) => r.headers[name]?.toString('utf8');
    const product = `NEVER-${Date.now().toString(36)}`;
    await pos.query('SET FOREIGN_KEY_CHECKS = 0');
    await pos.query(`INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES ('0', ?, NULL, 3)`, [product]);
    await pos.query('SET FOREIGN_KEY_CHECKS = 1');
    const letter = await waitForRecord(
      DEAD_LETTER_TOPIC,
      (r) => header(r, DEAD_LETTER_HEADERS.reason) === 'dimension-timeout' && (header(r, DEAD_LETTER_HEADERS.key) ?? '').includes(product),
    );
    expect(header(letter, DEAD_LETTER_HEADERS.source)).toBe('pos');
    expect(header(letter, DEAD_LETTER_HEADERS.table)).toBe('stockcurrent');
    expect(header(letter, DEAD_LETTER_HEADERS.field)).toBe('product');
    expect(header(letter, DEAD_LETTER_HEADERS.error)).toContain(`products row ${product} not seen yet`);
    const [row] = await canonicalQuery<{ status: string }>(`SELECT status FROM source_row WHERE source = 'pos' AND product_ref = $1`, [product]);
    expect(row!.status).toBe('parked');
  });
});
