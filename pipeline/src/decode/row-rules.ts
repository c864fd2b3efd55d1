/**
 * Rules applied to each column of a decoded row image (`before`/`after`) once the connector is
 * known, turning Debezium's stand-in values into markers (`markers.ts`). Every rule below was
 * observed on captured records (pipeline/test/fixtures/types, Debezium 3.5.0.Final):
 *
 * Any connector — unchanged TOAST (Debezium PostgreSQL `UnchangedToastedPlaceholder`): the column
 * is {@link UNCHANGED} when its value is the placeholder (default `__debezium_unavailable_value`) as
 * - a string (text, varchar, json/jsonb, enum…);
 * - bytes equal to the placeholder's UTF-8 bytes (bytea);
 * - an array holding just the placeholder (text[], varchar[]…);
 * - an array of the placeholder's byte values as integers (int[], bigint[]…);
 * - a map `{placeholder: placeholder}` (hstore, `hstore.handling.mode=map`), or that map as JSON
 *   text (`hstore.handling.mode=json`).
 *
 * MySQL / MariaDB — zero dates (Debezium MySQL "Temporal types": "zero-values … as null values when
 * the column definition allows null values, or as the epoch day when the column does not"):
 * - ZonedTimestamp (TIMESTAMP) at exactly 1970-01-01T00:00:00Z: TIMESTAMP's range starts at
 *   00:00:01 UTC, so this instant can only be a zero TIMESTAMP (streamed zeros arrive so, nullable
 *   or not) → Unknown('zero-date');
 * - Year 1900: YEAR holds 1901–2155 or 0000, and a streamed 0000 arrives as 1900 → Unknown;
 * - a NOT NULL (non-optional) DATE / DATETIME column at the epoch (day 0, 1970-01-01T00:00) →
 *   Unknown: the zero value of a NOT NULL column without a DEFAULT.
 * Not recoverable, documented in docs/decoding.md: a zero date in a nullable DATE/DATETIME column
 * arrives as null (so does a zero-in-date such as `2024-01-00`); in a NOT NULL column with a
 * DEFAULT it arrives as that default.
 *
 * PostgreSQL — `infinity` / `-infinity` (pgjdbc's DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY
 * constants, which Debezium passes through as µs, or / 1000 for a ms-precision column): a
 * Timestamp / MicroTimestamp equal to one of them → Unknown('infinity' / '-infinity'), or a Date
 * outside PostgreSQL's date range (4713 BC – 5874897 AD: Debezium writes infinite dates as
 * arbitrary far-out day numbers, so the sign is lost) → Unknown('infinity'). ZonedTimestamp `infinity`
 * strings are handled where they are parsed (`values.ts`).
 */
import type { ConnectSchema } from './connect-schema.ts';
import type { FieldValue, Row } from './types.ts';
import { DEFAULT_UNAVAILABLE_PLACEHOLDER, UNCHANGED, Unknown } from './markers.ts';
import { Instant, LocalDate, LocalDateTime } from './temporal.ts';

/** Connectors whose zero-date rules apply. */
const MYSQL_FAMILY: ReadonlySet<string> = new Set(['mysql', 'mariadb']);

/**
 * PostgreSQL `infinity` / `-infinity` timestamps as Debezium emits them, in µs (pgjdbc's
 * `DATE_POSITIVE_INFINITY` / `DATE_NEGATIVE_INFINITY` values; a ms-precision column gets them / 1000).
 */
const PG_POSITIVE_INFINITY = 9223372036825200000n;
const PG_NEGATIVE_INFINITY = -9223372036832400000n;
/** PostgreSQL date range as days since 1970-01-01: 4714-11-24 BC … 5874897-12-31. */
const PG_MIN_EPOCH_DAY = -2440588;
const PG_MAX_EPOCH_DAY = 2145031948;

/** Units (ns) of the wire value of the timestamp types, to recover it from a LocalDateTime. */
const TIMESTAMP_UNIT: Record<string, bigint> = {
  'io.debezium.time.Timestamp': 1_000_000n,
  'org.apache.kafka.connect.data.Timestamp': 1_000_000n,
  'io.debezium.time.MicroTimestamp': 1_000n,
  'io.debezium.time.NanoTimestamp': 1n,
};

/** Options of {@link applyRowRules}. */
export interface RowRuleOptions {
  /** The connector's `unavailable.value.placeholder` (default `__debezium_unavailable_value`). */
  unavailablePlaceholder?: string;
}

