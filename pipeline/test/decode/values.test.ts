/**
 * Exact values: decimal encodings, int64, the lossless JSON parser, and Debezium logical types in
 * Avro and JSON records built like the converters build them (types the sample sources do not
 * have, e.g. a MariaDB DECIMAL column, so no live record carries them).
 */
import { describe, expect, it } from 'vitest';
import { compileAvroSchema } from '../../src/decode/avro-schema.ts';
import { decimalFromLiteral, unscaledFromBytes } from '../../src/decode/decimal.ts';
import { columnTypes, createDecoder, DecodeError, LocalDate, LocalDateTime, staticSchemaLookup, type DecodedRecord } from '../../src/decode/index.ts';
import { JsonNumber, parseJsonLossless, type JsonValue } from '../../src/decode/lossless-json.ts';
import { int64Value } from '../../src/decode/values.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { readRecordFixture, readRegistrySchemas, toKafkaRecord } from '../fixtures/record-fixture.ts';

/** Java `BigInteger.toByteArray()`: minimal big-endian two's complement. */
function twosComplement(n: bigint): Buffer {
  let bytes = 1;
  while (n < -(1n << BigInt(8 * bytes - 1)) || n >= 1n << BigInt(8 * bytes - 1)) bytes++;
  const unsigned = n < 0n ? (1n << BigInt(8 * bytes)) + n : n;
  return Buffer.from(unsigned.toString(16).padStart(bytes * 2, '0'), 'hex');
}

function record(topic: string, value: Buffer | string | null, key: Buffer | string | null = null): KafkaRecord {
  const bytes = (v: Buffer | string | null) => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));
  return { topic, partition: 0, offset: '0', timestamp: 0, key: bytes(key), value: bytes(value), headers: {} };
}

function expectChange(decoded: DecodedRecord) {
  if (decoded.kind !== 'change') throw new Error(`expected a change, got ${decoded.kind}`);
  return decoded;
}

describe('decimal bytes (Connect Decimal / VariableScaleDecimal encoding)', () => {
  it("reads big-endian two's complement, sign included", () => {
    const cases: Array<[number[], bigint]> = [
      [[], 0n],
      [[0x00], 0n],
      [[0x7f], 127n],
      [[0x80], -128n],
      [[0xff], -1n],
      [[0xfb], -5n],
      [[0x00, 0x80], 128n],
      [[0xff, 0x7f], -129n],
      [[0x30, 0x39], 12345n],
    ];
    for (const [bytes, expected] of cases) expect(unscaledFromBytes(Buffer.from(bytes))).toBe(expected);
  });

  it('round-trips values far beyond 2^64', () => {
    for (const n of [123456789012345678123456789n, -123456789012345678123456789n, -(1n << 200n), (1n << 200n) - 1n, 1n, -1n]) {
      expect(unscaledFromBytes(twosComplement(n))).toBe(n);
    }
  });

  it('rescales a NUMERIC-format JSON literal exactly, refusing to drop digits', () => {
    expect(decimalFromLiteral('12.34', 3)).toBe('12.340');
    expect(decimalFromLiteral('-0.5', 1)).toBe('-0.5');
    expect(decimalFromLiteral('1.2345E+1', 3)).toBe('12.345');
    expect(decimalFromLiteral('5e-3', 3)).toBe('0.005');
    expect(decimalFromLiteral('1200', 0)).toBe('1200');
    expect(decimalFromLiteral('1.500', 1)).toBe('1.5');
    expect(() => decimalFromLiteral('1.2345', 2)).toThrow(DecodeError);
  });
});

describe('int64', () => {
  it('is a number while it is a safe integer, a bigint beyond', () => {
    expect(int64Value(9007199254740991n)).toBe(9007199254740991);
    expect(int64Value(-9007199254740991n)).toBe(-9007199254740991);
    expect(int64Value(9007199254740992n)).toBe(9007199254740992n);
    expect(int64Value(-9007199254740992n)).toBe(-9007199254740992n);
    expect(int64Value(9223372036854775807n)).toBe(9223372036854775807n);
    expect(int64Value(0n)).toBe(0);
  });
});

