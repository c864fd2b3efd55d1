/**
 * Issue 14 part 2 on the real stack with the sample sources: the sample workload raises no anomaly
 * (no alert storm); a mistaken adjustment of −500 where sales are −1 and −2 raises exactly one
 * anomaly with its reason; a run of sales raises a stockout risk once; low stock on the web shop is
 * raised once and cleared once. Alerts arrive on the Redis stream and, Avro-encoded, on stock.alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import pino from 'pino';
import { Redis } from 'ioredis';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';
import { ALERTS_GROUP_ID, ALERTS_STREAM, ALERTS_TOPIC, DEMAND_GROUP_ID, DEMAND_TOPIC, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { availableToSell, loadChannelsConfig, type ChannelsConfig } from '../../src/channels/index.ts';
import { rankedStockoutRisks, sendDemandSignal, startAlerts, type RunningAlerts, type StockAlert } from '../../src/alerts/index.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { awaitWorkloads, runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';
import { waitForRecord } from '../helpers/kafka.ts';

const endpoints = stackEndpoints();
const groupId = `${ALERTS_GROUP_ID}-test-${Date.now()}`;
let pipeline: RunningPipeline | undefined;
let alerts: RunningAlerts | undefined;
let redis: Redis;
let pos: mysql.Connection;
const config: ChannelsConfig = loadChannelsConfig();
// Short half-life, so that a few sales in a test make a velocity (the shipped default is 72 h).
config.alerts.stockout = { halfLifeHours: 1, coverDays: 3, minSales: 5 };

/** Every alert on the Redis stream so far. */
async function streamed(): Promise<StockAlert[]> {
  const entries = await redis.xrange(ALERTS_STREAM, '-', '+');
  return entries.map(([, fields]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
    return {
      ...o,
      version: Number(o.version),
      at_ms: Number(o.at_ms),
      demand: Number(o.demand),
      location: o.location || null,
      channel: o.channel || null,
      threshold: o.threshold || null,
    } as StockAlert;
  });
}

/** Waits until the pipeline merged everything and the alerts consumer has read and published it all. */
async function alertsQuiet(): Promise<void> {
  await waitForLagZero();
  await pipeline!.drainOutbox();
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-alerts' });
  try {
    await eventually(
      () => groupLag(kafka, groupId, [STOCK_LEVELS_TOPIC]),
      (lag) => lag === 0,
      120_000,
    );
  } finally {
    await kafka.close();
  }
  await alerts!.drain();
}

/**
 * A POS stockcurrent row at STORE-01 (location '0') of a product, and its SKU, whose alert state
 * has seen no change yet (the workload of an earlier test left it alone), from the `skip`-th on.
 */
async function posKey(skip: number): Promise<{ product: string; sku: string }> {
  const [rows] = await pos.query<mysql.RowDataPacket[]>(
    `SELECT sc.product, p.reference FROM stockcurrent sc JOIN products p ON p.id = sc.product
     WHERE sc.location = '0' AND sc.attributesetinstance_id IS NULL ORDER BY sc.product`,
  );
  const fresh = await canonicalQuery<{ sku: string }>(
    "SELECT sku FROM alert_key_state WHERE location = 'STORE-01' AND changes = '[]'::jsonb AND NOT stockout_raised",
  );
  const freshSkus = new Set(fresh.map((f) => f.sku));
  const row = rows.filter((r) => freshSkus.has(r.reference as string))[skip]!;
  return { product: row.product as string, sku: row.reference as string };
}

/**
 * Changes the units of a POS row by each delta in turn, one transaction each, as sales and
 * adjustments are, waiting after each until the alerts have seen it: the merge makes one canonical
 * change of all the changes of a key in one batch, and alerts look at canonical changes.
 */
async function move(key: { product: string; sku: string }, ...deltas: number[]): Promise<void> {
  for (const delta of deltas) {
    const [before] = await canonicalQuery<{ on_hand: string }>("SELECT on_hand::text FROM alert_key_state WHERE sku = $1 AND location = 'STORE-01'", [key.sku]);
    await pos.query("UPDATE stockcurrent SET units = units + ? WHERE location = '0' AND product = ? AND attributesetinstance_id IS NULL", [delta, key.product]);
    const expected = Number(before!.on_hand) + delta;
    await eventually(
      () => canonicalQuery<{ on_hand: string }>("SELECT on_hand::text FROM alert_key_state WHERE sku = $1 AND location = 'STORE-01'", [key.sku]),
      (rows) => Math.abs(Number(rows[0]?.on_hand) - expected) < 1e-9,
      120_000,
    );
  }
  await alerts!.drain();
}

