/**
 * The decoder on the running stack: writer schemas fetched by id from the real registry
 * (Apicurio ccompat), records streamed right now by the real connectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { compileAvroSchema } from '../../src/decode/avro-schema.ts';
import { createDecoder, DecodeError, type Decoder, type DecodedRecord } from '../../src/decode/index.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { waitForRecord, topicExists } from '../helpers/kafka.ts';
import { posConnection, uniqueToken, warehouseClient } from '../helpers/sources.ts';

let pos: mysql.Connection;
let wms: pg.Client;
const registry = createSchemaRegistry(stackEndpoints().registryUrl);
/** One decoder for every POS topic, as the pipeline uses it. */
const avro: Decoder = createDecoder({ format: 'avro', registry });
const json: Decoder = createDecoder({ format: 'json' });

beforeAll(async () => {
  pos = await posConnection();
  wms = await warehouseClient();
  for (const file of connectorFiles()) await applyConnector(loadConnector(file));
});

afterAll(async () => {
  await pos?.end();
  await wms?.end();
});

/** Waits for a record the decoder turns into something `match` accepts; returns it decoded. */
async function waitForDecoded(topic: string, decoder: Decoder, match: (d: DecodedRecord) => boolean): Promise<DecodedRecord> {
  await topicExists(topic);
  let found: DecodedRecord | undefined;
  await waitForRecord(topic, async (r: KafkaRecord) => {
    try {
      const decoded = await decoder.decode(r);
      if (!match(decoded)) return false;
      found = decoded;
      return true;
    } catch {
      return false;
    }
  });
  return found!;
}

describe('decode on the live stack', () => {
  it('decodes a POS change, the POS heartbeat and a POS schema change with one decoder (schemas from the registry)', async () => {
    const location = uniqueToken('DEC-LOC');
    const product = uniqueToken('DEC-PRD');
    await pos.beginTransaction();
    await pos.query('INSERT INTO locations (id, name) VALUES (?, ?)', [location, `decode ${location}`]);
    await pos.query('INSERT INTO products (id, reference, code, name, category) VALUES (?, ?, ?, ?, ?)', [product, product, product, 'decode live', '000']);
    await pos.query('INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES (?, ?, NULL, 0.125)', [location, product]);
    await pos.commit();

    const decoded = await waitForDecoded(
      `pos.${stackEndpoints().pos.database}.stockcurrent`,
      avro,
      (d) => d.kind === 'change' && d.envelope.after?.location === location,
    );
    if (decoded.kind !== 'change') throw new Error('unreachable');
    expect(decoded.key).toEqual({ location, product, attributesetinstance_id: null });
    expect(decoded.envelope).toMatchObject({ op: 'c', before: null, after: { location, product, attributesetinstance_id: null, units: 0.125 } });
    expect(decoded.envelope.source).toMatchObject({ connector: 'mariadb', table: 'stockcurrent', snapshot: 'false' });
    expect(decoded.envelope.source.file).toMatch(/\.\d+$/);
    expect(typeof decoded.envelope.source.pos).toBe('number');
    expect(typeof decoded.envelope.ts_ns).toBe('bigint');

    // Both define io.debezium.connector.mariadb.Source, as the envelope above does.
    expect(await waitForDecoded('pos', avro, (d) => d.kind === 'schema-change')).toEqual({ kind: 'schema-change' });
    const heartbeat = await waitForDecoded('__debezium-heartbeat.pos', avro, (d) => d.kind === 'heartbeat');
    expect(heartbeat).toMatchObject({ kind: 'heartbeat', sourceTsMs: expect.any(Number) });
  });

  it('decodes a warehouse NUMERIC with 30 significant digits exactly', async () => {
    const quantity = '-98765432109876543210.0000000001';
    await wms.query('BEGIN');
    const product = await wms.query('INSERT INTO product_product (default_code, name, active) VALUES ($1, $2, true) RETURNING id', [
      uniqueToken('DEC-SKU'),
      'decode live',
    ]);
    const location = await wms.query(`INSERT INTO stock_location (name, complete_name, usage) VALUES ($1, $1, 'internal') RETURNING id`, [
      uniqueToken('DEC-WH'),
    ]);
    const quant = await wms.query('INSERT INTO stock_quant (product_id, location_id, quantity, reserved_quantity) VALUES ($1, $2, $3, 0) RETURNING id', [
      product.rows[0].id,
      location.rows[0].id,
      quantity,
    ]);
    await wms.query('COMMIT');
    const quantId = quant.rows[0].id as number;

    const decoded = await waitForDecoded('wms.public.stock_quant', json, (d) => d.kind === 'change' && d.envelope.after?.id === quantId);
    if (decoded.kind !== 'change') throw new Error('unreachable');
    expect(decoded.key).toEqual({ id: quantId });
    expect(decoded.envelope.after).toMatchObject({ quantity, reserved_quantity: '0' });
    expect(typeof decoded.envelope.source.lsn).toBe('bigint');
  });

  it('reads connect.* attributes from the registry: a Decimal registered there decodes to an exact string', async () => {
    const schema = {
      type: 'record',
      name: 'Value',
      namespace: `io.stocksync.decodetest${Date.now()}`,
      fields: [
        {
          name: 'qty',
          type: {
            type: 'bytes',
            scale: 4,
            precision: 20,
            'connect.version': 1,
            'connect.parameters': { scale: '4', 'connect.decimal.precision': '20' },
            'connect.name': 'org.apache.kafka.connect.data.Decimal',
            logicalType: 'decimal',
          },
        },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `stocksync-decode-test-${Date.now()}-value` });
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    const body = compileAvroSchema(JSON.stringify(schema)).type.toBuffer({ qty: Buffer.from([0xfe, 0x1d, 0xc0]) }); // -123456
    const keyOnly = createDecoder({ format: 'avro', registry });
    // Decode as a record key (keys decode the same way) of a tombstone.
    const decoded = await keyOnly.decode({ topic: 't', partition: 0, offset: '0', timestamp: 0, headers: {}, key: Buffer.concat([header, body]), value: null });
    expect(decoded).toEqual({ kind: 'tombstone', key: { qty: '-12.3456' } });
  });

  it('an id the registry does not have → DecodeError unknown-schema-id', async () => {
    const value = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x00]);
    const error = await avro
      .decode({ topic: 'pos.pos.stockcurrent', partition: 0, offset: '0', timestamp: 0, headers: {}, key: null, value })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe('unknown-schema-id');
  });
});
