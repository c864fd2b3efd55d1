/**
 * Issue 16 (3a): one record through decode and normalize never stalls its partition. A record
 * that trips an unexpected error is dead-lettered as `internal-error` with the error's message;
 * only a failed schema lookup (the registry unreachable) is thrown, to be retried. Pure unit test.
 */
import { describe, expect, it } from 'vitest';
import { createDecoder, type Decoder } from '../../src/decode/index.ts';
import { loadMappings } from '../../src/normalize/mapping.ts';
import { topicRoles } from '../../src/normalize/normalize.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import type { DeadLetter } from '../../src/dead-letter/index.ts';
import { decodeRecord, markUnavailable, SchemaRegistryUnavailable } from '../../src/processor/records.ts';

const roles = topicRoles(loadMappings());
const quantTopic = 'wms.public.stock_quant';
const stockcurrentTopic = 'pos.pos.stockcurrent';

function record(topic: string, value: Buffer): KafkaRecord {
  return { topic, partition: 1, offset: '42', key: Buffer.from('{"payload":{"id":7}}'), value, headers: {}, timestamp: 0 };
}

describe('decodeRecord', () => {
  it('dead-letters a record that trips an unexpected error as internal-error, with the message', async () => {
    // A decoder with a defect that this record trips (as a RangeError from a value would be).
    const defective: Decoder = {
      decode: async () => {
        throw new RangeError('Invalid array length');
      },
    };
    const outcome = (await decodeRecord(record(quantTopic, Buffer.from('{}')), roles.get(quantTopic)!, defective)) as DeadLetter;
    expect(outcome).toMatchObject({ reason: 'internal-error', source: 'warehouse', table: 'stock_quant', field: null });
    expect(outcome.error).toBe('RangeError: Invalid array length');
    expect(outcome.record.offset).toBe('42');
  });

  it('throws when the schema registry is unreachable, so the record is retried, not dead-lettered', async () => {
    const decoder = createDecoder({
      format: 'avro',
      registry: markUnavailable(async () => {
        throw new TypeError('fetch failed');
      }),
    });
    const wire = Buffer.from([0, 0, 0, 0, 9, 2]); // magic byte, schema id 9, a datum
    await expect(decodeRecord(record(stockcurrentTopic, wire), roles.get(stockcurrentTopic)!, decoder)).rejects.toBeInstanceOf(SchemaRegistryUnavailable);
  });

  it('still dead-letters bad input with its own reason', async () => {
    const decoder = createDecoder({ format: 'json' });
    const outcome = (await decodeRecord(record(quantTopic, Buffer.from('{not json')), roles.get(quantTopic)!, decoder)) as DeadLetter;
    expect(outcome.reason).toBe('invalid-json');
  });
});