beforeAll(async () => {
  await freshEnvironment();
  pipeline = await quietPipeline();
  await waitForLagZero();
  redis = new Redis(endpoints.redisUrl);
  await redis.del(ALERTS_STREAM);
  // Canonical versions restarted with the fresh environment: so does the alert state.
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    await client.query("SELECT to_regclass('alert_key_state') IS NOT NULL AS present").then(async (r) => {
      if (r.rows[0].present) await client.query('TRUNCATE alert_key_state, alert_low_stock, alert_outbox, demand_signal');
    });
  } finally {
    await client.end();
  }
  // Demand signals of earlier runs would be counted again by a new group: start from an empty topic.
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-alerts' });
  try {
    await kafka.deleteTopics([DEMAND_TOPIC]);
  } finally {
    await kafka.close();
  }
  alerts = await startAlerts({ config, groupId, demandGroupId: `${DEMAND_GROUP_ID}-test-${Date.now()}`, logger: pino({ level: 'warn' }, pino.destination(2)) });
  // As the sample application: the connector user may only read.
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  await alertsQuiet();
}, 600_000);

afterAll(async () => {
  await alerts?.stop();
  await pipeline?.stop();
  await pos?.end();
  redis?.disconnect();
});

describe('stock alerts', () => {
  it('raises no anomaly from the sample workload, and nothing for the snapshot', { timeout: 600_000 }, async () => {
    expect(await streamed()).toEqual([]);
    const wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
    await wms.connect();
    const stop = new AbortController();
    try {
      const [result] = await awaitWorkloads(stop, [
        runWorkload([posWorkload(pos), warehouseWorkload(wms)], {
          ...TEST_SAMPLE,
          rate: 40,
          count: 300,
          keepOperations: false,
          workloadSeed: 1402,
          signal: stop.signal,
        }),
      ]);
      expect(result.counts['pos.sale']).toBeGreaterThan(50);
    } finally {
      await wms.end();
    }
    await alertsQuiet();
    const raised = await streamed();
    expect(raised.filter((a) => a.kind === 'anomaly')).toEqual([]);
    // Whatever the workload raised is a real alert: a stockout risk under its cover threshold, a
    // low stock at or under its threshold.
    for (const a of raised.filter((x) => x.kind === 'stockout_risk')) expect(Number(a.value)).toBeLessThan(Number(a.threshold));
    for (const a of raised.filter((x) => x.kind === 'low_stock')) expect(Number(a.value)).toBeLessThanOrEqual(Number(a.threshold));
    // No storm: a condition is raised once until it clears (raised and cleared alternate per key).
    const open = new Set<string>();
    for (const a of raised) {
      const key = `${a.kind.replace(/_cleared$/, '')} ${a.sku} ${a.location ?? ''} ${a.channel ?? ''}`;
      if (a.kind.endsWith('_cleared')) open.delete(key);
      else if (a.kind !== 'anomaly') {
        expect(open.has(key), `raised twice without a clear: ${key}`).toBe(false);
        open.add(key);
      }
    }
  });

  it('raises one anomaly, with its reason, for a −500 adjustment where sales are −1 and −2', { timeout: 300_000 }, async () => {
    const key = await posKey(3);
    await move(key, 2000); // a restock first: the key's own history starts here
    await alertsQuiet();
    const before = (await streamed()).length;
    await move(key, -1, -2, -1, -2, -1, -2, -1, -2, -1, -2, -1, -2);
    await alertsQuiet();
    expect((await streamed()).slice(before).filter((a) => a.sku === key.sku && a.kind === 'anomaly')).toEqual([]);
    await move(key, -500);
    await alertsQuiet();
    const anomalies = (await streamed()).slice(before).filter((a) => a.kind === 'anomaly');
    expect(anomalies.map((a) => [a.sku, a.location, a.value])).toEqual([[key.sku, 'STORE-01', '-500']]);
    // Judged against the twelve decreases (six −1, six −2), not the restock: median −1.5, MAD 0.5.
    expect(anomalies[0]!.reason).toMatch(/change of -500 units is 498\.5 from the median -1\.5 of the last 12 decreases \(MAD 0\.5\)/);
    // The same alert, Avro-encoded on stock.alerts.
    const registry = createSchemaRegistry(endpoints.registryUrl);
    const record = await waitForRecord(ALERTS_TOPIC, async (r) => ((await registry.decode(r.value!)) as StockAlert).id === anomalies[0]!.id, 60_000);
    expect(record.key?.toString()).toBe(key.sku);
  });

  it('raises a stockout risk once when sales outrun what is available, with its demand signals, ranked first', { timeout: 300_000 }, async () => {
    const key = await posKey(5);
    // Channel apps report three customers who wanted it (and one record that is no signal, skipped).
    const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-demand' });
    try {
      await sendDemandSignal(kafka, { sku: key.sku, channel: 'webshop', kind: 'back_in_stock_request', at_ms: Date.now() });
      await sendDemandSignal(kafka, { sku: key.sku, channel: 'webshop', kind: 'out_of_stock_view', at_ms: Date.now() });
      await kafka.send(DEMAND_TOPIC, [{ key: key.sku, value: '{"sku": 42}' }]);
      await sendDemandSignal(kafka, { sku: key.sku, channel: 'marketplace', kind: 'out_of_stock_view', at_ms: Date.now() });
    } finally {
      await kafka.close();
    }
    await eventually(
      () => canonicalQuery<{ n: string }>('SELECT COALESCE(sum(signals), 0)::text AS n FROM demand_signal WHERE sku = $1', [key.sku]),
      (rows) => rows[0]!.n === '3',
      60_000,
    );
    const [row] = await canonicalQuery<{ on_hand: string }>("SELECT on_hand::text FROM stock_level WHERE sku = $1 AND location = 'STORE-01'", [key.sku]);
    await move(key, 40 - Number(row!.on_hand));
    await alertsQuiet();
    const before = (await streamed()).length;
    await move(key, -1, -1, -1, -1, -1, -1, -1);
    await alertsQuiet();
    const risks = (await streamed()).slice(before).filter((a) => a.sku === key.sku && a.kind.startsWith('stockout'));
    expect(risks.map((a) => a.kind)).toEqual(['stockout_risk']);
    expect(Number(risks[0]!.value)).toBeLessThan(3);
    expect(risks[0]!.reason).toMatch(/units\/day .* covers .* days, under 3; 3 demand signal\(s\) from the channels/);
    expect(risks[0]!.demand).toBe(3);
    const client = new pg.Client(endpoints.canonical);
    await client.connect();
    try {
      const ranked = await rankedStockoutRisks(client);
      expect(ranked[0]).toMatchObject({ sku: key.sku, location: 'STORE-01', demand: 3 });
    } finally {
      await client.end();
    }
  });

  it('raises low stock on a channel once, and clears it once', { timeout: 300_000 }, async () => {
    const key = await posKey(8);
    await move(key, 50); // enough at STORE-01 that every sale below lowers available to sell
    await alertsQuiet();
    const webshop = config.channels.find((c) => c.name === 'webshop')!;
    const rows = await canonicalQuery<{ location: string; on_hand: string; reserved: string; safety_stock: string | null; version: string }>(
      'SELECT location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level WHERE sku = $1',
      [key.sku],
    );
    const canonical = rows.map((r) => ({
      sku: key.sku,
      location: r.location,
      onHand: r.on_hand,
      reserved: r.reserved,
      safetyStock: r.safety_stock,
      version: Number(r.version),
    }));
    const available = availableToSell(webshop, key.sku, canonical)!.quantity;
    expect(available).toBeGreaterThan(3);
    webshop.lowStock.skus[key.sku] = String(available - 1);
    const before = (await streamed()).length;
    await move(key, -2);
    await alertsQuiet();
    await move(key, -1);
    await alertsQuiet();
    await move(key, 8);
    await alertsQuiet();
    await move(key, 1);
    await alertsQuiet();
    const low = (await streamed()).slice(before).filter((a) => a.sku === key.sku && a.channel === 'webshop');
    expect(low.map((a) => [a.kind, a.value, a.threshold])).toEqual([
      ['low_stock', String(available - 2), String(available - 1)],
      ['low_stock_cleared', String(available + 5), String(available - 1)],
    ]);
  });
});
