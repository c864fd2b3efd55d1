/**
 * Issue "Real local stack": a row written to each sample source arrives as a Debezium change event
 * on its Kafka topic, read through our own Kafka module — POS as Avro in Confluent wire format via
 * the registry, warehouse as JSON with schemas.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { stackEndpoints } from '../../../src/config/endpoints.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../../src/connectors/apply.ts';
import { connectorHealth } from '../../../src/connectors/health.ts';
import { confluentHeader, createSchemaRegistry } from '../../../src/registry/registry.ts';
import { posConnection, uniqueToken, warehouseClient } from '../../helpers/sources.ts';
import { waitForRecord } from '../../helpers/kafka.ts';

let pos: mysql.Connection;
let wms: pg.Client;

beforeAll(async () => {
  pos = await posConnection();
  wms = await warehouseClient();
  for (const file of connectorFiles()) await applyConnector(loadConnector(file));
});

afterAll(async () => {
  await pos?.end();
  await wms?.end();
});

describe('Debezium capture on the local stack', () => {
  it('streams a POS stockcurrent insert as an Avro record whose schema comes from the registry', async () => {
    const location = uniqueToken('T-LOC');
    const product = uniqueToken('T-PRD');
    await pos.beginTransaction();
    await pos.query('INSERT INTO locations (id, name) VALUES (?, ?)', [location, `test ${location}`]);
    await pos.query('INSERT INTO products (id, reference, code, name, category) VALUES (?, ?, ?, ?, ?)', [product, product, product, 'capture test', '000']);
    await pos.query('INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES (?, ?, NULL, 7.5)', [location, product]);
    await pos.commit();

    const registry = createSchemaRegistry(stackEndpoints().registryUrl);
    const record = await waitForRecord(`pos.${stackEndpoints().pos.database}.stockcurrent`, async (r) => {
      if (!r.value) return false;
      const value = await registry.decode(r.value);
      return value.after?.location === location;
    });

    expect(confluentHeader(record.value!)).not.toBeNull();
    const key = await registry.decode(record.key!);
    const value = await registry.decode(record.value!);
    // stockcurrent has no primary key: the connector keys it by message.key.columns.
    expect(key).toEqual({ location, product, attributesetinstance_id: null });
    expect(value.op).toBe('c');
    expect(value.before).toBeNull();
    expect(value.after).toEqual({ location, product, attributesetinstance_id: null, units: 7.5 });
    expect(value.source.connector).toBe('mariadb');
    expect(value.source.table).toBe('stockcurrent');
    expect(value.source.snapshot).toBe('false');
    expect(typeof value.source.file).toBe('string');
    expect(typeof value.source.pos).toBe('bigint');
  });

  it('streams a warehouse stock_quant insert as JSON with an exact NUMERIC quantity', async () => {
    const code = uniqueToken('T-SKU');
    await wms.query('BEGIN');
    const product = await wms.query('INSERT INTO product_product (default_code, name, active) VALUES ($1, $2, true) RETURNING id', [code, 'capture test']);
    const location = await wms.query(`INSERT INTO stock_location (name, complete_name, usage) VALUES ($1, $1, 'internal') RETURNING id`, [uniqueToken('T-WH')]);
    const productId = product.rows[0].id as number;
    const locationId = location.rows[0].id as number;
    await wms.query('INSERT INTO stock_quant (product_id, location_id, quantity, reserved_quantity, in_date) VALUES ($1, $2, $3, 0, now())', [
      productId,
      locationId,
      '12.345',
    ]);
    await wms.query('COMMIT');

    const record = await waitForRecord('wms.public.stock_quant', (r) => {
      if (!r.value) return false;
      return JSON.parse(r.value.toString('utf8')).payload?.after?.product_id === productId;
    });
    const envelope = JSON.parse(record.value!.toString('utf8'));
    expect(envelope.schema.name).toBe('wms.public.stock_quant.Envelope');
    expect(envelope.payload.op).toBe('c');
    expect(envelope.payload.after.location_id).toBe(locationId);
    // NUMERIC without precision arrives as io.debezium.data.VariableScaleDecimal: unscaled
    // big-endian two's-complement bytes (base64) plus the scale. 12.345 = 12345 x 10^-3.
    expect(envelope.payload.after.quantity.scale).toBe(3);
    expect(Buffer.from(envelope.payload.after.quantity.value, 'base64').readIntBE(0, 2)).toBe(12345);
    expect(envelope.payload.source.connector).toBe('postgresql');
    expect(typeof envelope.payload.source.lsn).toBe('number');
  });

  it('captures only the columns the mappings read: a 10 MB value in another column neither fails the task nor reaches Kafka', async () => {
    const code = uniqueToken('T-BIG');
    // Incompressible text (random base64), so compression alone could not bring it under the producer's 1 MB.
    const name = crypto.randomBytes(7_500_000).toString('base64');
    const product = await wms.query('INSERT INTO product_product (default_code, name, active) VALUES ($1, $2, true) RETURNING id', [code, name]);
    const id = product.rows[0].id as number;

    const record = await waitForRecord('wms.public.product_product', (r) => r.value !== null && JSON.parse(r.value.toString('utf8')).payload?.after?.id === id);
    expect(JSON.parse(record.value!.toString('utf8')).payload.after).toEqual({ id, default_code: code });
    expect(record.value!.length).toBeLessThan(10_000);
    const [health] = await connectorHealth(['stocksync-warehouse']);
    expect(health!.summary).toBe('RUNNING, task 0 RUNNING');
  });
});
