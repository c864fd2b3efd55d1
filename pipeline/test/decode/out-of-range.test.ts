/**
 * Issue 16, poison values in decode: decimals beyond what any source column holds (a scale of
 * ±2^31, a Decimal `scale` parameter of "2147483647", a scale of -200000, an exponent of 2^31) and
 * a negative value in a column the connector declares `BIGINT UNSIGNED` are rejected as a
 * DecodeError with a reason of the dead-letter table that names the field — never a RangeError from
 * deep inside, nor a 200,001-digit quantity. Pure unit test on a captured JSON record, edited.
 */
import { describe, expect, it } from 'vitest';
import { createDecoder, DecodeError, type DecodedRecord } from '../../src/decode/index.ts';
import { convertValue } from '../../src/decode/values.ts';
import type { ConnectSchema } from '../../src/decode/connect-schema.ts';
import { DEAD_LETTER_REASONS } from '../../src/dead-letter/reasons.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { readRecordFixture, toKafkaRecord } from '../fixtures/record-fixture.ts';

const json = createDecoder({ format: 'json' });
const wmsInsert = () => toKafkaRecord(readRecordFixture('wms-stock-quant-insert'));

interface JsonField {
  field: string;
  [k: string]: unknown;
}
interface JsonEnvelope {
  schema: { fields: Array<{ field: string; fields?: JsonField[] }> };
  payload: { after: Record<string, unknown>; before: unknown };
}

/**
 * The captured stock_quant insert with its `quantity` column given another Connect schema and
 * value (in `after`; `before` is null in an insert).
 */
function withQuantity(schema: Record<string, unknown>, value: unknown): KafkaRecord {
  const record = wmsInsert();
  const envelope = JSON.parse(record.value!.toString('utf8')) as JsonEnvelope;
  for (const part of envelope.schema.fields) {
    if (part.field !== 'after' && part.field !== 'before') continue;
    part.fields = part.fields!.map((f) => (f.field === 'quantity' ? { ...schema, field: 'quantity' } : f));
  }
  envelope.payload.after.quantity = value;
  return { ...record, value: Buffer.from(JSON.stringify(envelope)) };
}

const variableScale = (scale: number, unscaled: Buffer) =>
  withQuantity(
    {
      type: 'struct',
      optional: false,
      name: 'io.debezium.data.VariableScaleDecimal',
      version: 1,
      fields: [
        { type: 'int32', optional: false, field: 'scale' },
        { type: 'bytes', optional: false, field: 'value' },
      ],
    },
    { scale, value: unscaled.toString('base64') },
  );

const decimal = (scale: string, value: unknown) =>
  withQuantity({ type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale } }, value);

const int64 = (sourceType: string | null, value: number) =>
  withQuantity({ type: 'int64', optional: false, ...(sourceType === null ? {} : { parameters: { '__debezium.source.column.type': sourceType } }) }, value);

