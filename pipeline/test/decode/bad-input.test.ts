/**
 * Bad input becomes a DecodeError with the right machine reason (so the pipeline can dead-letter
 * it), and transient registry failures do not.
 */
import { describe, expect, it } from 'vitest';
import { createDecoder, DecodeError, staticSchemaLookup, type DecodeErrorReason, type Decoder } from '../../src/decode/index.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { readRecordFixture, readRegistrySchemas, toKafkaRecord } from '../fixtures/record-fixture.ts';

const avro = createDecoder({ format: 'avro', registry: staticSchemaLookup(readRegistrySchemas()) });
const json = createDecoder({ format: 'json' });

const posInsert = () => toKafkaRecord(readRecordFixture('pos-stockcurrent-insert'));
const wmsInsert = () => toKafkaRecord(readRecordFixture('wms-stock-quant-insert'));

async function reasonOf(decoder: Decoder, record: KafkaRecord): Promise<DecodeErrorReason> {
  try {
    const decoded = await decoder.decode(record);
    throw new Error(`decoded without error: ${decoded.kind}`);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return err.reason;
  }
}

describe('Avro (Confluent wire format) bad input', () => {
  it('a value whose first byte is not 0 → bad-magic-byte', async () => {
    const record = posInsert();
    const value = Buffer.from(record.value!);
    value[0] = 1;
    expect(await reasonOf(avro, { ...record, value })).toBe('bad-magic-byte');
  });

  it('a JSON record on an Avro topic → bad-magic-byte', async () => {
    expect(await reasonOf(avro, { ...posInsert(), value: wmsInsert().value })).toBe('bad-magic-byte');
  });

  it('a bad key is caught too (keys decode the same way)', async () => {
    expect(await reasonOf(avro, { ...posInsert(), key: Buffer.from('{"id":1}') })).toBe('bad-magic-byte');
  });

  it('a schema id the registry does not know → unknown-schema-id', async () => {
    const record = posInsert();
    const value = Buffer.from(record.value!);
    value.writeInt32BE(999_999, 1);
    expect(await reasonOf(avro, { ...record, value })).toBe('unknown-schema-id');
  });

  it('a header shorter than 5 bytes, or an empty value → truncated', async () => {
    expect(await reasonOf(avro, { ...posInsert(), value: Buffer.from([0, 0, 0]) })).toBe('truncated');
    expect(await reasonOf(avro, { ...posInsert(), value: Buffer.alloc(0) })).toBe('truncated');
  });

  it('the Avro body cut at every possible length → truncated', async () => {
    const record = posInsert();
    const full = record.value!;
    for (let length = 5; length < full.length; length++) {
      const reason = await reasonOf(avro, { ...record, value: full.subarray(0, length) });
      expect({ length, reason }).toEqual({ length, reason: 'truncated' });
    }
  });

  it('bytes after the datum → corrupt-payload', async () => {
    const record = posInsert();
    expect(await reasonOf(avro, { ...record, value: Buffer.concat([record.value!, Buffer.from([1, 2, 3])]) })).toBe('corrupt-payload');
  });

  it('an invalid union branch index → corrupt-payload', async () => {
    // Body of the insert starts with the `before` union index: 0 (null) encoded as zigzag 0x00.
    const record = posInsert();
    const value = Buffer.from(record.value!);
    expect(value[5]).toBe(0x00);
    value[5] = 0x08; // zigzag 4: no such branch
    expect(await reasonOf(avro, { ...record, value })).toBe('corrupt-payload');
  });

  it('a writer schema that is not valid Avro → unsupported-schema', async () => {
    const decoder = createDecoder({
      format: 'avro',
      registry: staticSchemaLookup({ 8: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' }),
    });
    expect(await reasonOf(decoder, { ...posInsert(), key: null })).toBe('unsupported-schema');
  });

  it('a registry failure is not a DecodeError, and is retried on the next record', async () => {
    let calls = 0;
    const schemas = readRegistrySchemas();
    const flaky = async (id: number) => {
      calls++;
      if (calls === 1) throw new Error('registry unreachable');
      return schemas[id] ?? null;
    };
    const decoder = createDecoder({ format: 'avro', registry: flaky });
    const record = { ...posInsert(), key: null };
    const failure = await decoder.decode(record).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(DecodeError);
    expect((failure as Error).message).toBe('registry unreachable');
    expect((await decoder.decode(record)).kind).toBe('change');
    expect(calls).toBe(2);
  });

  it('an Avro decoder needs a registry', () => {
    expect(() => createDecoder({ format: 'avro' })).toThrow(/needs a registry/);
  });
});

describe('JSON bad input', () => {
  it('invalid JSON value → invalid-json', async () => {
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from('{"schema":') })).toBe('invalid-json');
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from('{"a":1,}') })).toBe('invalid-json');
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.alloc(0) })).toBe('invalid-json');
  });

  it('an Avro record on a JSON topic → invalid-json', async () => {
    expect(await reasonOf(json, { ...wmsInsert(), value: posInsert().value })).toBe('invalid-json');
  });

  it('invalid JSON key → invalid-json', async () => {
    expect(await reasonOf(json, { ...wmsInsert(), key: Buffer.from('{id:3}') })).toBe('invalid-json');
  });

  it('a value with no op that is no heartbeat, transaction or DDL → not-an-envelope', async () => {
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from('{"hello":"world"}') })).toBe('not-an-envelope');
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from('[1,2]') })).toBe('not-an-envelope');
  });

  it('an unknown op, or a source block without its required fields → not-an-envelope', async () => {
    const text = wmsInsert().value!.toString('utf8');
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from(text.replace('"op":"c"', '"op":"x"')) })).toBe('not-an-envelope');
    const bare = '{"before":null,"after":{"id":1},"source":{"connector":"postgresql","name":"wms"},"op":"c","ts_ms":1}';
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from(bare) })).toBe('not-an-envelope');
  });

  it('a value that does not fit its schema → schema-mismatch', async () => {
    const text = wmsInsert().value!.toString('utf8');
    // VariableScaleDecimal bytes that are not base64
    const badBytes = text.replace(/"quantity":\{"scale":3,"value":"[^"]*"\}/, '"quantity":{"scale":3,"value":"not base64!"}');
    expect(badBytes).not.toBe(text);
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from(badBytes) })).toBe('schema-mismatch');
    // int32 given a fraction
    const badInt = text.replace('"product_id":3,"location_id"', '"product_id":3.5,"location_id"');
    expect(badInt).not.toBe(text);
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from(badInt) })).toBe('schema-mismatch');
    // int64 given a string
    const badLong = text.replace(/"op":"c","ts_ms":(\d+)/, '"op":"c","ts_ms":"$1"');
    expect(badLong).not.toBe(text);
    expect(await reasonOf(json, { ...wmsInsert(), value: Buffer.from(badLong) })).toBe('schema-mismatch');
  });

  it('a schema-mismatch error names the field path', async () => {
    const text = wmsInsert().value!.toString('utf8');
    const bad = text.replace('"product_id":3,"location_id"', '"product_id":"three","location_id"');
    await expect(json.decode({ ...wmsInsert(), value: Buffer.from(bad) })).rejects.toThrow(/at after\.product_id: expected integer/);
  });
});
