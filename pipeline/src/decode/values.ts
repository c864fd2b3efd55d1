/**
 * Converts a raw decoded datum to exact {@link FieldValue}s, guided by its Kafka Connect schema.
 *
 * The raw datum comes either from avsc (`wire = 'avro'`: int64 as `bigint`, bytes as `Buffer`,
 * records as objects) or from the lossless JSON parser (`wire = 'json'`: numbers as
 * {@link JsonNumber}, bytes as base64 strings, as Kafka's JsonConverter writes them). The result
 * is the same for both; the rules are in {@link FieldValue}'s table.
 */
import { LOGICAL, type ConnectSchema } from './connect-schema.ts';
import { checkedUnscaledBytes, decimalAtScale, decimalFromBytes, decimalFromLiteral, decimalScale, unscaledFromBytes } from './decimal.ts';
import type { FieldValue } from './types.ts';
import { DecodeError } from './errors.ts';
import { JsonNumber, setOwn, type JsonValue } from './lossless-json.ts';
import { DEFAULT_UNAVAILABLE_PLACEHOLDER, UNCHANGED, Unknown } from './markers.ts';
import { isTemporalLogical, temporalFromWire } from './temporal.ts';

/** A decoded key or value with the Connect schema it was written with (null: schemaless JSON). */
export interface DecodedDatum {
  datum: FieldValue;
  schema: ConnectSchema | null;
}

/** Which decoder produced the raw datum. */
export type Wire = 'avro' | 'json';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** An int64 as `number` when it is a safe integer (|n| ≤ 2^53 − 1), else as `bigint`. */
export function int64Value(n: bigint): number | bigint {
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

/** Options of {@link convertValue}. */
export interface ConvertOptions {
  /**
   * The connector's `unavailable.value.placeholder` as bytes (default Debezium's,
   * `__debezium_unavailable_value`): a Decimal whose bytes are exactly these is {@link UNCHANGED}.
   */
  placeholder?: Buffer;
}

const DEFAULT_PLACEHOLDER_BYTES = Buffer.from(DEFAULT_UNAVAILABLE_PLACEHOLDER, 'utf8');

/**
 * Converts `raw` according to `schema`.
 * @throws DecodeError `schema-mismatch` naming the field path when a value does not fit its schema.
 */
export function convertValue(schema: ConnectSchema, raw: unknown, wire: Wire, options: ConvertOptions = {}): FieldValue {
  if (raw === null || raw === undefined) return null;
  if (schema.name === LOGICAL.decimal) return decimal(schema, raw, wire, options);
  if (schema.name === LOGICAL.variableScaleDecimal && schema.type === 'struct') return variableScaleDecimal(raw, wire);
  if (isTemporalLogical(schema.name) && schema.type !== 'struct') return temporal(schema, raw, wire);
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      return isDeclaredBoolean(schema) ? int32(raw, wire) !== 0 : unsignedChecked(schema, int32(raw, wire));
    case 'int64':
      return int64Value(unsignedChecked(schema, int64(raw, wire)));
    case 'float32':
      return shortestFloat32(float(raw, wire));
    case 'float64':
      return float(raw, wire);
    case 'boolean':
      if (typeof raw !== 'boolean') mismatch('boolean', raw);
      return raw;
    case 'string':
      if (typeof raw !== 'string') mismatch('string', raw);
      return raw;
    case 'bytes':
      return bytes(raw, wire);
    case 'array': {
      if (!Array.isArray(raw)) mismatch('array', raw);
      const items = schema.items!;
      return raw.map((item, i) => within(`[${i}]`, () => convertValue(items, item, wire, options)));
    }
    case 'map':
      return map(schema, raw, wire, options);
    case 'struct':
      return struct(schema, raw, wire, options);
  }
}

/**
 * Converts a JSON payload that came without a schema (`schemas.enable=false`): integers become
 * `number` or `bigint` by size, other numbers `number`; strings, booleans, null, arrays and
 * objects stay as they are (bytes and decimals therefore stay in their base64/struct form).
 */
export function convertSchemaless(raw: JsonValue): FieldValue {
  if (raw instanceof JsonNumber) return raw.isInteger ? int64Value(BigInt(raw.text)) : Number(raw.text);
  if (raw === null || typeof raw !== 'object') return raw;
  if (Array.isArray(raw)) return raw.map(convertSchemaless);
  const out: { [k: string]: FieldValue } = {};
  for (const [k, v] of Object.entries(raw)) setOwn(out, k, convertSchemaless(v));
  return out;
}

