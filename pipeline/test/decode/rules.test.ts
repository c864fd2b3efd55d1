/**
 * The pure rules of the decode stage: placeholder forms, sentinels, booleans, float32, names,
 * defaults, the truncate policy, and the JSON printer of `stocksync decode`.
 */
import { describe, expect, it } from 'vitest';
import { compileAvroSchema } from '../../src/decode/avro-schema.ts';
import { envelopeSchemaOf } from '../../src/decode/columns.ts';
import { connectSchemaFromJson } from '../../src/decode/connect-schema.ts';
import {
  Instant,
  LocalDate,
  LocalDateTime,
  markSentinels,
  sanitizeAvroName,
  shortestFloat32,
  toBoolean,
  UNCHANGED,
  Unknown,
  withDefaults,
} from '../../src/decode/index.ts';
import { parseJsonLossless } from '../../src/decode/lossless-json.ts';
import { printJson } from '../../src/decode/index.ts';
import { applyRowRules, isPlaceholder } from '../../src/decode/row-rules.ts';
import { TRUNCATE_POLICIES, truncateAction } from '../../src/decode/index.ts';

const PH = '__debezium_unavailable_value';
const PH_BYTES = [...Buffer.from(PH)];

describe('unchanged-TOAST placeholder forms (Debezium UnchangedToastedPlaceholder)', () => {
  it('recognises the string, bytes, text array, int/bigint array, map and hstore-JSON forms', () => {
    expect(isPlaceholder(PH)).toBe(true);
    expect(isPlaceholder(Buffer.from(PH))).toBe(true);
    expect(isPlaceholder([PH])).toBe(true);
    expect(isPlaceholder(PH_BYTES)).toBe(true);
    expect(isPlaceholder(PH_BYTES.map(BigInt))).toBe(true);
    expect(isPlaceholder({ [PH]: PH })).toBe(true);
    expect(isPlaceholder(`{"${PH}":"${PH}"}`)).toBe(true);
  });

  it('leaves real values alone', () => {
    for (const v of [`${PH} `, [PH, PH], PH_BYTES.slice(1), { [PH]: 'x' }, { a: PH, [PH]: PH }, Buffer.from('x'), 5, true, new LocalDate(0)]) {
      expect(isPlaceholder(v as never), JSON.stringify(String(v))).toBe(false);
    }
  });

  it('a configured placeholder', () => {
    expect(isPlaceholder('<toasted>', '<toasted>')).toBe(true);
    expect(isPlaceholder(PH, '<toasted>')).toBe(false);
    const row = applyRowRules({ a: '<toasted>', b: PH }, null, 'postgresql', { unavailablePlaceholder: '<toasted>' });
    expect(row).toEqual({ a: UNCHANGED, b: PH });
  });

  it('schemaless rows get the TOAST rule too', () => {
    expect(applyRowRules({ id: 1, t: PH, arr: [PH] }, null, 'postgresql')).toEqual({ id: 1, t: UNCHANGED, arr: UNCHANGED });
  });
});

describe('row rules by connector', () => {
  const schema = (fields: Record<string, object>) =>
    connectSchemaFromJson({ type: 'struct', fields: Object.entries(fields).map(([field, s]) => ({ field, ...s })) });
  const zoned = { type: 'string', name: 'io.debezium.time.ZonedTimestamp', optional: true };
  const dateNN = { type: 'int32', name: 'io.debezium.time.Date', optional: false };
  const dateOpt = { type: 'int32', name: 'io.debezium.time.Date', optional: true };
  const year = { type: 'int32', name: 'io.debezium.time.Year', optional: true };
  const micro = { type: 'int64', name: 'io.debezium.time.MicroTimestamp', optional: true };
  const s = schema({ z: zoned, dnn: dateNN, dopt: dateOpt, y: year, m: micro });
  const row = () => ({ z: new Instant(0n), dnn: new LocalDate(0), dopt: new LocalDate(0), y: 1900, m: new LocalDateTime(9223372036825200000000n) });

  it('MySQL family: epoch TIMESTAMP, YEAR 1900 and NOT NULL epoch dates are zero dates', () => {
    expect(applyRowRules(row(), s, 'mariadb')).toEqual({
      z: new Unknown('zero-date', '1970-01-01T00:00:00Z'),
      dnn: new Unknown('zero-date', 0),
      dopt: new LocalDate(0),
      y: new Unknown('zero-date', 1900),
      m: new LocalDateTime(9223372036825200000000n),
    });
    expect(applyRowRules(row(), s, 'mysql').y).toEqual(new Unknown('zero-date', 1900));
  });

  it('PostgreSQL: infinity stand-ins; the MySQL rules do not apply', () => {
    expect(applyRowRules({ ...row(), dopt: new LocalDate(-2147472692) }, s, 'postgresql')).toEqual({
      z: new Instant(0n),
      dnn: new LocalDate(0),
      dopt: new Unknown('infinity', -2147472692),
      y: 1900,
      m: new Unknown('infinity', 9223372036825200000n),
    });
  });

  it('other connectors: only the TOAST rule', () => {
    expect(applyRowRules(row(), s, 'sqlserver')).toEqual(row());
  });
});

