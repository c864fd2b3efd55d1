/**
 * Exact decimals from Debezium's two decimal encodings (`decimal.handling.mode=precise`), as
 * exact decimal strings at the source's scale — never through a JS number.
 *
 * - `org.apache.kafka.connect.data.Decimal`: the unscaled value as big-endian two's-complement
 *   bytes (Java `BigInteger.toByteArray()`), the scale in the schema parameter `scale`
 *   (Kafka Connect `Decimal` javadoc). Avro carries the bytes as `bytes` with
 *   `logicalType: decimal` (Avro spec, "Decimal"); JSON as a base64 string (JsonConverter
 *   `decimal.format=BASE64`, the default) or a JSON number (`decimal.format=NUMERIC`).
 * - `io.debezium.data.VariableScaleDecimal`: a struct `{scale: int32, value: bytes}` with the same
 *   byte encoding, used for PostgreSQL NUMERIC without precision/scale (Debezium PostgreSQL
 *   connector docs, "Decimal types").
 *
 * Form chosen here: `formatAtScale` (decimal/decimal.ts) — plain notation, `-` for negatives, and
 * exactly `scale` digits after the point, the scale the source had (`NUMERIC '1.50'` → `'1.50'`,
 * unscaled 0 scale 2 → `'0.00'`). Scale 0 has no point; a negative scale appends zeros (unscaled 12
 * scale -2 → `'1200'`). Normalize drops trailing zeros (`normalizeDecimal`) where equality by value
 * is meant.
 */
import { formatAtScale } from '../decimal/index.ts';
import { DecodeError } from './errors.ts';

/**
 * The largest decimal PostgreSQL's `numeric` holds, the widest decimal type of any source
 * (PostgreSQL docs, "Arbitrary Precision Numbers": up to 131072 digits before the decimal point,
 * up to 16383 after). MariaDB/MySQL DECIMAL (at most 65 digits, scale at most 30) fits well inside.
 * A decimal beyond these was not written by a source database: decode rejects it (reason
 * `decimal-out-of-range`) instead of building a string of millions of digits or failing inside
 * `String.prototype.repeat` (a scale of 2^31).
 */
export const DECIMAL_LIMITS = { integerDigits: 131072, fractionDigits: 16383 } as const;

/** Unscaled bytes past this length hold more digits than {@link DECIMAL_LIMITS} allows at any scale. */
const MAX_UNSCALED_BYTES = Math.ceil(((DECIMAL_LIMITS.integerDigits + DECIMAL_LIMITS.fractionDigits) * Math.log2(10)) / 8) + 1;

function outOfRange(message: string): never {
  throw new DecodeError(
    'decimal-out-of-range',
    `${message} (PostgreSQL numeric holds at most ${DECIMAL_LIMITS.integerDigits} digits before the point and ${DECIMAL_LIMITS.fractionDigits} after)`,
  );
}

/**
 * Checks a decimal scale against {@link DECIMAL_LIMITS}: at most 16383 fraction digits, and a
 * negative scale (trailing zeros) of at most 131072 digits.
 * @throws DecodeError `decimal-out-of-range`.
 */
export function checkDecimalScale(scale: number): number {
  if (scale > DECIMAL_LIMITS.fractionDigits || scale < -DECIMAL_LIMITS.integerDigits) outOfRange(`decimal scale ${scale}`);
  return scale;
}

/**
 * `unscaled × 10^-scale` with exactly `scale` fraction digits (`formatAtScale`), once checked
 * against {@link DECIMAL_LIMITS}.
 * @throws DecodeError `decimal-out-of-range` for a scale or an integer part beyond the limits.
 */
export function decimalAtScale(unscaled: bigint, scale: number): string {
  checkDecimalScale(scale);
  if (unscaled !== 0n) {
    const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length;
    if (digits - scale > DECIMAL_LIMITS.integerDigits) outOfRange(`decimal of ${digits - scale} digits before the point`);
  }
  return formatAtScale(unscaled, scale);
}

/**
 * Unscaled big-endian two's-complement bytes → bigint. Empty bytes are 0.
 * @example unscaledFromBytes(Buffer.from([0xfb])) === -5n
 */
export function unscaledFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let n = BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
  if (bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

/**
 * Connect Decimal bytes → decimal string.
 * @param scale - the schema's `scale` parameter.
 */
export function decimalFromBytes(bytes: Uint8Array, scale: number): string {
  return decimalAtScale(unscaledFromBytes(checkedUnscaledBytes(bytes)), scale);
}

/**
 * The unscaled bytes of a decimal, unless they are too long for any decimal within
 * {@link DECIMAL_LIMITS} (checked before they are turned into a bigint and printed).
 * @throws DecodeError `decimal-out-of-range`.
 */
export function checkedUnscaledBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_UNSCALED_BYTES) outOfRange(`decimal of ${bytes.length} unscaled bytes`);
  return bytes;
}

const LITERAL_RE = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A JSON number literal (JsonConverter `decimal.format=NUMERIC`) → decimal string with exactly
 * `scale` fraction digits.
 * @throws DecodeError `schema-mismatch` when the literal has non-zero digits beyond `scale`;
 *   `decimal-out-of-range` when the scale or the value is beyond {@link DECIMAL_LIMITS}.
 */
export function decimalFromLiteral(literal: string, scale: number): string {
  checkDecimalScale(scale);
  const m = LITERAL_RE.exec(literal);
  if (!m) throw new DecodeError('schema-mismatch', `not a decimal literal: ${literal}`);
  const fraction = m[3] ?? '';
  const digits = `${m[2]}${fraction}`.replace(/^0+/, '');
  if (digits === '') return formatAtScale(0n, scale);
  const exponent = Number(m[4] ?? '0');
  // literal = unscaled × 10^(exponent - fraction.length); rescale to 10^-scale
  const shift = scale + exponent - fraction.length;
  // Digits before the point: the significant digits moved by the exponent (checked before any
  // power of ten is built, so an exponent like 1e2147483647 costs nothing).
  if (digits.length + exponent - fraction.length > DECIMAL_LIMITS.integerDigits) outOfRange(`decimal ${literal.slice(0, 40)}`);
  let unscaled = BigInt(digits);
  if (shift >= 0) {
    unscaled *= 10n ** BigInt(shift);
  } else {
    // More fraction digits than the scale: exact only if they are zeros, which needs -shift < digits.
    if (-shift >= digits.length) throw new DecodeError('schema-mismatch', `decimal ${literal.slice(0, 40)} has more than ${scale} fraction digits`);
    const divisor = 10n ** BigInt(-shift);
    if (unscaled % divisor !== 0n) throw new DecodeError('schema-mismatch', `decimal ${literal.slice(0, 40)} has more than ${scale} fraction digits`);
    unscaled /= divisor;
  }
  return decimalAtScale(m[1] === '-' ? -unscaled : unscaled, scale);
}

/**
 * Reads the `scale` parameter of a Decimal schema.
 * @throws DecodeError `schema-mismatch` when it is missing or not an integer; `decimal-out-of-range`
 *   when it is beyond {@link DECIMAL_LIMITS} (e.g. `"2147483647"`).
 */
export function decimalScale(parameters: Record<string, string> | undefined): number {
  const raw = parameters?.scale;
  const scale = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(scale)) {
    throw new DecodeError('schema-mismatch', `Decimal schema without an integer scale parameter (${JSON.stringify(raw)})`);
  }
  return checkDecimalScale(scale);
}