function struct(schema: ConnectSchema, raw: unknown, wire: Wire, options: ConvertOptions): { [k: string]: FieldValue } {
  if (typeof raw !== 'object' || Array.isArray(raw) || Buffer.isBuffer(raw) || raw instanceof JsonNumber) mismatch('struct', raw);
  const source = raw as Record<string, unknown>;
  const out: { [k: string]: FieldValue } = {};
  for (const field of schema.fields ?? []) {
    let value: FieldValue;
    try {
      value = convertValue(field.schema, source[field.name], wire, options);
    } catch (err) {
      rethrowWithin(field.name, err);
    }
    setOwn(out, field.name, value);
  }
  return out;
}

function map(schema: ConnectSchema, raw: unknown, wire: Wire, options: ConvertOptions): { [k: string]: FieldValue } {
  const out: { [k: string]: FieldValue } = {};
  const values = schema.values!;
  if (Array.isArray(raw)) {
    // JsonConverter writes a map with non-string keys as an array of [key, value] pairs.
    for (const pair of raw) {
      if (!Array.isArray(pair) || pair.length !== 2) mismatch('[key, value] pair', pair);
      const key = String(convertValue(schema.keys!, pair[0], wire, options));
      setOwn(
        out,
        key,
        within(key, () => convertValue(values, pair[1], wire, options)),
      );
    }
    return out;
  }
  if (typeof raw !== 'object' || raw === null || Buffer.isBuffer(raw) || raw instanceof JsonNumber) mismatch('map', raw);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>))
    setOwn(
      out,
      k,
      within(k, () => convertValue(values, v, wire, options)),
    );
  return out;
}

/**
 * A temporal logical type → its value class (`temporal.ts`); a ZonedTimestamp `infinity` /
 * `-infinity` (PostgreSQL) → {@link Unknown}.
 */
function temporal(schema: ConnectSchema, raw: unknown, wire: Wire): FieldValue {
  let primitive: number | bigint | string;
  if (schema.type === 'string') {
    if (typeof raw !== 'string') mismatch('string', raw);
    primitive = raw;
  } else if (schema.type === 'int64') {
    primitive = int64(raw, wire);
  } else {
    primitive = int32(raw, wire);
  }
  const value = temporalFromWire(schema.name!, primitive);
  return typeof value === 'string' ? new Unknown(value, primitive) : value;
}

/** Source column types that are booleans when their length is 1 (MySQL/MariaDB `TINYINT(1)`, `BIT(1)`, `BOOLEAN`). */
const BOOLEAN_SOURCE_TYPES: ReadonlySet<string> = new Set(['TINYINT', 'BIT', 'BOOL', 'BOOLEAN']);

/**
 * True when an integer column is a boolean at the source: the connector propagated the source type
 * (`column.propagate.source.type` / `datatype.propagate.source.type`, schema parameters
 * `__debezium.source.column.type` and `__debezium.source.column.length`) and it is `TINYINT(1)` or
 * `BIT(1)`. Without that propagation a TINYINT(1) is indistinguishable from any small integer; see
 * {@link toBoolean} for columns the mapping declares boolean.
 */
export function isDeclaredBoolean(schema: ConnectSchema): boolean {
  const type = schema.parameters?.['__debezium.source.column.type']?.toUpperCase();
  return type !== undefined && BOOLEAN_SOURCE_TYPES.has(type) && schema.parameters?.['__debezium.source.column.length'] === '1';
}

/**
 * True when the connector propagated the source column type (`column.propagate.source.type`,
 * schema parameter `__debezium.source.column.type`, e.g. `BIGINT UNSIGNED`) and it is unsigned.
 */
export function isDeclaredUnsigned(schema: ConnectSchema): boolean {
  return /\bUNSIGNED\b/i.test(schema.parameters?.['__debezium.source.column.type'] ?? '');
}

/**
 * An integer of a column known to be unsigned must not be negative. It is, when a MySQL/MariaDB
 * `BIGINT UNSIGNED` above 2^63 − 1 arrives under `bigint.unsigned.handling.mode=long`: Debezium
 * writes the 64 bits as a signed long (18446744073709551615 → -1). Such a value is never used.
 * @throws DecodeError `unsigned-overflow`.
 */
function unsignedChecked<T extends number | bigint>(schema: ConnectSchema, value: T): T {
  if (value < 0 && isDeclaredUnsigned(schema)) {
    throw new DecodeError(
      'unsigned-overflow',
      `${value} in a ${schema.parameters!['__debezium.source.column.type']} column: an unsigned value above ${2n ** 63n - 1n} that the connector wrote as a signed long (bigint.unsigned.handling.mode=long)`,
    );
  }
  return value;
}

