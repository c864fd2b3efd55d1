/**
 * On the running stack: a live `ALTER TABLE … ADD COLUMN` and a live `TRUNCATE`, captured by
 * connectors derived from the shipped configs (so truncate capture is the shipped setting), decoded
 * with schemas from the real registry (Avro) and inline (JSON).
 *
 * Own things only: database `decodelive` on both source servers, connectors
 * `stocksync-decode-live-*`, topics `decodelive_*`; all removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { applyConnector, deleteConnectorAndOffsets } from '../../src/connectors/apply.ts';
import { columnTypes, createDecoder, resolveColumn, withDefaults, type DecodedRecord, type Decoder } from '../../src/decode/index.ts';
import { createKafkaClient, type KafkaRecord } from '../../src/kafka/client.ts';
import { confluentHeader, createSchemaRegistry } from '../../src/registry/registry.ts';
import { deriveConnector } from '../fixtures/generator/connectors.ts';
import { mariadbConnection } from '../fixtures/generator/mariadb.ts';
import { postgresClient, prepareCapture } from '../fixtures/generator/postgres.ts';
import { posAdmin, warehouseAdmin } from '../../dev/stack/accounts.ts';
import { waitForRecord, topicExists } from '../helpers/kafka.ts';
import { showRow } from './captured-records.ts';

const DB = 'decodelive';
const e = stackEndpoints();
const registry = createSchemaRegistry(e.registryUrl);

const SOURCES = {
  mariadb: {
    connector: deriveConnector({
      name: 'stocksync-decode-live-mariadb',
      source: 'mariadb',
      format: 'avro',
      prefix: 'decodelive_mariadb',
      database: DB,
      tables: ['items'],
      serverId: 5431,
    }),
    topic: `decodelive_mariadb.${DB}.items`,
    decoder: createDecoder({ format: 'avro', registry }),
    price: '_2nd_price',
  },
  postgres: {
    connector: deriveConnector({
      name: 'stocksync-decode-live-postgres',
      source: 'postgres',
      format: 'json',
      prefix: 'decodelive_postgres',
      database: DB,
      tables: ['items'],
    }),
    topic: 'decodelive_postgres.public.items',
    decoder: createDecoder({ format: 'json' }),
    price: '2nd_price',
  },
} as const;

/** Runs SQL on the live database of a source. */
async function sql(source: keyof typeof SOURCES, statements: string[], database: string | null = DB): Promise<void> {
  if (source === 'mariadb') {
    // As the servers' administrators: the connector users may only read.
    const conn = await mariadbConnection(posAdmin(), database);
    try {
      for (const s of statements) await conn.query(s);
    } finally {
      await conn.end();
    }
  } else {
    const client = await postgresClient(warehouseAdmin(database ?? 'postgres'), database ?? 'postgres');
    try {
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  }
}

async function cleanUp(): Promise<void> {
  for (const s of Object.values(SOURCES)) await deleteConnectorAndOffsets(s.connector.name);
  const kafka = createKafkaClient(e.kafkaBrokers, { clientId: 'stocksync-test' });
  try {
    await kafka.deleteTopics((await kafka.listTopics()).filter((t) => /^(decodelive_|__debezium-heartbeat\.decodelive_)/.test(t)));
  } finally {
    await kafka.close();
  }
  // The slot is dropped when the connector stops (slot.drop.on.stop); wait for that before the database.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pg = await postgresClient(warehouseAdmin(), 'postgres');
    try {
      const slots = await pg.query(`SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = 'stocksync_decodelive_postgres'`);
      if (slots.rowCount === 0 || Date.now() > deadline) {
        if (slots.rowCount !== 0) await pg.query(`SELECT pg_drop_replication_slot('stocksync_decodelive_postgres')`);
        await pg.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
        break;
      }
    } finally {
      await pg.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await sql('mariadb', [`DROP DATABASE IF EXISTS ${DB}`], null);
}

/** Waits for a record of `topic` that decodes to something `match` accepts. */
async function decodedWhere(topic: string, decoder: Decoder, match: (d: DecodedRecord) => boolean): Promise<{ record: KafkaRecord; decoded: DecodedRecord }> {
  await topicExists(topic);
  let decoded: DecodedRecord | undefined;
  const record = await waitForRecord(
    topic,
    async (r) => {
      const d = await decoder.decode(r).catch(() => null);
      if (!d || !match(d)) return false;
      decoded = d;
      return true;
    },
    90_000,
  );
  return { record, decoded: decoded! };
}

const isChange = (d: DecodedRecord, op: string, id: number | null) =>
  d.kind === 'change' && d.envelope.op === op && (id === null || d.envelope.after?.id === id);

beforeAll(async () => {
  await cleanUp();
  await sql('mariadb', [`CREATE DATABASE ${DB}`], null);
  await sql('mariadb', ['CREATE TABLE items (id INT PRIMARY KEY, qty DECIMAL(12,3) NOT NULL)', 'INSERT INTO items VALUES (1, 1.000)']);
  await sql('postgres', [`CREATE DATABASE ${DB}`], null);
  await sql('postgres', ['CREATE TABLE items (id int PRIMARY KEY, qty numeric(12,3) NOT NULL)', 'INSERT INTO items VALUES (1, 1)']);
  const admin = await postgresClient(warehouseAdmin(DB), DB);
  await prepareCapture(admin, SOURCES.postgres.connector).finally(() => admin.end());
  for (const s of Object.values(SOURCES)) await applyConnector(s.connector);
}, 180_000);

afterAll(async () => {
  await cleanUp();
}, 180_000);

describe.each(['mariadb', 'postgres'] as const)('%s on the live stack', (source) => {
  const s = SOURCES[source];

  it('ALTER TABLE … ADD COLUMN: the old and the new writer schema both decode; defaults fill the old row', async () => {
    const old = await decodedWhere(s.topic, s.decoder, (d) => isChange(d, 'r', 1));
    await sql(source, [
      source === 'mariadb'
        ? "ALTER TABLE items ADD COLUMN `2nd_price` DECIMAL(10,2) NOT NULL DEFAULT 1.25, ADD COLUMN note VARCHAR(20) NULL DEFAULT 'none'"
        : `ALTER TABLE items ADD COLUMN "2nd_price" numeric(10,2) NOT NULL DEFAULT 1.25, ADD COLUMN note text DEFAULT 'none'`,
      'INSERT INTO items (id, qty) VALUES (2, 2)',
    ]);
    const fresh = await decodedWhere(s.topic, s.decoder, (d) => isChange(d, 'c', 2));
    if (old.decoded.kind !== 'change' || fresh.decoded.kind !== 'change') throw new Error('unreachable');
    expect(showRow(old.decoded.envelope.after)).toEqual({ id: 1, qty: '1.000' });
    expect(showRow(fresh.decoded.envelope.after)).toEqual({ id: 2, qty: '2.000', [s.price]: '1.25', note: 'none' });
    if (source === 'mariadb') {
      const oldId = confluentHeader(old.record.value!)!.schemaId;
      const newId = confluentHeader(fresh.record.value!)!.schemaId;
      expect(newId).not.toBe(oldId);
      // One registry client reads both versions (they define the same record names), longs as bigint.
      const [a, b] = [await registry.decode(old.record.value!), await registry.decode(fresh.record.value!)];
      expect(typeof (a as { ts_ns: unknown }).ts_ns).toBe('bigint');
      expect(typeof (b as { source: { ts_ns: unknown } }).source.ts_ns).toBe('bigint');
      expect(await registry.getSchemaText(newId)).toContain('2nd_price');
    } else {
      const schemaHalf = (r: KafkaRecord) => r.value!.toString('utf8').split(',"payload":')[0];
      expect(schemaHalf(fresh.record)).not.toBe(schemaHalf(old.record));
    }
    const completed = withDefaults(old.decoded.envelope.after!, fresh.decoded.envelope.schema!);
    expect(showRow(completed)).toEqual({ id: 1, qty: '1.000', [s.price]: '1.25', note: 'none' });
    expect(resolveColumn(completed, columnTypes(fresh.decoded.envelope), '2nd_price')).toBe(s.price);
  });

  it('TRUNCATE: captured with the shipped skipped.operations, as op t with no key', async () => {
    await sql(source, ['TRUNCATE TABLE items', 'INSERT INTO items (id, qty) VALUES (3, 3)']);
    const truncate = await decodedWhere(s.topic, s.decoder, (d) => d.kind === 'change' && d.envelope.op === 't');
    if (truncate.decoded.kind !== 'change') throw new Error('unreachable');
    expect(truncate.decoded.key).toBeNull();
    expect(truncate.record.key).toBeNull();
    expect(truncate.decoded.envelope).toMatchObject({ op: 't', before: null, after: null });
    expect(truncate.decoded.envelope.source.table).toBe('items');
    const after = await decodedWhere(s.topic, s.decoder, (d) => isChange(d, 'c', 3));
    if (after.decoded.kind !== 'change') throw new Error('unreachable');
    expect(showRow(after.decoded.envelope.after)).toEqual({ id: 3, qty: '3.000', [s.price]: '1.25', note: 'none' });
  });
});