describe('lossless JSON parser', () => {
  it('keeps number literals as text', () => {
    const parsed = parseJsonLossless('{"a":12345678901234567890,"b":-0.5,"c":1e3,"d":[0,-0]}') as Record<string, JsonValue>;
    expect(parsed.a).toEqual(new JsonNumber('12345678901234567890'));
    expect((parsed.b as JsonNumber).text).toBe('-0.5');
    expect((parsed.c as JsonNumber).isInteger).toBe(false);
    expect((parsed.d as JsonNumber[]).map((n) => n.text)).toEqual(['0', '-0']);
  });

  it('decodes every string escape, surrogate pairs included', () => {
    expect(parseJsonLossless(String.raw`"a\"b\\c\/d\u00e9\ud83d\ude00\n\t\r\b\f"`)).toBe('a"b\\c/dé😀\n\t\r\b\f');
    expect(parseJsonLossless(' [ "x" , true , false , null ] ')).toEqual(['x', true, false, null]);
  });

  it('keeps `__proto__` as an ordinary own key', () => {
    const parsed = parseJsonLossless('{"__proto__":{"x":1}}') as object;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
  });

  it('agrees with JSON.parse on a real record, numbers aside', () => {
    const text = toKafkaRecord(readRecordFixture('wms-stock-quant-update')).value!.toString('utf8');
    const toNumbers = (v: JsonValue): unknown =>
      v instanceof JsonNumber
        ? Number(v.text)
        : Array.isArray(v)
          ? v.map(toNumbers)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toNumbers(x)]))
            : v;
    expect(toNumbers(parseJsonLossless(text))).toEqual(JSON.parse(text));
  });

  it('rejects what RFC 8259 rejects', () => {
    for (const bad of [
      '',
      '01',
      '1.',
      '.5',
      '-',
      '+1',
      'NaN',
      '{"a" 1}',
      '[1,]',
      '{"a":1,}',
      '"\u0001"',
      '"abc',
      'tru',
      '{} x',
      String.raw`"\x"`,
      String.raw`"\u12"`,
      "'a'",
    ]) {
      expect(() => parseJsonLossless(bad), bad).toThrow(DecodeError);
    }
  });
});