describe('sentinels a mapping declares', () => {
  it('marks values whose ISO text is listed, per column; returns a new row', () => {
    const row = { valid_to: new LocalDate(2932896), born: new LocalDate(0), note: '9999-12-31', n: null };
    const out = markSentinels(row, { valid_to: ['9999-12-31'], born: ['1900-01-01'], n: ['x'], missing: ['y'] });
    expect(out).toEqual({ valid_to: new Unknown('sentinel', '9999-12-31'), born: new LocalDate(0), note: '9999-12-31', n: null });
    expect(row.valid_to).toEqual(new LocalDate(2932896));
  });
});

describe('booleans', () => {
  it('any nonzero integer is true', () => {
    expect([1, 5, -1, 127, -128, 0, 2n, 0n].map(toBoolean)).toEqual([true, true, true, true, true, false, true, false]);
    expect(toBoolean(true)).toBe(true);
    expect(toBoolean(null)).toBeNull();
    expect(() => toBoolean('1')).toThrow(TypeError);
  });
});

describe('float32', () => {
  it('the shortest decimal that identifies the float32', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(0.10000000149011612)).toBe(0.1);
    expect(shortestFloat32(Math.fround(16777217))).toBe(16777216);
    expect(shortestFloat32(Math.fround(3.4028234663852886e38))).toBe(3.4028235e38);
    expect(shortestFloat32(Math.fround(1.401298464324817e-45))).toBe(1e-45);
    expect([NaN, Infinity, -Infinity, 0, -0].map(shortestFloat32)).toEqual([NaN, Infinity, -Infinity, 0, -0]);
  });
});

describe('names', () => {
  it('Avro sanitizes like Debezium/the converters', () => {
    expect(sanitizeAvroName('2nd_price')).toBe('_2nd_price');
    expect(sanitizeAvroName('unit-price')).toBe('unit_price');
    expect(sanitizeAvroName('prix €')).toBe('prix__');
    expect(sanitizeAvroName('ok_name')).toBe('ok_name');
  });
});

describe('defaults from writer schemas', () => {
  it('JsonConverter `default` (Decimal base64) and Avro field `default` (bytes as code points) decode alike', () => {
    const json = connectSchemaFromJson(
      parseJsonLossless(
        JSON.stringify({
          type: 'struct',
          name: 't.Envelope',
          fields: [
            {
              type: 'struct',
              optional: true,
              field: 'after',
              fields: [
                { type: 'int32', optional: false, field: 'id' },
                { type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' }, default: 'fQ==', field: 'p' },
                { type: 'string', optional: true, default: 'none', field: 'note' },
                { type: 'int64', optional: false, default: 'BIG', field: 'big' },
              ],
            },
          ],
        }).replace('"BIG"', '9007199254740993'),
      ),
    );
    const avro = compileAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'Envelope',
        namespace: 't',
        fields: [
          {
            name: 'after',
            type: [
              'null',
              {
                type: 'record',
                name: 'Value',
                fields: [
                  { name: 'id', type: 'int' },
                  {
                    name: 'p',
                    type: {
                      type: 'bytes',
                      scale: 2,
                      precision: 10,
                      'connect.parameters': { scale: '2' },
                      'connect.name': 'org.apache.kafka.connect.data.Decimal',
                      logicalType: 'decimal',
                    },
                    default: '}',
                  },
                  { name: 'note', type: [{ type: 'string' }, 'null'], default: 'none' },
                  { name: 'big', type: 'long', default: 5 },
                ],
              },
            ],
            default: null,
          },
        ],
      }),
    ).connect;
    const fromJson = envelopeSchemaOf(json)!;
    const fromAvro = envelopeSchemaOf(avro)!;
    expect(fromJson.columns.p!.default).toBe('1.25');
    expect(fromAvro.columns.p!.default).toBe('1.25');
    expect(fromJson.columns.note!.default).toBe('none');
    expect(fromAvro.columns.note!.default).toBe('none');
    expect(fromJson.columns.big!.default).toBe(9007199254740993n);
    expect(fromAvro.columns.big!.default).toBe(5);
    expect(fromJson.columns.id).not.toHaveProperty('default');
    expect(withDefaults({ id: 1 }, fromJson)).toEqual({ id: 1, p: '1.25', note: 'none', big: 9007199254740993n });
    expect(withDefaults({ id: 1, note: null }, fromAvro)).toEqual({ id: 1, p: '1.25', note: null, big: 5 });
  });

  it('JsonConverter names FLOAT32 `float` and FLOAT64 `double`', () => {
    expect(connectSchemaFromJson({ type: 'float', optional: true }).type).toBe('float32');
    expect(connectSchemaFromJson({ type: 'double', optional: false }).type).toBe('float64');
  });
});

