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
  return formatAtScale(unscaledFromBytes(bytes), scale);
}

const LITERAL_RE = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A JSON number literal (JsonConverter `decimal.format=NUMERIC`) → decimal string with exactly
 * `scale` fraction digits.
 * @throws DecodeError `schema-mismatch` when the literal has non-zero digits beyond `scale`.
 */
export function decimalFromLiteral(literal: string, scale: number): string {
  const m = LITERAL_RE.exec(literal);
  if (!m) throw new DecodeError('schema-mismatch', `not a decimal literal: ${literal}`);
  const fraction = m[3] ?? '';
  const exponent = Number(m[4] ?? '0');
  let unscaled = BigInt(`${m[2]}${fraction}`);
  // literal = unscaled × 10^(exponent - fraction.length); rescale to 10^-scale
  const shift = scale + exponent - fraction.length;
  if (shift >= 0) {
    unscaled *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (unscaled % divisor !== 0n) throw new DecodeError('schema-mismatch', `decimal ${literal} has more than ${scale} fraction digits`);
    unscaled /= divisor;
  }
  return formatAtScale(m[1] === '-' ? -unscaled : unscaled, scale);
}

/**
 * Reads the `scale` parameter of a Decimal schema.
 * @throws DecodeError `schema-mismatch` when it is missing or not an integer.
 */
export function decimalScale(parameters: Record<string, string> | undefined): number {
  const raw = parameters?.scale;
  const scale = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(scale)) {
    throw new DecodeError('schema-mismatch', `Decimal schema without an integer scale parameter (${JSON.stringify(raw)})`);
  }
  return scale;
}