/**
 * Applies the rules above to every column of a row image, in place.
 * @param row - a decoded row image.
 * @param rowSchema - its Connect struct schema, or null when the record had none (then only the
 *   TOAST string/array/map forms can be recognised).
 * @param connector - `source.connector` of the event (`mariadb`, `mysql`, `postgresql`, …).
 */
export function applyRowRules(row: Row, rowSchema: ConnectSchema | null, connector: string, options: RowRuleOptions = {}): Row {
  const placeholder = options.unavailablePlaceholder ?? DEFAULT_UNAVAILABLE_PLACEHOLDER;
  const fields = new Map(rowSchema?.fields?.map((f) => [f.name, f.schema]) ?? []);
  for (const [name, value] of Object.entries(row)) {
    if (value === null) continue;
    if (isPlaceholder(value, placeholder)) {
      row[name] = UNCHANGED;
      continue;
    }
    const schema = fields.get(name);
    if (!schema) continue;
    const marked = MYSQL_FAMILY.has(connector) ? zeroDate(value, schema) : connector === 'postgresql' ? infinity(value, schema) : null;
    if (marked) row[name] = marked;
  }
  return row;
}

/** True when `value` is one of the placeholder forms listed in the module comment. */
export function isPlaceholder(value: FieldValue, placeholder: string = DEFAULT_UNAVAILABLE_PLACEHOLDER): boolean {
  if (typeof value === 'string') return value === placeholder || value === JSON.stringify({ [placeholder]: placeholder });
  if (Buffer.isBuffer(value)) return value.equals(Buffer.from(placeholder, 'utf8'));
  if (Array.isArray(value)) {
    if (value.length === 1 && value[0] === placeholder) return true;
    const bytes = Buffer.from(placeholder, 'utf8');
    return value.length === bytes.length && value.every((v, i) => v === bytes[i] || v === BigInt(bytes[i]!));
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    return keys.length === 1 && keys[0] === placeholder && (value as Record<string, FieldValue>)[placeholder] === placeholder;
  }
  return false;
}

function zeroDate(value: FieldValue, schema: ConnectSchema): Unknown | null {
  if (value instanceof Instant && value.epochNanos === 0n && schema.name === 'io.debezium.time.ZonedTimestamp') {
    return new Unknown('zero-date', '1970-01-01T00:00:00Z');
  }
  if (value === 1900 && schema.name === 'io.debezium.time.Year') return new Unknown('zero-date', 1900);
  if (!schema.optional) {
    if (value instanceof LocalDate && value.epochDay === 0) return new Unknown('zero-date', 0);
    if (value instanceof LocalDateTime && value.wallNanos === 0n) return new Unknown('zero-date', 0);
  }
  return null;
}

function infinity(value: FieldValue, schema: ConnectSchema): Unknown | null {
  if (value instanceof LocalDateTime && schema.name !== undefined && TIMESTAMP_UNIT[schema.name] !== undefined) {
    // Debezium writes infinity as the pgjdbc constant in µs, divided down for ms precision.
    if (value.wallNanos % 1_000n !== 0n) return null;
    const micros = value.wallNanos / 1_000n;
    if (micros === PG_POSITIVE_INFINITY) return new Unknown('infinity', wireValue(value, schema.name));
    if (micros === PG_NEGATIVE_INFINITY) return new Unknown('-infinity', wireValue(value, schema.name));
  }
  if (value instanceof LocalDate && (value.epochDay < PG_MIN_EPOCH_DAY || value.epochDay > PG_MAX_EPOCH_DAY)) {
    return new Unknown('infinity', value.epochDay);
  }
  return null;
}

function wireValue(value: LocalDateTime, logical: string): bigint {
  return value.wallNanos / TIMESTAMP_UNIT[logical]!;
}

/**
 * Marks the values a mapping declares to mean "no value" (sentinel dates such as `9999-12-31` or
 * `1900-01-01`) as Unknown('sentinel'). A value matches when its ISO text (`String(value)`) equals
 * one of the column's sentinels. Pure: returns a new row.
 * @param sentinels - column name → ISO texts, e.g. `{ valid_to: ['9999-12-31'] }`.
 */
export function markSentinels(row: Row, sentinels: Record<string, string[]>): Row {
  const out: Row = { ...row };
  for (const [column, texts] of Object.entries(sentinels)) {
    const value = out[column];
    if (value === null || value === undefined || value instanceof Unknown) continue;
    const text = String(value);
    if (texts.includes(text)) out[column] = new Unknown('sentinel', text);
  }
  return out;
}
