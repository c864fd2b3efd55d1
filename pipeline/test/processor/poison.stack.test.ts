/**
 * Issue 16 (3b), through the real pipeline: a warehouse location renamed to a 100,000-character
 * name (written in this stack's warehouse database, captured by Debezium) cannot be merged — the
 * canonical stock rows at that location would need an index entry larger than PostgreSQL allows
 * (SQLSTATE 54000). That one record is dead-lettered (`merge-rejected`) and the 30 unrelated
 * updates behind it on the same partition are all merged; nothing stalls.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import type { DeadLetter } from '../../src/dead-letter/index.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
const LOCATION_TOPIC = 'wms.public.stock_location';
let pipeline: RunningPipeline;
let wms: pg.Client;
const letters: DeadLetter[] = [];

/** The partition of every stock_location row's records so far, by row id (read from the topic). */
async function locationPartitions(): Promise<Map<number, number>> {
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-poison' });
  const partitions = new Map<number, number>();
  let seen = 0;
  try {
    const total = (await kafka.endOffsets(LOCATION_TOPIC)).reduce((n, p) => n + Number(p.offset), 0);
    const consumer = await kafka.runBatchConsumer({
      groupId: `stocksync-test-poison-${Date.now()}`,
      topics: [LOCATION_TOPIC],
      eachBatch: async (batch) => {
        for (const record of batch.records) {
          seen++;
          if (!record.key) continue;
          const key = JSON.parse(record.key.toString()) as { payload?: { id?: number }; id?: number };
          const id = key.payload?.id ?? key.id;
          if (typeof id === 'number') partitions.set(id, record.partition);
        }
      },
    });
    try {
      await eventually(
        async () => seen,
        (n) => n >= total,
        60_000,
      );
    } finally {
      await consumer.stop();
    }
  } finally {
    await kafka.close();
  }
  return partitions;
}

const dimensionName = async (id: number) =>
  (
    await canonicalQuery<{ complete_name: string }>(
      `SELECT attributes->>'complete_name' AS complete_name FROM dimension_row
       WHERE source = 'warehouse' AND dimension = 'stock_location' AND dim_key = $1`,
      [String(id)],
    )
  )[0];

beforeAll(async () => {
  await freshEnvironment();
  wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
  // Locations with no stock of their own, to update behind the poison.
  await wms.query(
    `INSERT INTO stock_location (name, complete_name, usage) SELECT 'Shelf ' || i, 'Shelves/Shelf ' || i, 'view' FROM generate_series(1, 40) AS i`,
  );
  pipeline = await quietPipeline({ hooks: { onDeadLetter: (letter) => letters.push(letter) } });
  await waitForLagZero();
  // Issue 16 (4): a member with its assignment that reaches its stores reports ready.
  await eventually(
    async () => pipeline.readiness(),
    (r) => r.ready,
    30_000,
  );
  expect(pipeline.readiness()).toMatchObject({ consumer: { joined: true }, canonicalStore: { ready: true }, redis: { ready: true } });
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
  await wms?.end();
});

describe('a change the canonical store rejects', () => {
  it('is dead-lettered alone; the 30 updates behind it on its partition are merged', { timeout: 600_000 }, async () => {
    const [poisoned] = (
      await wms.query<{ id: number; complete_name: string }>(
        `SELECT l.id, l.complete_name FROM stock_location l
         WHERE l.usage = 'internal' AND EXISTS (SELECT 1 FROM stock_quant q WHERE q.location_id = l.id) ORDER BY l.id LIMIT 1`,
      )
    ).rows;
    const partitions = await locationPartitions();
    const partition = partitions.get(poisoned!.id)!;
    const { rows: shelves } = await wms.query<{ id: number }>(`SELECT id FROM stock_location WHERE complete_name LIKE 'Shelves/%' ORDER BY id`);
    const neighbours = shelves.map((s) => s.id).filter((id) => partitions.get(id) === partition);
    expect(neighbours.length, `shelves on partition ${partition}`).toBeGreaterThanOrEqual(3);
    const levelsBefore = await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM stock_level WHERE location = $1', [poisoned!.complete_name]);

    // The pipeline stops while the changes are written, so that they reach it in one batch (the
    // batch is split to find the record at fault).
    await pipeline.stop();
    expect(pipeline.readiness().ready).toBe(false);
    const endOf = async () => {
      const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-poison' });
      try {
        return Number((await kafka.endOffsets(LOCATION_TOPIC)).find((p) => p.partition === partition)!.offset);
      } finally {
        await kafka.close();
      }
    };
    const endBefore = await endOf();
    // Random text does not compress, so its index entry cannot fit in a page.
    const longName = `WH${randomBytes(75_000).toString('base64url')}/Stock`;
    expect(longName.length).toBeGreaterThanOrEqual(100_000);
    await wms.query('UPDATE stock_location SET complete_name = $1 WHERE id = $2', [longName, poisoned!.id]);
    const last = new Map<number, string>();
    for (let i = 1; i <= 30; i++) {
      const id = neighbours[i % neighbours.length]!;
      // complete_name: the connector captures only the columns the mapping reads (column.include.list).
      const name = `Shelves/after poison ${i}`;
      await wms.query('UPDATE stock_location SET complete_name = $1 WHERE id = $2', [name, id]);
      last.set(id, name);
    }

    await eventually(endOf, (end) => end >= endBefore + 31, 120_000);
    pipeline = await quietPipeline({ hooks: { onDeadLetter: (letter) => letters.push(letter) } });

    // The rejected record is dead-lettered with the SQLSTATE, and nothing else of the partition is.
    const rejected = await eventually(
      async () => letters.filter((l) => l.record.topic === LOCATION_TOPIC),
      (found) => found.length > 0,
      240_000,
    );
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ reason: 'merge-rejected', source: 'warehouse', table: 'stock_location' });
    expect(rejected[0]!.record.partition).toBe(partition);
    expect(rejected[0]!.error).toContain('SQLSTATE 54000');
    // Every update behind it is merged, and the partition is consumed to its end.
    await waitForLagZero(undefined, 240_000);
    for (const [id, name] of last) expect((await dimensionName(id))?.complete_name, `location ${id}`).toBe(name);
    expect((await dimensionName(poisoned!.id))?.complete_name).toBe(poisoned!.complete_name);
    expect(await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM stock_level WHERE location = $1', [poisoned!.complete_name])).toEqual(
      levelsBefore,
    );
    expect(letters.filter((l) => l.record.topic === LOCATION_TOPIC)).toHaveLength(1);

    // The next change of the row merges as usual.
    await wms.query('UPDATE stock_location SET complete_name = $1 WHERE id = $2', [poisoned!.complete_name, poisoned!.id]);
    await waitForLagZero(undefined, 120_000);
    expect(letters.filter((l) => l.record.topic === LOCATION_TOPIC)).toHaveLength(1);
  });
});
