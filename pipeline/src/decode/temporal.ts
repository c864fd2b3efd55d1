/**
 * Exact date and time values for Debezium's temporal logical types, in integer arithmetic
 * (bigint nanoseconds; no `Date`, no floating-point time), and the conversions from each wire
 * representation.
 *
 * | logical name (schema `name`)             | wire value                                   | decoded as        |
 * | ---------------------------------------- | -------------------------------------------- | ----------------- |
 * | `io.debezium.time.Date`                  | int32 days since 1970-01-01                  | {@link LocalDate} |
 * | `org.apache.kafka.connect.data.Date`     | int32 days since 1970-01-01                  | {@link LocalDate} |
 * | `io.debezium.time.Time`                  | int32 ms since midnight                      | {@link LocalTime} |
 * | `io.debezium.time.MicroTime`             | int64 µs (MySQL TIME: a signed span, ±838 h) | {@link LocalTime} |
 * | `io.debezium.time.NanoTime`              | int64 ns                                     | {@link LocalTime} |
 * | `org.apache.kafka.connect.data.Time`     | int32 ms since midnight                      | {@link LocalTime} |
 * | `io.debezium.time.Timestamp`             | int64 ms, wall time read as if UTC           | {@link LocalDateTime} |
 * | `io.debezium.time.MicroTimestamp`        | int64 µs, wall time read as if UTC           | {@link LocalDateTime} |
 * | `io.debezium.time.NanoTimestamp`         | int64 ns, wall time read as if UTC           | {@link LocalDateTime} |
 * | `org.apache.kafka.connect.data.Timestamp`| int64 ms, wall time read as if UTC           | {@link LocalDateTime} |
 * | `io.debezium.time.ZonedTimestamp`        | string, ISO 8601 with offset, 0–9 fraction digits | {@link Instant} |
 * | `io.debezium.time.ZonedTime`             | string, ISO 8601 time with offset            | {@link OffsetTime} |
 * | `io.debezium.time.MicroDuration`         | int64 µs (PostgreSQL INTERVAL, months as 30.4375 days) | {@link Duration} |
 * | `io.debezium.time.Year`                  | int32 year                                   | `number`          |
 *
 * Sources: Debezium 3.5 reference, "Temporal types" of the MariaDB/MySQL connector (DATE, TIME,
 * DATETIME — "local date and time … converted to epoch milliseconds or microseconds based on the
 * column's precision by using UTC", TIMESTAMP → ZonedTimestamp in UTC) and of the PostgreSQL
 * connector (TIMESTAMP → (Micro)Timestamp, TIMESTAMPTZ → ZonedTimestamp, TIMETZ → ZonedTime,
 * INTERVAL → MicroDuration); Kafka Connect `Date`/`Time`/`Timestamp` javadoc (connect mode). A
 * DATETIME / TIMESTAMP WITHOUT TIME ZONE is a wall time, not an instant: it becomes one only with
 * the source's time zone (see `time-zone.ts`).
 *
 * Every class prints as ISO 8601 (`toString`, `toJSON`) with the fraction's trailing zeros removed,
 * so equal values print equally whatever precision the column had.
 */
import {
  civilFromDays,
  daysFromCivil,
  floorDivBig,
  formatCivil,
  formatClock,
  formatOffset,
  isValidCivil,
  NANOS_PER_DAY,
  NANOS_PER_SECOND,
  type CivilDate,
} from './civil.ts';
import { DecodeError } from './errors.ts';