/** The DecodeError a record is rejected with (fails the test on any other outcome). */
async function rejection(record: KafkaRecord): Promise<DecodeError> {
  let decoded: DecodedRecord;
  try {
    decoded = await json.decode(record);
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  const quantity = decoded.kind === 'change' ? String(decoded.envelope.after?.quantity) : decoded.kind;
  throw new Error(`decoded without error, quantity of ${quantity.length} characters: ${quantity.slice(0, 40)}…`);
}

async function quantityOf(record: KafkaRecord): Promise<unknown> {
  const decoded = await json.decode(record);
  if (decoded.kind !== 'change') throw new Error(decoded.kind);
  return decoded.envelope.after!.quantity;
}

describe('decimals beyond any source column', () => {
  it('the reasons are in the dead-letter table, of the decode stage', () => {
    expect(DEAD_LETTER_REASONS['decimal-out-of-range'].stage).toBe('decode');
    expect(DEAD_LETTER_REASONS['unsigned-overflow'].stage).toBe('decode');
  });

  it.each([2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1])('a VariableScaleDecimal scale of %i → decimal-out-of-range naming the field', async (scale) => {
    const error = await rejection(variableScale(scale, Buffer.from([0x01])));
    expect(error.reason).toBe('decimal-out-of-range');
    expect(error.field).toBe('after.quantity');
    expect(error.message).toMatch(
      /^at after\.quantity: decimal scale -?\d+ \(PostgreSQL numeric holds at most 131072 digits before the point and 16383 after\)$/,
    );
  });

  it('a scale of -200000 (200,001 digits before the point) → decimal-out-of-range', async () => {
    const error = await rejection(variableScale(-200_000, Buffer.from([0x01])));
    expect(error.reason).toBe('decimal-out-of-range');
    expect(error.field).toBe('after.quantity');
  });

  it('a Decimal schema parameter scale of "2147483647" → decimal-out-of-range', async () => {
    const error = await rejection(decimal('2147483647', Buffer.from([0x01]).toString('base64')));
    expect(error.reason).toBe('decimal-out-of-range');
    expect(error.field).toBe('after.quantity');
  });

  it('a NUMERIC literal with an exponent of 2^31 (decimal.format=NUMERIC) → decimal-out-of-range', async () => {
    // The lossless JSON parser keeps the literal's text, as the converter wrote it.
    const record = decimal('2', 0);
    const text = record.value!.toString('utf8').replace('"quantity":0', '"quantity":1e2147483647');
    expect(text).toContain('1e2147483647');
    const error = await rejection({ ...record, value: Buffer.from(text) });
    expect(error.reason).toBe('decimal-out-of-range');
    expect(error.field).toBe('after.quantity');
  });

  it('unscaled bytes longer than any numeric holds → decimal-out-of-range, before they are printed', async () => {
    const error = await rejection(variableScale(0, Buffer.alloc(100_000, 0x11)));
    expect(error.reason).toBe('decimal-out-of-range');
  });

  it('decimals at the limits still decode exactly', async () => {
    expect(await quantityOf(variableScale(16383, Buffer.from([0x05])))).toBe(`0.${'0'.repeat(16382)}5`);
    expect(await quantityOf(variableScale(-131071, Buffer.from([0x07])))).toBe(`7${'0'.repeat(131071)}`);
    expect(await quantityOf(variableScale(-131_072, Buffer.alloc(0)))).toBe('0');
    expect(await quantityOf(decimal('3', Buffer.from([0x30, 0x39]).toString('base64')))).toBe('12.345');
    const literal = decimal('2', 0);
    const text = literal.value!.toString('utf8').replace('"quantity":0', '"quantity":1.5e3');
    expect(await quantityOf({ ...literal, value: Buffer.from(text) })).toBe('1500.00');
  });

  it('a 17,000-digit fraction (scale 17000) is out of range, scale 16383 is not', async () => {
    expect((await rejection(variableScale(17_000, Buffer.from([0x01])))).reason).toBe('decimal-out-of-range');
  });

  it('the Avro wire is checked the same way (a VariableScaleDecimal struct as avsc reads it)', () => {
    const schema: ConnectSchema = {
      type: 'struct',
      optional: false,
      name: 'io.debezium.data.VariableScaleDecimal',
      fields: [
        { name: 'scale', schema: { type: 'int32', optional: false } },
        { name: 'value', schema: { type: 'bytes', optional: false } },
      ],
    };
    expect(() => convertValue(schema, { scale: 2 ** 31 - 1, value: Buffer.from([1]) }, 'avro')).toThrow(
      expect.objectContaining({ reason: 'decimal-out-of-range' }),
    );
    const decimalSchema: ConnectSchema = { type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2147483647' } };
    expect(() => convertValue(decimalSchema, Buffer.from([1]), 'avro')).toThrow(expect.objectContaining({ reason: 'decimal-out-of-range' }));
  });
});

describe('unsigned columns under bigint.unsigned.handling.mode=long', () => {
  it('a negative value in a propagated BIGINT UNSIGNED column → unsigned-overflow naming the field', async () => {
    const error = await rejection(int64('BIGINT UNSIGNED', -1));
    expect(error.reason).toBe('unsigned-overflow');
    expect(error.field).toBe('after.quantity');
    expect(error.message).toMatch(/^at after\.quantity: -1 in a BIGINT UNSIGNED column: .*bigint\.unsigned\.handling\.mode=long/);
  });

  it('non-negative unsigned values, and negative values of signed or undeclared columns, decode as they are', async () => {
    expect(await quantityOf(int64('BIGINT UNSIGNED', 42))).toBe(42);
    expect(await quantityOf(int64('BIGINT', -1))).toBe(-1);
    expect(await quantityOf(int64(null, -1))).toBe(-1);
  });
});
