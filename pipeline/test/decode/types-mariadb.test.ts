/**
 * Golden tests: every MariaDB column type of the fixtures (pipeline/test/fixtures/generator/mariadb.ts),
 * captured by the real Debezium MariaDB connector through both converters — Avro (Apicurio, Confluent
 * wire format) and JSON with schemas — decodes to the exact expected value, in the snapshot (ids 1–4,
 * op r) and in streaming (ids 101–104, op c). The session time zone of the writes was +02:00.
 */
import { describe, expect, it } from 'vitest';
import { columnTypes, Instant, LocalDateTime, LocalTime, resolveColumn, Unknown } from '../../src/decode/index.ts';
import { showRow, theChange } from './captured-records.ts';

/** Values of the `types` rows (streaming copies: id + 100), as `show` prints them. */
const ROWS: Record<number, Record<string, unknown>> = {
  1: {
    label: 'typical',
    // DECIMAL(p,s), decimal.handling.mode=precise: exact, negative two's complement kept negative.
    dec_a: '12345.6789',
    dec_b: '-12345678901234567890.1234567890',
    dec_int: '-5',
    // BIGINT beyond 2^53 exact; BIGINT UNSIGNED max arrives as -1 (bigint.unsigned.handling.mode=long).
    big: '9223372036854775807n',
    big_u: -1,
    // FLOAT is float32 on the wire: the shortest decimal, not 0.10000000149011612.
    flt: 0.1,
    dbl: 0.30000000000000004,
    // TINYINT(1) without source-type propagation is a number; with it (tiny1_typed), a boolean; BIT(1) is boolean.
    tiny1: 1,
    tiny1_typed: true,
    bit1: true,
    tiny4: -5,
    d: 'local-date 2024-02-29',
    d_nn: 'local-date 2024-02-29',
    // DATETIME: the wall time as written (2026-03-29T02:30 does not exist in Europe/Berlin; it is no instant yet).
    dt0: 'local-date-time 2026-03-29T02:30:00',
    dt3: 'local-date-time 2026-10-25T02:30:00.123',
    dt6: 'local-date-time 1969-12-31T23:59:59.999999',
    dt_nn: 'local-date-time 2024-02-29T13:14:15',
    d_nd: 'local-date 2024-02-29',
    dt_nd: 'local-date-time 2024-02-29T13:14:15',
    // TIMESTAMP: an instant, written at +02:00; 0 to 6 fraction digits.
    ts0: 'instant 2026-03-29T00:30:00Z',
    ts1: 'instant 2026-01-02T01:04:05.1Z',
    ts2: 'instant 2026-01-02T01:04:05.12Z',
    ts3: 'instant 2026-01-02T01:04:05.123Z',
    ts4: 'instant 2026-01-02T01:04:05.1234Z',
    ts5: 'instant 2026-01-02T01:04:05.12345Z',
    ts6: 'instant 2026-01-02T01:04:05.123456Z',
    ts_nn: 'instant 2026-01-02T01:04:05Z',
    // TIME is a span in MySQL: up to ±838:59:59, negative allowed.
    t0: 'local-time 838:59:59',
    t6: 'local-time -01:02:03.000004',
    yr: 2024,
    // Source column `2nd_price`, renamed by Avro name rules.
    _2nd_price: '9.99',
  },
  2: {
    label: 'zero dates',
    dec_a: '-0.0001',
    dec_b: '0.0000000000',
    dec_int: '0',
    big: '-9223372036854775808n',
    big_u: 0,
    flt: -2.5,
    dbl: 1e300,
    // TINYINT(1) 5 and -1: any nonzero value is true.
    tiny1: 5,
    tiny1_typed: true,
    bit1: false,
    tiny4: 0,
    // zero-in-date 2024-01-00 in a nullable DATE / DATETIME(3): Debezium sends null.
    d: null,
    dt3: null,
    // '0000-00-00' in NOT NULL columns with a DEFAULT: Debezium sends the default (not recoverable).
    d_nn: 'local-date 2000-01-01',
    dt_nn: 'local-date-time 2000-01-01T00:00:00',
    // '0000-00-00 00:00:00' in a nullable DATETIME: null.
    dt0: null,
    dt6: null,
    // '0000-00-00' in NOT NULL columns without a DEFAULT: Debezium sends the epoch → unknown, never 1970.
    d_nd: 'unknown zero-date',
    dt_nd: 'unknown zero-date',
    ts1: null,
    ts2: null,
    ts3: null,
    ts4: null,
    ts5: null,
    // '…05.000000' prints without the zeros (snapshot and streaming differ on the wire, not here).
    ts6: 'instant 2026-01-02T01:04:05Z',
    t0: 'local-time 00:00:00',
    t6: 'local-time 23:59:59.999999',
    yr: 2155,
    _2nd_price: '-0.01',
  },
  3: {
    label: 'nulls',
    dec_a: null,
    dec_b: null,
    dec_int: null,
    big: null,
    big_u: null,
    flt: null,
    dbl: null,
    tiny1: null,
    tiny1_typed: false,
    bit1: null,
    tiny4: null,
    d: null,
    d_nn: 'local-date 2000-01-01',
    dt0: null,
    dt3: null,
    dt6: null,
    dt_nn: 'local-date-time 2000-01-01T00:00:00',
    d_nd: 'local-date 2000-01-01',
    dt_nd: 'local-date-time 2000-01-01T00:00:00',
    ts0: null,
    ts1: null,
    ts2: null,
    ts3: null,
    ts4: null,
    ts5: null,
    ts6: null,
    // DEFAULT '2000-01-01 00:00:00' of a TIMESTAMP created at +02:00.
    ts_nn: 'instant 1999-12-31T22:00:00Z',
    t0: null,
    t6: null,
    yr: null,
    _2nd_price: null,
  },
  4: {
    label: 'epoch and limits',
    dec_a: null,
    dec_b: null,
    dec_int: null,
    big: null,
    big_u: null,
    flt: null,
    dbl: null,
    tiny1: 0,
    tiny1_typed: false,
    bit1: true,
    tiny4: null,
    // A real 1970-01-01 in nullable columns stays a date (zeros arrive as null there).
    d: 'local-date 1970-01-01',
    dt0: 'local-date-time 1970-01-01T00:00:00',
    d_nn: 'local-date 1000-01-01',
    dt3: 'local-date-time 9999-12-31T23:59:59.999',
    dt6: 'local-date-time 1000-01-01T00:00:00.000001',
    dt_nn: 'local-date-time 1970-01-01T00:00:01',
    d_nd: 'local-date 1970-01-02',
    dt_nd: 'local-date-time 1970-01-01T00:00:01',
    // TIMESTAMP's range: 1970-01-01T00:00:01Z … 2038-01-19T03:14:07.999999Z.
    ts0: 'instant 1970-01-01T00:00:01Z',
    ts1: null,
    ts2: null,
    ts3: 'instant 2038-01-19T03:14:07.999Z',
    ts4: null,
    ts5: null,
    ts6: null,
    ts_nn: 'instant 1970-01-01T00:00:01Z',
    t0: 'local-time -838:59:59',
    t6: null,
    yr: 1901,
    _2nd_price: null,
  },
};

