/**
 * Issue 15, compressed topics: Kafka Connect's producer compresses the POS connector's record
 * batches with zstd, lz4, snappy and gzip in turn (`producer.override.compression.type`), and the
 * pipeline reads every one: a stock change written after each switch reaches the canonical table.
 * That the batches really are compressed with the codec is read from the broker's own log segments
 * (Kafka's DumpLogSegments tool), not assumed from the config.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { applyConnector, connectorsDir, loadConnector } from '../../src/connectors/apply.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { stackPaths } from '../../dev/stack/paths.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const TOPIC = 'pos.pos.stockcurrent';
const CODECS = ['zstd', 'lz4', 'snappy', 'gzip'] as const;
const endpoints = stackEndpoints();
const posConnectorFile = path.join(connectorsDir, 'pos.json');
let pipeline: RunningPipeline;
let pos: mysql.Connection;

beforeAll(async () => {
  await freshEnvironment();
  pipeline = await quietPipeline({ serve: false });
  await waitForLagZero();
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
}, 300_000);

afterAll(async () => {
  await applyConnector(loadConnector(posConnectorFile)); // the shipped config again
  await pos?.end();
  await pipeline?.stop();
}, 180_000);

/** The compression codecs of every record batch the broker holds for TOPIC (all partitions). */
async function codecsInLog(): Promise<Set<string>> {
  const { data, lib } = stackPaths();
  const kafkaData = path.join(data, 'kafka');
  const segments = fs
    .readdirSync(kafkaData)
    .filter((dir) => new RegExp(`^${TOPIC.replaceAll('.', '\\.')}-\\d+$`).test(dir))
    .flatMap((dir) =>
      fs
        .readdirSync(path.join(kafkaData, dir))
        .filter((f) => f.endsWith('.log'))
        .map((f) => path.join(kafkaData, dir, f)),
    );
  const { stdout } = await promisify(execFile)('java', ['-cp', path.join(lib, 'kafka', '*'), 'kafka.tools.DumpLogSegments', '--files', segments.join(',')], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return new Set([...stdout.matchAll(/compresscodec: (\w+)/gi)].map((m) => m[1]!.toLowerCase()));
}

const onHand = async (sku: string) =>
  (await canonicalQuery<{ on_hand: string }>("SELECT trim_scale(on_hand)::text AS on_hand FROM stock_level WHERE sku = $1 AND location = 'STORE-02'", [sku]))[0]
    ?.on_hand;

describe('source topics compressed by the connector', () => {
  it('zstd, lz4, snappy and gzip batches are all read', { timeout: 900_000 }, async () => {
    const [rows] = await pos.query(
      `SELECT s.product, p.reference FROM stockcurrent s JOIN products p ON p.id = s.product
       WHERE s.location = '1' AND s.attributesetinstance_id IS NULL ORDER BY p.reference LIMIT 1`,
    );
    const { product, reference } = (rows as Array<{ product: string; reference: string }>)[0]!;
    let units = 1000;
    for (const codec of CODECS) {
      const connector = loadConnector(posConnectorFile);
      connector.config['producer.override.compression.type'] = codec;
      await applyConnector(connector);
      // Connect restarts the task with the new producer some time after the PUT: change the same
      // row (one partition, so in order) until the broker holds a batch in this codec. Every change
      // after that one is in it too.
      await eventually(
        async () => {
          units += 1;
          await pos.query(`UPDATE stockcurrent SET units = ? WHERE location = '1' AND product = ? AND attributesetinstance_id IS NULL`, [units, product]);
          return [...(await codecsInLog())];
        },
        (seen) => seen.includes(codec),
        180_000,
      );
      const last = String(units);
      await eventually(
        () => onHand(reference),
        (value) => value === last,
        120_000,
      );
      expect(await onHand(reference)).toBe(last);
    }
    expect([...(await codecsInLog())].sort()).toEqual(expect.arrayContaining([...CODECS].sort()));
  });
});
