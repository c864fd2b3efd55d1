/**
 * Temporal values in integer arithmetic: every Debezium temporal wire form (including the ones the
 * captured MariaDB/PostgreSQL records cannot carry: NanoTime, NanoTimestamp, 7–9 fraction digits),
 * the calendar algorithms, and wall time ↔ instant in a named zone (gaps and overlaps).
 */
import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil } from '../../src/decode/civil.ts';
import {
  DecodeError,
  Duration,
  Instant,
  instantToLocalDateTime,
  LocalDate,
  LocalDateTime,
  localDateTimeToInstant,
  LocalTime,
  OffsetTime,
  TimeZoneError,
} from '../../src/decode/index.ts';
import { parseZonedTimestamp, temporalFromWire } from '../../src/decode/temporal.ts';

const SECOND = 1_000_000_000n;
/** 2026-01-02T03:04:05Z in ns. */
const T0 = 1767323045n * SECOND;

describe('ZonedTimestamp (ISO_OFFSET_DATE_TIME)', () => {
  it('reads 0 to 9 fraction digits exactly', () => {
    const fractions = ['', '.1', '.12', '.123', '.1234', '.12345', '.123456', '.1234567', '.12345678', '.123456789'];
    const nanos = [0n, 100000000n, 120000000n, 123000000n, 123400000n, 123450000n, 123456000n, 123456700n, 123456780n, 123456789n];
    fractions.forEach((f, i) => {
      const instant = parseZonedTimestamp(`2026-01-02T03:04:05${f}Z`);
      expect(instant.epochNanos).toBe(T0 + nanos[i]!);
      expect(instant.toString()).toBe(`2026-01-02T03:04:05${f}Z`);
    });
  });

  it('keeps trailing zeros out of the text: equal instants print equally', () => {
    expect(parseZonedTimestamp('2026-01-02T03:04:05.000000Z').toString()).toBe('2026-01-02T03:04:05Z');
    expect(parseZonedTimestamp('2026-01-02T03:04:05.120Z').toString()).toBe('2026-01-02T03:04:05.12Z');
    expect(parseZonedTimestamp('2026-01-02T03:04:05.000000Z')).toEqual(parseZonedTimestamp('2026-01-02T03:04:05Z'));
  });

  it('applies the offset (east positive), minutes-only times and second offsets included', () => {
    expect(parseZonedTimestamp('2026-01-02T08:34:05.123456+05:30').toString()).toBe('2026-01-02T03:04:05.123456Z');
    expect(parseZonedTimestamp('2026-01-01T22:04:05-05:00').toString()).toBe('2026-01-02T03:04:05Z');
    expect(parseZonedTimestamp('2026-01-02T03:04Z').epochNanos).toBe(T0 - 5n * SECOND);
    expect(parseZonedTimestamp('1800-01-01T00:53:28+00:53:28').toString()).toBe('1800-01-01T00:00:00Z');
  });

  it('reads years before 1970, before year 1 and after 9999', () => {
    expect(parseZonedTimestamp('1969-12-31T23:59:59.999999999Z').epochNanos).toBe(-1n);
    expect(parseZonedTimestamp('0001-01-01T00:00:00Z').epochNanos).toBe(-62135596800n * SECOND);
    expect(parseZonedTimestamp('-0001-12-31T23:59:59Z').toString()).toBe('-0001-12-31T23:59:59Z');
    expect(parseZonedTimestamp('+10000-01-01T00:00:00Z').toString()).toBe('+10000-01-01T00:00:00Z');
    expect(parseZonedTimestamp('+10000-01-01T00:00:00Z').epochNanos).toBe(253402300800n * SECOND);
  });

  it('refuses what is not a valid date-time with offset', () => {
    for (const bad of [
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-02T24:00:00Z',
      '2026-01-02T03:60:00Z',
      '2026-01-02 03:04:05Z',
      '2026-01-02T03:04:05',
      '2026-01-02T03:04:05.1234567890Z',
      '2026-01-02T03:04:05.Z',
      'infinity',
      '',
    ]) {
      expect(() => parseZonedTimestamp(bad), bad).toThrow(DecodeError);
    }
  });
});