describe.each(['mariadb-avro', 'mariadb-json'])('%s: MariaDB column types', (id) => {
  for (const [n, row] of Object.entries(ROWS)) {
    const rowId = Number(n);
    it(`snapshot row ${rowId} (${String(row.label)})`, async () => {
      const { key, envelope } = await theChange(id, 'types', 'r', rowId);
      expect(key).toEqual({ id: rowId });
      const expected: Record<string, unknown> = { id: rowId, ...row };
      // A zero TIMESTAMP reads as null (nullable) or the column default (NOT NULL) in the snapshot.
      if (rowId === 2) Object.assign(expected, { ts0: null, ts_nn: 'instant 1999-12-31T22:00:00Z' });
      expect(showRow(envelope.after)).toEqual(expected);
      expect(envelope.source.snapshot).not.toBe('false');
    });

    it(`streamed row ${rowId + 100} (${String(row.label)})`, async () => {
      const { key, envelope } = await theChange(id, 'types', 'c', rowId + 100);
      expect(key).toEqual({ id: rowId + 100 });
      const expected: Record<string, unknown> = { id: rowId + 100, ...row };
      // A streamed zero TIMESTAMP arrives as 1970-01-01T00:00:00Z, outside TIMESTAMP's range → unknown.
      if (rowId === 2) Object.assign(expected, { ts0: 'unknown zero-date', ts_nn: 'unknown zero-date' });
      expect(showRow(envelope.after)).toEqual(expected);
      expect(envelope.source.snapshot).toBe('false');
    });
  }

  it('YEAR 0000 (streamed; Debezium sends 1900) → unknown', async () => {
    const { envelope } = await theChange(id, 'types', 'u', 102);
    expect(envelope.before!.yr).toBe(2155);
    expect(envelope.after!.yr).toEqual(new Unknown('zero-date', 1900));
  });

  it('exact integers behind the texts', async () => {
    const { envelope } = await theChange(id, 'types', 'c', 101);
    expect(envelope.after!.dt6).toEqual(new LocalDateTime(-1000n));
    expect(envelope.after!.ts6).toEqual(new Instant(1767315845123456000n));
    expect(envelope.after!.t6).toEqual(new LocalTime(-3723000004000n));
    expect(envelope.after!.big).toBe(9223372036854775807n);
  });

  it('column types: logical names, a propagated TINYINT(1), the source name of a sanitized column', async () => {
    const { envelope } = await theChange(id, 'types', 'c', 101);
    const types = columnTypes(envelope);
    expect(types.dt6).toEqual({ type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: true });
    expect(types.ts_nn).toMatchObject({ type: 'string', logical: 'io.debezium.time.ZonedTimestamp', optional: false });
    expect(types.t0).toEqual({ type: 'int64', logical: 'io.debezium.time.MicroTime', optional: true });
    expect(types.yr).toEqual({ type: 'int32', logical: 'io.debezium.time.Year', optional: true });
    expect(types.tiny1).toEqual({ type: 'int16', optional: true });
    expect(types.tiny1_typed?.parameters).toMatchObject({ '__debezium.source.column.type': 'TINYINT', '__debezium.source.column.length': '1' });
    expect(types._2nd_price).toMatchObject({ logical: 'org.apache.kafka.connect.data.Decimal', sourceName: '2nd_price' });
    expect(resolveColumn(envelope.after!, types, '2nd_price')).toBe('_2nd_price');
    expect(resolveColumn(envelope.after!, {}, '2nd_price')).toBe('_2nd_price');
    expect(resolveColumn(envelope.after!, types, 'no_such_column')).toBeUndefined();
  });
});
