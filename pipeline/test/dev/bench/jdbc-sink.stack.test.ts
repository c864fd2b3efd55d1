/**
 * The bench's comparison tool runs on the local stack: a Debezium JDBC sink connector's task
 * reaches RUNNING (it used to fail on the plugin's own copy of Jackson) and writes rows — upserts
 * by record key and deletes — into a throwaway PostgreSQL database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../../src/config/endpoints.ts';
import { applyConnector, deleteConnector } from '../../../src/connectors/apply.ts';
import { createKafkaClient, type KafkaClient } from '../../../src/kafka/client.ts';
import { jdbcSinkConnector } from '../../../dev/bench/jdbc-sink.ts';

const token = `t${Date.now().toString(36)}`;
// The sink names its table after the topic, dots made underscores (its default naming strategy).
const topic = `stocksync_test.jdbc_sink_${token}`;
const database = `jdbc_sink_test_${token}`;
const connectorName = `stocksync-test-jdbc-sink-${token}`;
const table = topic.replace(/\./g, '_');

const keySchema = { type: 'struct', optional: false, fields: [{ field: 'id', type: 'int32', optional: false }] };
const valueSchema = {
  type: 'struct',
  optional: true,
  fields: [
    { field: 'id', type: 'int32', optional: false },
    { field: 'sku', type: 'string', optional: false },
    { field: 'on_hand', type: 'int64', optional: false },
  ],
};
const key = (id: number) => JSON.stringify({ schema: keySchema, payload: { id } });
const value = (id: number, sku: string, onHand: number) => JSON.stringify({ schema: valueSchema, payload: { id, sku, on_hand: onHand } });

let kafka: KafkaClient;
let admin: pg.Client;
let target: pg.Client;

beforeAll(async () => {
  const canonical = stackEndpoints().canonical;
  admin = new pg.Client({ ...canonical, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  target = new pg.Client({ ...canonical, database });
  await target.connect();
  kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test-jdbc-sink' });
  await kafka.ensureTopics([{ topic, partitions: 1 }]);
});

afterAll(async () => {
  await deleteConnector(connectorName).catch(() => undefined);
  await kafka?.deleteTopics([topic]).catch(() => undefined);
  await target?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
  await kafka?.close();
});

async function rows(): Promise<Array<{ id: number; sku: string; on_hand: string }>> {
  const exists = await target.query(`SELECT to_regclass($1) AS t`, [table]);
  if (exists.rows[0].t === null) return [];
  return (await target.query(`SELECT id, sku, on_hand::text FROM ${table} ORDER BY id`)).rows;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('Debezium JDBC sink on the local stack', () => {
  it('reaches RUNNING and upserts by record key, then applies a delete', async () => {
    await kafka.send(topic, [
      { key: key(1), value: value(1, 'SKU-1', 5) },
      { key: key(2), value: value(2, 'SKU-2', 7) },
      { key: key(1), value: value(1, 'SKU-1', 4) },
    ]);
    const { canonical } = stackEndpoints();
    // applyConnector resolves only once the connector and its task are RUNNING, and throws with the
    // task's trace when it FAILED.
    await applyConnector(jdbcSinkConnector({ name: connectorName, topics: [topic], target: { ...canonical, database }, converter: { kind: 'json' } }));

    expect(await waitFor(rows, (r) => r.length === 2 && r[0]?.on_hand === '4')).toEqual([
      { id: 1, sku: 'SKU-1', on_hand: '4' },
      { id: 2, sku: 'SKU-2', on_hand: '7' },
    ]);

    await kafka.send(topic, [{ key: key(2), value: null }]);
    expect(await waitFor(rows, (r) => r.length === 1)).toEqual([{ id: 1, sku: 'SKU-1', on_hand: '4' }]);
  });
});
