/**
 * The Confluent-compatible schema registry client (Apicurio Registry's ccompat API v7 in the local
 * stack), through `@kafkajs/confluent-schema-registry`, with one change to its Avro decoding:
 * Avro `long` values become `bigint`, because Debezium's `source.ts_ns` (about 1.7e18) and any
 * BIGINT column can pass 2^53, where a JS number silently loses digits.
 *
 * Wire format (Confluent): byte 0 = magic 0, bytes 1-4 = schema id (big-endian int32), then the
 * Avro binary encoding of the datum (Avro spec, "Binary Encoding").
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';

/**
 * Avro long as bigint. Encoding also accepts safe-integer numbers, so canonical events built with
 * plain numbers still encode.
 */
export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** Creates a registry client for a base URL such as `http://127.0.0.1:8081/apis/ccompat/v7`. */
export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry(
    { host: url, retry: { retries: 3 } },
    { [SchemaType.AVRO]: { registry: { long: bigintLongType } } },
  );
}

/** Magic byte and schema id of a Confluent wire-format payload, or null if it is not one. */
export function confluentHeader(payload: Buffer): { schemaId: number } | null {
  if (payload.length < 5 || payload[0] !== 0) return null;
  return { schemaId: payload.readInt32BE(1) };
}