/** A calendar date without time or zone. */
export class LocalDate {
  readonly kind = 'local-date';
  /** Days since 1970-01-01 (negative before). */
  constructor(readonly epochDay: number) {}
  get civil(): CivilDate {
    return civilFromDays(this.epochDay);
  }
  /** `2024-02-29`. */
  toString(): string {
    return formatCivil(this.civil);
  }
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A time of day without zone — or, for MySQL/MariaDB TIME, a signed span of up to ±838:59:59
 * (the type is an interval there). Printed `[-]HH:MM:SS[.fraction]`, hours beyond 23 as they are.
 */
export class LocalTime {
  readonly kind = 'local-time';
  /** Nanoseconds since midnight (or the span in ns, possibly negative or ≥ 24 h). */
  constructor(readonly nanos: bigint) {}
  toString(): string {
    return this.nanos < 0n ? `-${formatClock(-this.nanos)}` : formatClock(this.nanos);
  }
  toJSON(): string {
    return this.toString();
  }
}

/** A time of day with a UTC offset (PostgreSQL TIMETZ, which Debezium normalizes to UTC). */
export class OffsetTime {
  readonly kind = 'offset-time';
  /** @param nanos - nanoseconds since midnight in the local time of `offsetSeconds`. */
  constructor(
    readonly nanos: bigint,
    readonly offsetSeconds: number,
  ) {}
  /** `11:14:15.5Z`. */
  toString(): string {
    return `${formatClock(this.nanos)}${formatOffset(this.offsetSeconds)}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** A date and wall-clock time without zone (DATETIME, TIMESTAMP WITHOUT TIME ZONE). */
export class LocalDateTime {
  readonly kind = 'local-date-time';
  /** Nanoseconds since 1970-01-01T00:00 of the same wall clock (the value "as if UTC"). */
  constructor(readonly wallNanos: bigint) {}
  /** The date part. */
  get date(): LocalDate {
    return new LocalDate(Number(floorDivBig(this.wallNanos, NANOS_PER_DAY)));
  }
  /** Nanoseconds since midnight, 0 ≤ n < 86 400 × 10^9. */
  get nanoOfDay(): bigint {
    return this.wallNanos - floorDivBig(this.wallNanos, NANOS_PER_DAY) * NANOS_PER_DAY;
  }
  /** `2026-03-29T02:30:00.123`. */
  toString(): string {
    return `${this.date.toString()}T${formatClock(this.nanoOfDay)}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** A point on the UTC time line. */
export class Instant {
  readonly kind = 'instant';
  /** Nanoseconds since 1970-01-01T00:00:00Z. */
  constructor(readonly epochNanos: bigint) {}
  /** Milliseconds since the epoch, rounded down. */
  get epochMillis(): bigint {
    return floorDivBig(this.epochNanos, 1_000_000n);
  }
  /** `2026-01-02T01:04:05.123456Z`. */
  toString(): string {
    return `${new LocalDateTime(this.epochNanos).toString()}Z`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** An elapsed time (PostgreSQL INTERVAL as Debezium's MicroDuration: months count 30.4375 days). */
export class Duration {
  readonly kind = 'duration';
  /** Nanoseconds, possibly negative. */
  constructor(readonly nanos: bigint) {}
  /** ISO 8601 seconds form: `PT37091106.789S`, `-PT86400S`. */
  toString(): string {
    const abs = this.nanos < 0n ? -this.nanos : this.nanos;
    const fraction = abs % NANOS_PER_SECOND;
    const seconds = `${abs / NANOS_PER_SECOND}${fraction === 0n ? '' : `.${String(fraction).padStart(9, '0').replace(/0+$/, '')}`}`;
    return `${this.nanos < 0n ? '-' : ''}PT${seconds}S`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** Any decoded temporal value. */
export type TemporalValue = LocalDate | LocalTime | OffsetTime | LocalDateTime | Instant | Duration;

/** True for the temporal value classes of this module. */
export function isTemporal(value: unknown): value is TemporalValue {
  return (
    value instanceof LocalDate ||
    value instanceof LocalTime ||
    value instanceof OffsetTime ||
    value instanceof LocalDateTime ||
    value instanceof Instant ||
    value instanceof Duration
  );
}

/** Logical names this module converts, by kind of conversion. */
export const TEMPORAL_LOGICAL = {
  date: ['io.debezium.time.Date', 'org.apache.kafka.connect.data.Date'],
  timeMillis: ['io.debezium.time.Time', 'org.apache.kafka.connect.data.Time'],
  timeMicros: ['io.debezium.time.MicroTime'],
  timeNanos: ['io.debezium.time.NanoTime'],
  timestampMillis: ['io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp'],
  timestampMicros: ['io.debezium.time.MicroTimestamp'],
  timestampNanos: ['io.debezium.time.NanoTimestamp'],
  zonedTimestamp: ['io.debezium.time.ZonedTimestamp'],
  zonedTime: ['io.debezium.time.ZonedTime'],
  microDuration: ['io.debezium.time.MicroDuration'],
} as const;

const UNIT_NANOS: Record<string, bigint> = {};
for (const n of TEMPORAL_LOGICAL.timeMillis) UNIT_NANOS[n] = 1_000_000n;
for (const n of TEMPORAL_LOGICAL.timeMicros) UNIT_NANOS[n] = 1_000n;
for (const n of TEMPORAL_LOGICAL.timeNanos) UNIT_NANOS[n] = 1n;
for (const n of TEMPORAL_LOGICAL.timestampMillis) UNIT_NANOS[n] = 1_000_000n;
for (const n of TEMPORAL_LOGICAL.timestampMicros) UNIT_NANOS[n] = 1_000n;
for (const n of TEMPORAL_LOGICAL.timestampNanos) UNIT_NANOS[n] = 1n;

const DATE_NAMES: ReadonlySet<string> = new Set(TEMPORAL_LOGICAL.date);
const TIME_NAMES: ReadonlySet<string> = new Set([...TEMPORAL_LOGICAL.timeMillis, ...TEMPORAL_LOGICAL.timeMicros, ...TEMPORAL_LOGICAL.timeNanos]);
const TIMESTAMP_NAMES: ReadonlySet<string> = new Set([
  ...TEMPORAL_LOGICAL.timestampMillis,
  ...TEMPORAL_LOGICAL.timestampMicros,
  ...TEMPORAL_LOGICAL.timestampNanos,
]);

/** True when `logical` names a type {@link temporalFromWire} converts. */
export function isTemporalLogical(logical: string | undefined): boolean {
  return (
    logical !== undefined &&
    (DATE_NAMES.has(logical) ||
      TIME_NAMES.has(logical) ||
      TIMESTAMP_NAMES.has(logical) ||
      logical === TEMPORAL_LOGICAL.zonedTimestamp[0] ||
      logical === TEMPORAL_LOGICAL.zonedTime[0] ||
      logical === TEMPORAL_LOGICAL.microDuration[0])
  );
}

/** What a ZonedTimestamp string that is no instant means (PostgreSQL `infinity` / `-infinity`). */
export type SpecialTimestamp = 'infinity' | '-infinity';

/**
 * Converts a temporal wire value (already exact: int32 as number, int64 as number or bigint,
 * strings as they came) to its value class.
 * @returns the value, or a {@link SpecialTimestamp} for ZonedTimestamp `infinity`/`-infinity`.
 * @throws DecodeError `schema-mismatch` for a value that does not parse.
 */
export function temporalFromWire(logical: string, raw: number | bigint | string): TemporalValue | SpecialTimestamp {
  if (DATE_NAMES.has(logical)) {
    if (typeof raw !== 'number') throw mismatch(logical, raw);
    return new LocalDate(raw);
  }
  if (TIME_NAMES.has(logical)) return new LocalTime(integer(logical, raw) * UNIT_NANOS[logical]!);
  if (TIMESTAMP_NAMES.has(logical)) return new LocalDateTime(integer(logical, raw) * UNIT_NANOS[logical]!);
  if (logical === TEMPORAL_LOGICAL.microDuration[0]) return new Duration(integer(logical, raw) * 1_000n);
  if (typeof raw !== 'string') throw mismatch(logical, raw);
  if (logical === TEMPORAL_LOGICAL.zonedTimestamp[0]) {
    if (raw === 'infinity' || raw === '-infinity') return raw;
    return parseZonedTimestamp(raw);
  }
  if (logical === TEMPORAL_LOGICAL.zonedTime[0]) return parseZonedTime(raw);
  throw new DecodeError('schema-mismatch', `${logical} is not a temporal type`);
}

function integer(logical: string, raw: number | bigint | string): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  throw mismatch(logical, raw);
}

function mismatch(logical: string, raw: unknown): DecodeError {
  return new DecodeError('schema-mismatch', `${logical}: unexpected value ${JSON.stringify(String(raw)).slice(0, 60)}`);
}

const ZONED_TIMESTAMP_RE = /^([+-]?\d{4,9})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;
const ZONED_TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;

/**
 * Parses an ISO 8601 date-time with offset, as `DateTimeFormatter.ISO_OFFSET_DATE_TIME` prints it
 * (what Debezium writes for ZonedTimestamp): 0 to 9 fraction digits, offset `Z` or `±HH:MM[:SS]`,
 * years beyond 9999 or before 0000 signed.
 * @example parseZonedTimestamp('2026-01-02T03:04:05.1234+02:00').toString() === '2026-01-02T01:04:05.1234Z'
 * @throws DecodeError `schema-mismatch` when it does not parse or names an impossible date or time.
 */
export function parseZonedTimestamp(text: string): Instant {
  const m = ZONED_TIMESTAMP_RE.exec(text);
  if (!m) throw new DecodeError('schema-mismatch', `not an ISO 8601 date-time with offset: ${JSON.stringify(text.slice(0, 60))}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isValidCivil(year, month, day)) throw new DecodeError('schema-mismatch', `no such date: ${text}`);
  const clock = clockNanos(m[4]!, m[5]!, m[6], m[7], text);
  const wall = BigInt(daysFromCivil(year, month, day)) * NANOS_PER_DAY + clock;
  return new Instant(wall - BigInt(offsetSeconds(m[8]!)) * NANOS_PER_SECOND);
}

/**
 * Parses an ISO 8601 time with offset (`ISO_OFFSET_TIME`, Debezium's ZonedTime).
 * @throws DecodeError `schema-mismatch` when it does not parse.
 */
export function parseZonedTime(text: string): OffsetTime {
  const m = ZONED_TIME_RE.exec(text);
  if (!m) throw new DecodeError('schema-mismatch', `not an ISO 8601 time with offset: ${JSON.stringify(text.slice(0, 60))}`);
  return new OffsetTime(clockNanos(m[1]!, m[2]!, m[3], m[4], text), offsetSeconds(m[5]!));
}

function clockNanos(hh: string, mm: string, ss: string | undefined, fraction: string | undefined, text: string): bigint {
  const [h, mi, s] = [Number(hh), Number(mm), Number(ss ?? '0')];
  if (h > 23 || mi > 59 || s > 59) throw new DecodeError('schema-mismatch', `no such time of day: ${text}`);
  const nanos = BigInt((fraction ?? '').padEnd(9, '0'));
  return BigInt(h * 3600 + mi * 60 + s) * NANOS_PER_SECOND + nanos;
}

function offsetSeconds(text: string): number {
  if (text === 'Z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const [h, m, s] = text.slice(1).split(':').map(Number) as [number, number, number | undefined];
  return sign * (h * 3600 + m * 60 + (s ?? 0));
}

/** The LocalDate of a calendar date. @throws RangeError when the date does not exist. */
export function localDate(year: number, month: number, day: number): LocalDate {
  if (!isValidCivil(year, month, day)) throw new RangeError(`no such date: ${year}-${month}-${day}`);
  return new LocalDate(daysFromCivil(year, month, day));
}