/**
 * A MySQL/MariaDB boolean column's value as a boolean, whatever form it arrived in: a boolean
 * (BIT(1), or TINYINT(1) through a boolean converter), or an integer (TINYINT(1) as the connector
 * writes it, in snapshot and streaming events alike) where **any nonzero value is true** (MySQL
 * stores `BOOLEAN` as TINYINT(1), which holds -128..127).
 * @returns null for null; throws TypeError for a value of another type.
 */
export function toBoolean(value: FieldValue | undefined): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  throw new TypeError(`not a boolean or integer: ${String(value)}`);
}

/**
 * The float64 that prints as the shortest decimal identifying a float32 (`0.1f` → `0.1`, not
 * `0.10000000149011612`), so a FLOAT/REAL column decodes to the same number from Avro (which
 * carries the float32 bits) and from JSON (where the converter printed the float32 shortest).
 * NaN and ±Infinity pass through.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const f = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

function int32(raw: unknown, wire: Wire): number {
  if (wire === 'json' && raw instanceof JsonNumber && raw.isInteger) {
    const n = Number(raw.text);
    if (Number.isSafeInteger(n)) return n;
  } else if (typeof raw === 'number' && Number.isInteger(raw)) {
    return raw;
  }
  return mismatch('integer', raw);
}

function int64(raw: unknown, wire: Wire): bigint {
  if (typeof raw === 'bigint') return raw;
  if (wire === 'json' && raw instanceof JsonNumber && raw.isInteger) return BigInt(raw.text);
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  return mismatch('int64', raw);
}

function float(raw: unknown, wire: Wire): number {
  if (typeof raw === 'number') return raw;
  if (wire === 'json' && raw instanceof JsonNumber) return Number(raw.text);
  // JsonConverter has no literal for these; some producers write them as strings.
  if (wire === 'json' && (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity')) return Number(raw);
  return mismatch('float', raw);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytes(raw: unknown, wire: Wire): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (wire === 'json' && typeof raw === 'string') {
    if (!BASE64_RE.test(raw)) mismatch('base64 bytes', raw);
    return Buffer.from(raw, 'base64');
  }
  return mismatch('bytes', raw);
}

function decimal(schema: ConnectSchema, raw: unknown, wire: Wire, options: ConvertOptions): FieldValue {
  const scale = decimalScale(schema.parameters);
  if (wire === 'json' && raw instanceof JsonNumber) return decimalFromLiteral(raw.text, scale);
  const unscaled = bytes(raw, wire);
  // Debezium writes an unchanged TOASTed NUMERIC(p,s) (a Decimal: bytes) as the placeholder's
  // bytes; read as a number they would be a 67-digit quantity.
  if (unscaled.equals(options.placeholder ?? DEFAULT_PLACEHOLDER_BYTES)) return UNCHANGED;
  return decimalFromBytes(unscaled, scale);
}

function variableScaleDecimal(raw: unknown, wire: Wire): string {
  if (typeof raw !== 'object' || Array.isArray(raw) || Buffer.isBuffer(raw) || raw instanceof JsonNumber) {
    mismatch('VariableScaleDecimal {scale, value}', raw);
  }
  const { scale, value } = raw as { scale?: unknown; value?: unknown };
  const unscaled = unscaledFromBytes(within('value', () => checkedUnscaledBytes(bytes(value, wire))));
  return decimalAtScale(
    unscaled,
    within('scale', () => int32(scale, wire)),
  );
}

/** Runs `fn`, prefixing the path of a DecodeError it throws with `segment`. */
function within<T>(segment: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return rethrowWithin(segment, err);
  }
}

/**
 * Rethrows `err`; a DecodeError (a value that does not fit its schema or its range) gets `segment`
 * prepended to its field path, in the message (`at after.quantity: …`) and in `field`.
 */
function rethrowWithin(segment: string, err: unknown): never {
  if (err instanceof DecodeError) {
    const sep = err.field === undefined || err.field.startsWith('[') ? '' : '.';
    const field = `${segment}${sep}${err.field ?? ''}`;
    const detail = err.field === undefined ? err.message : err.message.slice(`at ${err.field}: `.length);
    throw new DecodeError(err.reason, `at ${field}: ${detail}`, { cause: err.cause, field });
  }
  throw err;
}

function mismatch(expected: string, raw: unknown): never {
  const got =
    raw instanceof JsonNumber
      ? `number ${raw.text}`
      : Buffer.isBuffer(raw)
        ? 'bytes'
        : Array.isArray(raw)
          ? 'array'
          : typeof raw === 'string'
            ? `string ${JSON.stringify(raw.slice(0, 40))}`
            : typeof raw;
  throw new DecodeError('schema-mismatch', `expected ${expected}, got ${got}`);
}