describe('every temporal logical type', () => {
  const cases: Array<[string, number | bigint | string, string, string]> = [
    ['io.debezium.time.Date', 19782, 'local-date', '2024-02-29'],
    ['io.debezium.time.Date', -719162, 'local-date', '0001-01-01'],
    ['org.apache.kafka.connect.data.Date', -1, 'local-date', '1969-12-31'],
    ['io.debezium.time.Time', 45296789, 'local-time', '12:34:56.789'],
    ['org.apache.kafka.connect.data.Time', 0, 'local-time', '00:00:00'],
    ['io.debezium.time.MicroTime', 45296789012, 'local-time', '12:34:56.789012'],
    ['io.debezium.time.MicroTime', 3020399000000, 'local-time', '838:59:59'],
    ['io.debezium.time.MicroTime', -3723000004, 'local-time', '-01:02:03.000004'],
    ['io.debezium.time.NanoTime', 45296789012345n, 'local-time', '12:34:56.789012345'],
    ['io.debezium.time.Timestamp', 1774751400000, 'local-date-time', '2026-03-29T02:30:00'],
    ['io.debezium.time.Timestamp', -1, 'local-date-time', '1969-12-31T23:59:59.999'],
    ['org.apache.kafka.connect.data.Timestamp', 1792895400123, 'local-date-time', '2026-10-25T02:30:00.123'],
    ['io.debezium.time.MicroTimestamp', -1, 'local-date-time', '1969-12-31T23:59:59.999999'],
    ['io.debezium.time.MicroTimestamp', -30610223999999999n, 'local-date-time', '1000-01-01T00:00:00.000001'],
    ['io.debezium.time.NanoTimestamp', 1767323045123456789n, 'local-date-time', '2026-01-02T03:04:05.123456789'],
    ['io.debezium.time.NanoTimestamp', -1n, 'local-date-time', '1969-12-31T23:59:59.999999999'],
    ['io.debezium.time.ZonedTimestamp', '2026-01-02T03:04:05.123456789Z', 'instant', '2026-01-02T03:04:05.123456789Z'],
    ['io.debezium.time.ZonedTime', '11:14:15.5Z', 'offset-time', '11:14:15.5Z'],
    ['io.debezium.time.ZonedTime', '23:59:59.999999999+02:00', 'offset-time', '23:59:59.999999999+02:00'],
    ['io.debezium.time.MicroDuration', 37091106789000, 'duration', 'PT37091106.789S'],
    ['io.debezium.time.MicroDuration', -86400000000, 'duration', '-PT86400S'],
  ];
  for (const [logical, wire, kind, text] of cases) {
    it(`${logical} ${String(wire)} → ${kind} ${text}`, () => {
      const value = temporalFromWire(logical, wire);
      expect(typeof value === 'object' && value.kind).toBe(kind);
      expect(String(value)).toBe(text);
      expect(JSON.stringify(value)).toBe(JSON.stringify(text));
    });
  }

  it('keeps the exact integers', () => {
    expect(temporalFromWire('io.debezium.time.NanoTimestamp', 1767323045123456789n)).toEqual(new LocalDateTime(1767323045123456789n));
    expect(temporalFromWire('io.debezium.time.MicroTime', 1n)).toEqual(new LocalTime(1000n));
    expect(temporalFromWire('io.debezium.time.ZonedTime', '00:00:00.000000001-05:30')).toEqual(new OffsetTime(1n, -19800));
    expect(temporalFromWire('io.debezium.time.MicroDuration', 1)).toEqual(new Duration(1000n));
    expect(temporalFromWire('io.debezium.time.Date', 0)).toEqual(new LocalDate(0));
  });

  it('ZonedTimestamp infinity is reported, not parsed', () => {
    expect(temporalFromWire('io.debezium.time.ZonedTimestamp', 'infinity')).toBe('infinity');
    expect(temporalFromWire('io.debezium.time.ZonedTimestamp', '-infinity')).toBe('-infinity');
  });

  it('a wire value of the wrong type is a schema mismatch', () => {
    expect(() => temporalFromWire('io.debezium.time.Date', '2024-01-01')).toThrow(DecodeError);
    expect(() => temporalFromWire('io.debezium.time.MicroTimestamp', 1.5)).toThrow(DecodeError);
    expect(() => temporalFromWire('io.debezium.time.ZonedTimestamp', 5)).toThrow(DecodeError);
  });

  it('LocalDateTime parts: date and nano of day, before the epoch too', () => {
    const dt = new LocalDateTime(-1n);
    expect(dt.date).toEqual(new LocalDate(-1));
    expect(dt.nanoOfDay).toBe(86_400n * SECOND - 1n);
    expect(new Instant(-1_500_000n).epochMillis).toBe(-2n);
  });
});

