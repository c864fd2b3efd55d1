/**
 * Golden tests: every PostgreSQL column type of the fixtures (pipeline/test/fixtures/generator/postgres.ts),
 * captured by the real Debezium PostgreSQL connector (pgoutput) through both converters, decodes to
 * the exact expected value — snapshot rows 1–6 (op r) and streamed rows 101–106 (op c).
 */
import { describe, expect, it } from 'vitest';
import { columnTypes, Duration, LocalDateTime, OffsetTime, resolveColumn, Unknown } from '../../src/decode/index.ts';
import { showRow, theChange } from './captured-records.ts';

const NULLS = {
  num: null,
  num_fixed: null,
  big: null,
  r: null,
  dp: null,
  b: null,
  d: null,
  ts0: null,
  ts3: null,
  ts6: null,
  tz0: null,
  tz1: null,
  tz2: null,
  tz3: null,
  tz4: null,
  tz5: null,
  tz6: null,
  t: null,
  t0: null,
  ttz: null,
  iv: null,
  price: null,
};

/** Values of the `types` rows as `show` prints them; `price` is the column `2nd_price` (see below). */
const ROWS: Record<number, Record<string, unknown>> = {
  1: {
    ...NULLS,
    label: 'typical',
    // NUMERIC without precision → VariableScaleDecimal ('1.50' arrives with scale 1); NUMERIC(20,4) → Decimal.
    num: '1.5',
    num_fixed: '-12345.6789',
    big: '9223372036854775807n',
    // REAL is float32 on the wire: shortest decimal in both formats.
    r: 0.1,
    dp: 0.30000000000000004,
    b: true,
    d: 'local-date 2024-02-29',
    // TIMESTAMP WITHOUT TIME ZONE: wall times.
    ts0: 'local-date-time 2026-03-29T02:30:00',
    ts3: 'local-date-time 2026-10-25T02:30:00.123',
    ts6: 'local-date-time 1969-12-31T23:59:59.999999',
    // TIMESTAMPTZ(0..6): instants; '+02' and '-05:30' literals normalized to UTC by Debezium.
    tz0: 'instant 2026-03-29T00:30:00Z',
    tz1: 'instant 2026-01-02T03:04:05.1Z',
    tz2: 'instant 2026-01-02T03:04:05.12Z',
    tz3: 'instant 2026-01-02T03:04:05.123Z',
    tz4: 'instant 2026-01-02T03:04:05.1234Z',
    tz5: 'instant 2026-01-02T03:04:05.12345Z',
    tz6: 'instant 2026-01-02T08:34:05.123456Z',
    t: 'local-time 13:14:15.123456',
    t0: 'local-time 00:00:00',
    // TIMETZ '13:14:15.5+02' → ZonedTime in UTC.
    ttz: 'offset-time 11:14:15.5Z',
    // INTERVAL '1 year 2 mons 3 days 04:05:06.789' → MicroDuration (a month = 30.4375 days).
    iv: 'duration PT37091106.789S',
    price: '9.99',
  },
  2: {
    ...NULLS,
    label: 'edge numbers',
    num: '-123456789012345678901234567890.123456789',
    num_fixed: '0.0001',
    big: '-9223372036854775808n',
    r: -2.5,
    dp: 1e300,
    b: false,
    d: 'local-date 0001-01-01',
    ts0: 'local-date-time 1970-01-01T00:00:00',
    ts6: 'local-date-time 2026-01-02T03:04:05.000001',
    tz6: 'instant 2026-01-02T03:04:05Z',
    t: 'local-time 23:59:59.999999',
    ttz: 'offset-time 00:00:00Z',
    iv: 'duration -PT86400S',
    price: '-0.01',
  },
  // NaN: NUMERIC (variable and fixed scale) arrives as null — a quantity the normalize stage
  // quarantines ('null-quantity'), never reads as 0; REAL and DOUBLE PRECISION keep NaN (JSON: "NaN").
  3: { ...NULLS, label: 'NaN', r: NaN, dp: NaN },
  // infinity / -infinity: NUMERIC as null; floats as ±Infinity; dates and timestamps as Debezium's
  // stand-ins → unknown.
  4: { ...NULLS, label: 'infinity', r: Infinity, dp: -Infinity, d: 'unknown infinity', ts6: 'unknown infinity', tz6: 'unknown -infinity' },
  5: { ...NULLS, label: 'nulls' },
  // A '-infinity' DATE is indistinguishable from 'infinity' on the wire.
  6: { ...NULLS, label: 'more infinity', d: 'unknown infinity', ts0: 'unknown infinity', ts3: 'unknown -infinity', tz0: 'unknown infinity' },
};

/**
 * The JSON connector keeps the column name `2nd_price` (no name adjustment configured, as in the
 * shipped warehouse.json); the Avro converter renames it `_2nd_price`.
 */
const PRICE = { 'postgres-avro': '_2nd_price', 'postgres-json': '2nd_price' } as const;

describe.each(['postgres-avro', 'postgres-json'] as const)('%s: PostgreSQL column types', (id) => {
  const expectedRow = (rowId: number, row: Record<string, unknown>) => {
    const { price, ...rest } = row;
    return { id: rowId, ...rest, [PRICE[id]]: price };
  };

  for (const [n, row] of Object.entries(ROWS)) {
    const rowId = Number(n);
    it(`snapshot row ${rowId} (${String(row.label)})`, async () => {
      const { key, envelope } = await theChange(id, 'types', 'r', rowId);
      expect(key).toEqual({ id: rowId });
      expect(showRow(envelope.after)).toEqual(expectedRow(rowId, row));
    });
    it(`streamed row ${rowId + 100} (${String(row.label)})`, async () => {
      const { key, envelope } = await theChange(id, 'types', 'c', rowId + 100);
      expect(key).toEqual({ id: rowId + 100 });
      expect(showRow(envelope.after)).toEqual(expectedRow(rowId + 100, row));
    });
  }

  it('exact values behind the texts, and what the markers carry', async () => {
    const { envelope } = await theChange(id, 'types', 'c', 101);
    expect(envelope.after!.ts6).toEqual(new LocalDateTime(-1000n));
    expect(envelope.after!.ttz).toEqual(new OffsetTime(40455500000000n, 0));
    expect(envelope.after!.iv).toEqual(new Duration(37091106789000000n));
    const inf = await theChange(id, 'types', 'c', 106);
    expect(inf.envelope.after!.ts0).toEqual(new Unknown('infinity', 9223372036825200n)); // ms precision: µs constant / 1000
    expect(inf.envelope.after!.ts3).toEqual(new Unknown('-infinity', -9223372036832400n));
    expect(inf.envelope.after!.tz0).toEqual(new Unknown('infinity', 'infinity'));
  });

  it('column types and the sanitized column name', async () => {
    const { envelope } = await theChange(id, 'types', 'c', 101);
    const types = columnTypes(envelope);
    expect(types.num).toEqual({ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal', optional: true });
    expect(types.ttz).toEqual({ type: 'string', logical: 'io.debezium.time.ZonedTime', optional: true });
    expect(types.iv).toEqual({ type: 'int64', logical: 'io.debezium.time.MicroDuration', optional: true });
    expect(types.t0).toEqual({ type: 'int32', logical: 'io.debezium.time.Time', optional: true });
    expect(types.r).toEqual({ type: 'float32', optional: true });
    expect(resolveColumn(envelope.after!, types, '2nd_price')).toBe(PRICE[id]);
  });
});
