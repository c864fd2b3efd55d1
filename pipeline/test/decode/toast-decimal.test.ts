/**
 * Issue 16, found by the poison corpus (`stocksync poison`): Debezium writes the unchanged-TOAST
 * placeholder of a bytes column — a PostgreSQL NUMERIC(p,s) is a Connect Decimal, bytes — as the
 * placeholder's bytes. Read as a Decimal those bytes are a 67-digit number; they must become
 * UNCHANGED instead (the quantity is then dead-lettered `unchanged-quantity`, never stored).
 * Pure unit test on a captured JSON record and on a Decimal schema as the Avro reader sees it.
 */
import { describe, expect, it } from 'vitest';
import { createDecoder, isUnchanged } from '../../src/decode/index.ts';
import { convertValue } from '../../src/decode/values.ts';
import type { ConnectSchema } from '../../src/decode/connect-schema.ts';
import { normalizeChange, topicRoles, loadMappings, NormalizeError } from '../../src/normalize/index.ts';
import { readRecordFixture, toKafkaRecord } from '../fixtures/record-fixture.ts';

const PLACEHOLDER = '__debezium_unavailable_value';
const decimalSchema: ConnectSchema = { type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '4' } };

interface JsonEnvelope {
  schema: { fields: Array<{ field: string; fields?: Array<{ field: string }> }> };
  payload: { after: Record<string, unknown> };
}

/** The captured stock_quant insert with `quantity` a NUMERIC(p,4) column holding `value` (base64 bytes). */
function numericQuantity(value: string) {
  const record = toKafkaRecord(readRecordFixture('wms-stock-quant-insert'));
  const envelope = JSON.parse(record.value!.toString('utf8')) as JsonEnvelope;
  for (const part of envelope.schema.fields) {
    if (part.field !== 'after' && part.field !== 'before') continue;
    part.fields = part.fields!.map((f) => (f.field === 'quantity' ? { ...decimalSchema, version: 1, field: 'quantity' } : f));
  }
  envelope.payload.after.quantity = value;
  return { ...record, value: Buffer.from(JSON.stringify(envelope)) };
}

describe('the TOAST placeholder in a Decimal (bytes) column', () => {
  it('Avro: the placeholder bytes are UNCHANGED, not a number', () => {
    expect(isUnchanged(convertValue(decimalSchema, Buffer.from(PLACEHOLDER), 'avro'))).toBe(true);
    // Other bytes are still a number.
    expect(convertValue(decimalSchema, Buffer.from([0x30, 0x39]), 'avro')).toBe('1.2345');
  });

  it('JSON: the base64 placeholder bytes are UNCHANGED, and the quantity is dead-lettered unchanged-quantity', async () => {
    const decoded = await createDecoder({ format: 'json' }).decode(numericQuantity(Buffer.from(PLACEHOLDER).toString('base64')));
    if (decoded.kind !== 'change') throw new Error(decoded.kind);
    expect(isUnchanged(decoded.envelope.after!.quantity)).toBe(true);
    const role = topicRoles(loadMappings()).get('wms.public.stock_quant')!;
    let error: unknown;
    try {
      normalizeChange(role, decoded.key, decoded.envelope);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NormalizeError);
    expect((error as NormalizeError).reason).toBe('unchanged-quantity');
  });

  it("a connector's own placeholder is recognised the same way", async () => {
    const own = 'n/a';
    const decoder = createDecoder({ format: 'json', unavailablePlaceholder: own });
    const decoded = await decoder.decode(numericQuantity(Buffer.from(own).toString('base64')));
    if (decoded.kind !== 'change') throw new Error(decoded.kind);
    expect(isUnchanged(decoded.envelope.after!.quantity)).toBe(true);
  });
});