describe('Avro logical types (schema shaped like the Apicurio/Confluent converter writes it)', () => {
  // The real stockcurrent envelope schema from the registry, with a row type holding the Connect
  // and Debezium types the POS sample has no column for.
  const decimalSchema = (scale: number, precision: number) => ({
    type: 'bytes',
    scale,
    precision,
    'connect.version': 1,
    'connect.parameters': { scale: String(scale), 'connect.decimal.precision': String(precision) },
    'connect.name': 'org.apache.kafka.connect.data.Decimal',
    logicalType: 'decimal',
  });
  const rowFields = [
    { name: 'id', type: { type: 'int', 'connect.type': 'int16' } },
    { name: 'qty', type: decimalSchema(3, 18) },
    { name: 'qty_opt', type: ['null', decimalSchema(2, 10)], default: null },
    { name: 'plain_decimal', type: { type: 'bytes', logicalType: 'decimal', precision: 8, scale: 2 } },
    {
      name: 'vsd',
      type: [
        'null',
        {
          type: 'record',
          name: 'VariableScaleDecimal',
          namespace: 'io.debezium.data',
          fields: [
            { name: 'scale', type: 'int' },
            { name: 'value', type: 'bytes' },
          ],
          'connect.doc': 'Variable scaled decimal',
          'connect.version': 1,
          'connect.name': 'io.debezium.data.VariableScaleDecimal',
        },
      ],
      default: null,
    },
    { name: 'vsd_null', type: ['null', 'io.debezium.data.VariableScaleDecimal'], default: null },
    { name: 'big', type: 'long' },
    { name: 'small', type: 'long' },
    { name: 'ts', type: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' } },
    { name: 'ts_nano', type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.NanoTimestamp' }], default: null },
    { name: 'day', type: { type: 'int', 'connect.version': 1, 'connect.name': 'io.debezium.time.Date' } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'raw', type: 'bytes' },
    { name: 'flag', type: 'boolean' },
    { name: 'f', type: 'float' },
  ];
  const envelopeSchema = JSON.parse(readRegistrySchemas()['8']!) as { fields: Array<{ name: string; type: unknown }> };
  (envelopeSchema.fields[0]!.type as [string, { fields: unknown }])[1].fields = rowFields;
  const schemaText = JSON.stringify(envelopeSchema);
  const SCHEMA_ID = 4242;
  const decoder = createDecoder({ format: 'avro', registry: staticSchemaLookup({ [SCHEMA_ID]: schemaText }) });

  const source = {
    version: '3.5.0.Final',
    connector: 'mariadb',
    name: 'pos',
    ts_ms: 1795942368000n,
    snapshot: 'false',
    db: 'pos',
    sequence: null,
    ts_us: 1795942368000000n,
    ts_ns: 1795942368000000000n,
    table: 'synthetic',
    server_id: 1n,
    gtid: null,
    file: 'binlog.000002',
    pos: 4711n,
    row: 3,
    thread: 7n,
    query: null,
  };
  const after = {
    id: 7,
    qty: twosComplement(-12340n),
    qty_opt: null,
    plain_decimal: twosComplement(123456n),
    vsd: { scale: 9, value: twosComplement(123456789012345678123456789n) },
    vsd_null: null,
    big: 9007199254740993n,
    small: 9007199254740991n,
    ts: 1767323045123456n,
    ts_nano: 1767323045123456789n,
    day: 20455,
    tags: ['a', 'b'],
    attrs: { x: 1n, y: 9007199254740993n },
    raw: Buffer.from([1, 2, 3]),
    flag: true,
    f: 0.5,
  };
  const body = compileAvroSchema(schemaText).type.toBuffer({
    before: null,
    after,
    source,
    transaction: null,
    op: 'c',
    ts_ms: 1795942368119n,
    ts_us: null,
    ts_ns: null,
  });
  const header = Buffer.alloc(5);
  header.writeInt32BE(SCHEMA_ID, 1);
  const value = Buffer.concat([header, body]);

  it('decodes Decimal, VariableScaleDecimal, int64 and the rest exactly', async () => {
    const { envelope } = expectChange(await decoder.decode(record('pos.pos.synthetic', value)));
    expect(envelope.after).toEqual({
      id: 7,
      qty: '-12.340',
      qty_opt: null,
      plain_decimal: '1234.56',
      vsd: '123456789012345678.123456789',
      vsd_null: null,
      big: 9007199254740993n,
      small: 9007199254740991,
      ts: new LocalDateTime(1767323045123456000n),
      ts_nano: new LocalDateTime(1767323045123456789n),
      day: new LocalDate(20455),
      tags: ['a', 'b'],
      attrs: { x: 1, y: 9007199254740993n },
      raw: Buffer.from([1, 2, 3]),
      flag: true,
      f: 0.5,
    });
    expect(envelope.source).toMatchObject({ file: 'binlog.000002', pos: 4711, row: 3, server_id: 1, thread: 7, snapshot: 'false' });
  });

  it('reports the logical type and parameters of each column', async () => {
    const { envelope } = expectChange(await decoder.decode(record('pos.pos.synthetic', value)));
    const types = columnTypes(envelope);
    expect(types.id).toEqual({ type: 'int16', optional: false });
    expect(types.qty).toEqual({
      type: 'bytes',
      logical: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '3', 'connect.decimal.precision': '18' },
      optional: false,
    });
    expect(types.qty_opt).toMatchObject({ logical: 'org.apache.kafka.connect.data.Decimal', optional: true });
    expect(types.plain_decimal).toEqual({ type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' }, optional: false });
    expect(types.vsd).toEqual({ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal', optional: true });
    expect(types.vsd_null).toEqual({ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal', optional: true });
    expect(types.ts).toEqual({ type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: false });
    expect(types.ts_nano).toEqual({ type: 'int64', logical: 'io.debezium.time.NanoTimestamp', optional: true });
    expect(types.day).toEqual({ type: 'int32', logical: 'io.debezium.time.Date', optional: false });
    expect(types.tags).toEqual({ type: 'array', optional: false });
  });
});

describe('JSON logical types', () => {
  const source = {
    schema: {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.postgresql.Source',
      field: 'source',
      fields: [
        { type: 'string', optional: false, field: 'connector' },
        { type: 'string', optional: false, field: 'name' },
        { type: 'int64', optional: false, field: 'ts_ms' },
        { type: 'string', optional: true, name: 'io.debezium.data.Enum', field: 'snapshot' },
        { type: 'string', optional: false, field: 'db' },
        { type: 'int64', optional: true, field: 'txId' },
        { type: 'int64', optional: true, field: 'lsn' },
      ],
    },
    payload: '{"connector":"postgresql","name":"wms","ts_ms":1795942368130,"snapshot":"false","db":"wms","txId":750,"lsn":18446744073709551615}',
  };
  /** A JsonConverter envelope with the given row fields, payload spliced in as raw JSON text. */
  const envelopeText = (rowFields: unknown[], afterText: string) =>
    `{"schema":${JSON.stringify({
      type: 'struct',
      optional: false,
      name: 'wms.public.t.Envelope',
      fields: [
        { type: 'struct', optional: true, name: 'wms.public.t.Value', field: 'before', fields: rowFields },
        { type: 'struct', optional: true, name: 'wms.public.t.Value', field: 'after', fields: rowFields },
        source.schema,
        { type: 'string', optional: false, field: 'op' },
        { type: 'int64', optional: true, field: 'ts_ms' },
      ],
    })},"payload":{"before":null,"after":${afterText},"source":${source.payload},"op":"c","ts_ms":1795942368625}}`;

  const decimal = (field: string, scale: number, optional = false) => ({
    type: 'bytes',
    optional,
    name: 'org.apache.kafka.connect.data.Decimal',
    version: 1,
    parameters: { scale: String(scale), 'connect.decimal.precision': '18' },
    field,
  });

  it('Decimal as base64 (decimal.format=BASE64) and as a number (decimal.format=NUMERIC)', async () => {
    const fields = [
      decimal('b64', 2),
      decimal('numeric', 3),
      decimal('missing', 2, true),
      { type: 'int64', optional: false, field: 'big' },
      { type: 'float64', optional: false, field: 'd' },
    ];
    const b64 = twosComplement(-123456n).toString('base64');
    const text = envelopeText(fields, `{"b64":"${b64}","numeric":12.34,"missing":null,"big":-9223372036854775808,"d":0.1}`);
    const { envelope } = expectChange(await createDecoder({ format: 'json' }).decode(record('wms.public.t', text)));
    expect(envelope.after).toEqual({ b64: '-1234.56', numeric: '12.340', missing: null, big: -9223372036854775808n, d: 0.1 });
    // an LSN past 2^63 would not even fit a Java long; past 2^53 it must still be exact here
    expect(envelope.source.lsn).toBe(18446744073709551615n);
    expect(envelope.source.txId).toBe(750);
  });

  it('schemas.enable=false: same envelope, integers exact, no logical types (documented limitation)', async () => {
    const full = toKafkaRecord(readRecordFixture('wms-stock-quant-update'));
    const text = full.value!.toString('utf8');
    const payloadText = text.slice(text.indexOf(',"payload":') + ',"payload":'.length, -1);
    const decoded = await createDecoder({ format: 'json' }).decode({ ...full, key: Buffer.from('{"id":3}'), value: Buffer.from(payloadText) });
    const { key, envelope } = expectChange(decoded);
    expect(key).toEqual({ id: 3 });
    expect(envelope.schema).toBeNull();
    expect(columnTypes(envelope)).toEqual({});
    expect(envelope.op).toBe('u');
    // VariableScaleDecimal stays as the converter wrote it: {scale, value(base64)}
    expect(envelope.after!.quantity).toEqual({ scale: 9, value: 'Zh798Vjyp/5DWRU=' });
    expect(envelope.after!.in_date).toBe(1767323045000000);
    expect(envelope.source.lsn).toBe(27104224n);
    expect(envelope.ts_ns).toBe(1795942368626691055n);
  });
});

describe('JsonConverter records', () => {
  it('decode the same through the cached-schema path and the generic parse (other whitespace)', async () => {
    const fixture = toKafkaRecord(readRecordFixture('wms-stock-quant-update'));
    const text = fixture.value!.toString('utf8');
    const spaced = text.replace('{"schema":', '{ "schema" : ').replace(',"payload":', ' , "payload" : ');
    const decoder = createDecoder({ format: 'json' });
    const fast = await decoder.decode(fixture);
    const again = await decoder.decode(fixture);
    const generic = await decoder.decode({ ...fixture, value: Buffer.from(`${spaced}\n`) });
    expect(generic).toEqual(fast);
    expect(again).toEqual(fast);
    // cached: the column-type map is shared, not rebuilt
    expect(expectChange(again).envelope.schema).toBe(expectChange(fast).envelope.schema);
  });

  it('a schema half that does not close, or a broken payload half → invalid-json', async () => {
    const decoder = createDecoder({ format: 'json' });
    for (const bad of [
      '{"schema":{"type":"struct","fields":[]',
      '{"schema":{"type":"int32","optional":false},"payload":12',
      '{"schema":{"type":"int32","optional":false},"payload":1 2}',
    ]) {
      const error = await decoder.decode(record('wms.public.t', bad)).catch((e: unknown) => e);
      expect((error as DecodeError).reason, bad).toBe('invalid-json');
    }
  });
});

describe('record kinds', () => {
  const json = createDecoder({ format: 'json' });

  it('transaction metadata topic: BEGIN and END (Debezium "Transaction metadata" format)', async () => {
    const begin = '{"status":"BEGIN","id":"571:53195829","event_count":null,"data_collections":null,"ts_ms":1486500577125}';
    const end =
      '{"status":"END","id":"571:53195832","event_count":2,"data_collections":[{"data_collection":"s1.a","event_count":1},{"data_collection":"s2.a","event_count":1}],"ts_ms":1486500577691}';
    expect(await json.decode(record('wms.transaction', begin))).toEqual({ kind: 'transaction', status: 'BEGIN', id: '571:53195829', eventCount: null });
    expect(await json.decode(record('wms.transaction', end))).toEqual({ kind: 'transaction', status: 'END', id: '571:53195832', eventCount: 2 });
  });

  it('a source table named `transaction` is still a change stream', async () => {
    const change =
      '{"before":null,"after":{"id":1},"source":{"connector":"mariadb","name":"pos","ts_ms":1,"db":"pos","file":"binlog.000001","pos":4},"op":"c","ts_ms":2}';
    const decoded = expectChange(await json.decode(record('pos.pos.transaction', change)));
    expect(decoded.envelope.source).toEqual({ connector: 'mariadb', name: 'pos', ts_ms: 1, db: 'pos', file: 'binlog.000001', pos: 4, snapshot: 'false' });
  });

  it('heartbeat and schema change without schemas', async () => {
    expect(await json.decode(record('__debezium-heartbeat.wms', '{"ts_ms":1795942358865}'))).toEqual({ kind: 'heartbeat', sourceTsMs: 1795942358865 });
    const ddl =
      '{"source":{"server":"pos"},"position":{"file":"binlog.000001","pos":4},"databaseName":"pos","ddl":"CREATE TABLE t (id int)","tableChanges":[]}';
    expect(await json.decode(record('pos', ddl))).toEqual({ kind: 'schema-change' });
  });

  it('a custom heartbeat topic prefix', async () => {
    const decoder = createDecoder({ format: 'json', heartbeatTopicPrefix: 'hb.' });
    expect(await decoder.decode(record('hb.wms', '{"ts_ms":5}'))).toEqual({ kind: 'heartbeat', sourceTsMs: 5 });
  });

  it('a tombstone without a key', async () => {
    expect(await json.decode(record('wms.public.t', null, null))).toEqual({ kind: 'tombstone', key: null });
  });

  it('truncate (op t) and a boolean snapshot flag from an old connector', async () => {
    const t = '{"before":null,"after":null,"source":{"connector":"postgresql","name":"wms","ts_ms":1,"db":"wms","snapshot":true,"lsn":5},"op":"t","ts_ms":2}';
    const { envelope } = expectChange(await json.decode(record('wms.public.t', t)));
    expect(envelope).toMatchObject({ op: 't', before: null, after: null, source: { snapshot: 'true', lsn: 5n } });
  });
});
