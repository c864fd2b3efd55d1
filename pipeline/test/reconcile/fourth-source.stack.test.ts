/**
 * Issue 14 part 1: reconciliation of a source that exists only as files written in this test — a
 * mapping file and a connector config (no code), on a database of its own on the POS server — as a
 * data engineer would add it. Units are converted (cases of 12), a lookup filters inactive
 * articles, a constant map names the depots, a depot outside the map is unmapped. `reconcile`
 * expects what the pipeline merged, finds a change made with the binlog off, and repairs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { posAdmin } from '../../dev/stack/accounts.ts';
import { applyConnector, deleteConnectorAndOffsets, loadConnector } from '../../src/connectors/apply.ts';
import { prepareCanonicalStore } from '../../src/merge/index.ts';
import { loadMapping } from '../../src/normalize/index.ts';
import { reconcile } from '../../src/reconcile/index.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { eventually, quietPipeline } from '../helpers/environment.ts';
import { uniqueToken } from '../helpers/sources.ts';

const endpoints = stackEndpoints();
const token = uniqueToken('s4').replace(/[^a-z0-9]/gi, '');
const database = `shopfour_${token}`.slice(0, 60);
const connector = `stocksync-test-${token}`;
const groupId = `stocksync-test-${token}`;
const store = { ...endpoints, canonical: { ...endpoints.canonical, database: `${endpoints.canonical.database}_fourth` } };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-fourth-'));
let pipeline: RunningPipeline | undefined;
let admin: mysql.Connection;

const MAPPING = `
source: shop4
description: a fourth source, added by files only
connector: ${connector}
topic_prefix: ${token}.${database}
format: avro
locations: ["DEPOT-*"]
dimensions:
  article: { table: article, key: art_no }
levels:
  stock:
    row_key: [art_no, depot]
    sku: { column: art_no, lookup: { dimension: article, field: ean, where: { active: true } } }
    location: { column: depot, map: { N: DEPOT-NORTH, S: DEPOT-SOUTH } }
    on_hand: { column: cases, type: decimal, factor: 12 }
    reserved: { column: held, type: integer }
`;

/** A connector-config placeholder, `\${NAME}`, as connectors/debezium/*.json write them. */
const ph = (name: string) => `\${${name}}`;

function connectorConfig(): object {
  return {
    name: connector,
    config: {
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'tasks.max': '1',
      'database.hostname': ph('STOCKSYNC_POS_HOST'),
      'database.port': ph('STOCKSYNC_POS_PORT'),
      'database.user': ph('STOCKSYNC_POS_USER'),
      'database.password': ph('env:STOCKSYNC_POS_PASSWORD'),
      'database.server.id': String(6000 + Math.floor(Math.random() * 900)),
      'topic.prefix': token,
      'database.include.list': database,
      'table.include.list': `${database}.article,${database}.stock,${database}.debezium_signal`,
      'signal.data.collection': `${database}.debezium_signal`,
      'snapshot.mode': 'initial',
      'decimal.handling.mode': 'precise',
      'include.schema.changes': 'false',
      'schema.history.internal.kafka.bootstrap.servers': ph('STOCKSYNC_KAFKA_BROKERS'),
      'schema.history.internal.kafka.topic': `${token}.schema-history`,
      'schema.name.adjustment.mode': 'avro',
      'field.name.adjustment.mode': 'avro',
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
      'key.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'key.converter.apicurio.registry.url': ph('STOCKSYNC_APICURIO_URL'),
      'key.converter.apicurio.registry.auto-register': 'true',
      'key.converter.apicurio.registry.find-latest': 'true',
      'key.converter.apicurio.registry.as-confluent': 'true',
      'key.converter.apicurio.registry.use-id': 'contentId',
      'key.converter.apicurio.registry.headers.enabled': 'false',
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'value.converter.apicurio.registry.url': ph('STOCKSYNC_APICURIO_URL'),
      'value.converter.apicurio.registry.auto-register': 'true',
      'value.converter.apicurio.registry.find-latest': 'true',
      'value.converter.apicurio.registry.as-confluent': 'true',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'value.converter.apicurio.registry.headers.enabled': 'false',
    },
  };
}