describe('truncate policy', () => {
  it('quarantine unless configured otherwise; every policy has a decision', () => {
    expect(truncateAction(undefined, 'stockcurrent')).toEqual({
      action: 'quarantine',
      reason: 'truncate',
      error: 'TRUNCATE of stockcurrent: no truncate policy is configured for this table (mapping key on_truncate)',
    });
    expect(truncateAction('quarantine', 't')).toMatchObject({ action: 'quarantine', reason: 'truncate' });
    expect(TRUNCATE_POLICIES.map((p) => truncateAction(p, 't').action)).toEqual(['quarantine', 'ignore', 'delete-rows']);
    expect(() => truncateAction('zero' as never, 't')).toThrow(TypeError);
  });
});

describe('printJson (stocksync decode output)', () => {
  it('prints bigints with every digit, bytes, temporal values, markers and non-finite numbers', () => {
    const text = printJson({
      big: 1795942368626691055n,
      bytes: Buffer.from([1, 2]),
      at: new Instant(1n),
      day: new LocalDate(0),
      u: new Unknown('zero-date', 0),
      t: UNCHANGED,
      nan: NaN,
      list: [1, 'a'],
      empty: {},
      none: null,
    });
    expect(text).toBe(
      [
        '{',
        '  "big": 1795942368626691055,',
        '  "bytes": { "$base64": "AQI=" },',
        '  "at": "1970-01-01T00:00:00.000000001Z",',
        '  "day": "1970-01-01",',
        '  "u": {"$unknown":"zero-date"},',
        '  "t": {"$unchanged":true},',
        '  "nan": "NaN",',
        '  "list": [',
        '    1,',
        '    "a"',
        '  ],',
        '  "empty": {},',
        '  "none": null',
        '}',
      ].join('\n'),
    );
    expect((parseJsonLossless(text) as { big: { text: string } }).big.text).toBe('1795942368626691055');
  });
});

describe('registry client Avro options (registry/registry.ts)', () => {
  it('long in name and object form decodes to bigint; each use gets a fresh name registry', async () => {
    const avsc = (await import('avsc')).default;
    const { bigintAvroOptions } = await import('../../src/registry/registry.ts');
    const schema = {
      type: 'record',
      name: 'Value',
      namespace: 'x',
      fields: [
        { name: 'a', type: 'long' },
        { name: 'b', type: { type: 'long', 'connect.name': 'io.debezium.time.MicroTimestamp' } },
      ],
    };
    // The client spreads its options into every forSchema call, as here.
    const type = avsc.Type.forSchema(schema as never, { ...bigintAvroOptions() });
    const again = avsc.Type.forSchema({ ...schema, fields: [...schema.fields, { name: 'c', type: 'int' }] } as never, { ...bigintAvroOptions() });
    const buf = type.toBuffer({ a: 9007199254740993n, b: -30610223999999999n });
    expect(type.fromBuffer(buf)).toEqual({ a: 9007199254740993n, b: -30610223999999999n });
    expect(again.fromBuffer(again.toBuffer({ a: 1n, b: 2n, c: 3 }))).toEqual({ a: 1n, b: 2n, c: 3 });
  });
});
