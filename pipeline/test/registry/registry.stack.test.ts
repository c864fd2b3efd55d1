/**
 * Issue "Real local stack": Apicurio Registry's Confluent-compatible API works with
 * @kafkajs/confluent-schema-registry — register, encode (Confluent wire format), decode.
 */
import { describe, expect, it } from 'vitest';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { confluentHeader, createSchemaRegistry } from '../../src/registry/registry.ts';

describe('schema registry (Apicurio ccompat v7)', () => {
  it('registers an Avro schema, encodes in Confluent wire format and decodes it back', async () => {
    const registry = createSchemaRegistry(stackEndpoints().registryUrl);
    const subject = `stocksync-test-${Date.now()}-value`;
    const schema = {
      type: 'record',
      name: 'Probe',
      namespace: 'io.stocksync.test',
      fields: [
        { name: 'sku', type: 'string' },
        { name: 'on_hand', type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 3 } },
        { name: 'ts_ns', type: 'long' },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(id).toBeGreaterThan(0);
    expect(await registry.getRegistryId(subject, 'latest')).toBe(id);

    // A nanosecond timestamp is beyond 2^53: it must round-trip exactly.
    const message = { sku: 'SKU-000001', on_hand: Buffer.from([0x30, 0x39]), ts_ns: 1764405600123456789n };
    const encoded = await registry.encode(id, message);
    expect(encoded[0]).toBe(0);
    expect(confluentHeader(encoded)).toEqual({ schemaId: id });

    const decoded = await registry.decode(encoded);
    expect(decoded).toEqual(message);

    // The same id resolves through the raw ccompat endpoint, as any Confluent client would ask.
    const response = await fetch(`${stackEndpoints().registryUrl}/schemas/ids/${id}`);
    expect(response.status).toBe(200);
    expect(JSON.parse(((await response.json()) as { schema: string }).schema).name).toBe('Probe');
  });
});