async function canonicalRows(): Promise<Array<{ sku: string; location: string; on_hand: string; reserved: string }>> {
  const client = new pg.Client(store.canonical);
  await client.connect();
  try {
    const res = await client.query(
      "SELECT sku, location, trim_scale(on_hand)::text AS on_hand, trim_scale(reserved)::text AS reserved FROM stock_level WHERE location LIKE 'DEPOT-%' ORDER BY sku, location",
    );
    return res.rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, 'sources'));
  fs.mkdirSync(path.join(dir, 'connectors'));
  fs.writeFileSync(path.join(dir, 'sources', 'shop4.yaml'), MAPPING);
  fs.writeFileSync(path.join(dir, 'connectors', 'shop4.json'), JSON.stringify(connectorConfig(), null, 2));
  process.env.STOCKSYNC_CONNECTORS_DIR = path.join(dir, 'connectors');

  // The server's administrator: the connector user may not create a database.
  admin = await mysql.createConnection(posAdmin());
  await admin.query(`CREATE DATABASE ${mysql.escapeId(database)}`);
  await admin.query(`USE ${mysql.escapeId(database)}`);
  await admin.query('CREATE TABLE article (art_no int NOT NULL PRIMARY KEY, ean varchar(20) NOT NULL, active tinyint(1) NOT NULL)');
  await admin.query(
    'CREATE TABLE stock (art_no int NOT NULL, depot varchar(4) NOT NULL, cases decimal(10,3) NOT NULL, held int NOT NULL, PRIMARY KEY (art_no, depot))',
  );
  await admin.query('CREATE TABLE debezium_signal (id varchar(64) NOT NULL PRIMARY KEY, type varchar(32) NOT NULL, data mediumtext NULL)');
  // What a retailer grants the connector user on a new source's signal table (docs/sources.md).
  await admin.query(`GRANT INSERT, DELETE ON ${mysql.escapeId(database)}.debezium_signal TO ?@'127.0.0.1'`, [endpoints.pos.user]);
  await admin.query("INSERT INTO article VALUES (1, '4000000000011', 1), (2, '4000000000028', 1), (3, '4000000000035', 0)");
  await admin.query("INSERT INTO stock VALUES (1, 'N', 2.5, 4), (1, 'S', 1, 0), (2, 'N', 0.25, 1), (3, 'N', 9, 0), (2, 'X', 5, 0)");

  await prepareCanonicalStore(store);
  const client = new pg.Client(store.canonical);
  await client.connect();
  await client.query('TRUNCATE stock_level, source_row, dimension_row, canonical_outbox, pipeline_counter');
  await client.end();
  await applyConnector(loadConnector(path.join(dir, 'connectors', 'shop4.json')));
  pipeline = await quietPipeline({ endpoints: store, groupId, serve: false, mappings: [loadMapping(path.join(dir, 'sources', 'shop4.yaml'))] });
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
  await deleteConnectorAndOffsets(connector).catch(() => undefined);
  await admin?.query(`REVOKE INSERT, DELETE ON ${mysql.escapeId(database)}.debezium_signal FROM ?@'127.0.0.1'`, [endpoints.pos.user]).catch(() => undefined);
  await admin?.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
  await admin?.end();
  delete process.env.STOCKSYNC_CONNECTORS_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a fourth source defined only by a mapping file and a connector config', () => {
  it('is reconciled from its files: no difference once merged, then exactly the drift, repaired', { timeout: 600_000 }, async () => {
    const expected = [
      { sku: '4000000000011', location: 'DEPOT-NORTH', on_hand: '30', reserved: '4' },
      { sku: '4000000000011', location: 'DEPOT-SOUTH', on_hand: '12', reserved: '0' },
      { sku: '4000000000028', location: 'DEPOT-NORTH', on_hand: '3', reserved: '1' },
    ];
    await eventually(canonicalRows, (rows) => JSON.stringify(rows) === JSON.stringify(expected), 240_000);
    const mappings = [loadMapping(path.join(dir, 'sources', 'shop4.yaml'))];
    const options = { mappings, channels: false, groupId, endpoints: store };

    const clean = await reconcile(options);
    expect(clean.sources[0]!.outcomes).toEqual({ mapped: 3, filtered: 1, unmapped: 1 });
    expect(clean.sources[0]!.expectedKeys).toBe(3);
    expect(clean.differences).toBe(0);

    // Behind CDC's back: the binlog is off for this session.
    await admin.query('SET SESSION sql_log_bin = 0');
    await admin.query("UPDATE stock SET cases = 4 WHERE art_no = 2 AND depot = 'N'");
    await admin.query('SET SESSION sql_log_bin = 1');
    const drift = await reconcile(options);
    expect(drift.sources[0]!.differences.map((d) => [d.sku, d.location, d.kind, d.expected.onHand, d.actual?.onHand])).toEqual([
      ['4000000000028', 'DEPOT-NORTH', 'on_hand', '48', '3'],
    ]);
    expect(drift.sources[0]!.differences[0]!.sourceRows.map((r) => [r.table, r.rowKey])).toEqual([['stock', '[2,"N"]']]);

    const repaired = await reconcile({ ...options, repair: true });
    expect(repaired.repaired).toBe(1);
    expect((await canonicalRows()).find((r) => r.sku === '4000000000028')!.on_hand).toBe('48');
    expect((await reconcile(options)).differences).toBe(0);
  });
});