describe('calendar arithmetic', () => {
  it('agrees with the proleptic Gregorian calendar of Date.UTC over ±2 million days', () => {
    for (let days = -2_000_000; days <= 2_000_000; days += 997) {
      const d = new Date(days * 86_400_000);
      expect(civilFromDays(days)).toEqual({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
      expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(days);
    }
  });

  it('handles leap days and the int32 extremes', () => {
    expect(new LocalDate(daysFromCivil(2000, 2, 29)).toString()).toBe('2000-02-29');
    expect(civilFromDays(daysFromCivil(1900, 3, 1) - 1)).toEqual({ year: 1900, month: 2, day: 28 });
    expect(new LocalDate(2147483647).toString()).toBe('+5881580-07-11');
    expect(new LocalDate(-2147483648).toString()).toBe('-5877641-06-23');
  });
});

describe('wall time → instant in a zone (java.time LocalDateTime.atZone semantics)', () => {
  const wall = (text: string) => {
    const [date, time] = text.split('T') as [string, string];
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const [hh, mm, ss] = time.split(':') as [string, string, string];
    const [s, f = ''] = ss.split('.') as [string, string?];
    const seconds = BigInt(daysFromCivil(y, m, d)) * 86_400n + BigInt(Number(hh) * 3600 + Number(mm) * 60 + Number(s));
    return new LocalDateTime(seconds * SECOND + BigInt(f.padEnd(9, '0')));
  };
  const at = (text: string, zone: string, how?: 'compatible' | 'earlier' | 'later' | 'reject') => localDateTimeToInstant(wall(text), zone, how).toString();

  it('an ordinary wall time, nanoseconds kept', () => {
    expect(at('2026-01-02T03:04:05.123456789', 'Europe/Berlin')).toBe('2026-01-02T02:04:05.123456789Z');
    expect(at('2026-07-02T03:04:05', 'Europe/Berlin')).toBe('2026-07-02T01:04:05Z');
    expect(at('2026-01-02T03:04:05', 'Asia/Kolkata')).toBe('2026-01-01T21:34:05Z');
    expect(at('2026-01-02T03:04:05', 'America/St_Johns')).toBe('2026-01-02T06:34:05Z');
    expect(at('2026-01-02T03:04:05', 'UTC')).toBe('2026-01-02T03:04:05Z');
  });

  it('a skipped wall time (clocks forward) moves later by the gap; earlier/later/reject on request', () => {
    // Europe/Berlin 2026-03-29: 02:00 CET → 03:00 CEST
    expect(at('2026-03-29T02:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00Z');
    expect(at('2026-03-29T02:30:00', 'Europe/Berlin', 'later')).toBe('2026-03-29T01:30:00Z');
    expect(at('2026-03-29T02:30:00', 'Europe/Berlin', 'earlier')).toBe('2026-03-29T00:30:00Z');
    expect(() => at('2026-03-29T02:30:00', 'Europe/Berlin', 'reject')).toThrow(TimeZoneError);
  });

  it('a repeated wall time (clocks back) is the earlier instant; later/reject on request', () => {
    // Europe/Berlin 2026-10-25: 03:00 CEST → 02:00 CET
    expect(at('2026-10-25T02:30:00.123', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.123Z');
    expect(at('2026-10-25T02:30:00.123', 'Europe/Berlin', 'later')).toBe('2026-10-25T01:30:00.123Z');
    expect(() => at('2026-10-25T02:30:00', 'Europe/Berlin', 'reject')).toThrow(TimeZoneError);
  });

  it('historical offsets with seconds (local mean time) and dates before the epoch', () => {
    expect(at('1800-01-01T00:00:00', 'Europe/Berlin')).toBe('1799-12-31T23:06:32Z');
    expect(at('1969-12-31T23:59:59.999999', 'America/New_York')).toBe('1970-01-01T04:59:59.999999Z');
  });

  it('round-trips through instantToLocalDateTime', () => {
    for (const text of ['2026-01-02T03:04:05.5', '2026-10-25T02:30:00', '1999-12-31T23:59:59.999999999']) {
      const instant = localDateTimeToInstant(wall(text), 'Europe/Berlin');
      expect(instantToLocalDateTime(instant, 'Europe/Berlin').toString()).toBe(text);
    }
  });

  it('an unknown zone is a TimeZoneError naming it', () => {
    expect(() => at('2026-01-02T03:04:05', 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
    expect(() => at('2026-01-02T03:04:05', 'Mars/Olympus')).toThrow(TimeZoneError);
  });
});
