/**
 * Exact decimals for the whole product — quantities are never put through a JS number. A decimal is
 * a `ScaledDecimal` (unscaled bigint and scale) while computed with, and a decimal string when
 * stored or exchanged. Two string forms:
 *
 * - normalized (`formatNormalized`, `normalizeDecimal`): optional '-', digits, optional '.' and
 *   digits; no exponent, no leading '+', no trailing fractional zeros, and "0" for zero. The form
 *   of every quantity after normalize (`"12.5"`, `"-0.25"`, `"0"`), so equal values are equal text.
 * - at scale (`formatAtScale`): exactly `scale` digits after the point, the scale a source column
 *   had (`NUMERIC '1.50'` → `"1.50"`); what decode hands on from Debezium's decimal encodings.
 */

/** A decimal as unscaled integer and scale: value = unscaled × 10^-scale. */
export interface ScaledDecimal {
  unscaled: bigint;
  scale: number;
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string (exponent allowed, as JS prints small and large doubles: "1e-7").
 * @throws Error when the text is not a decimal number.
 */
export function parseDecimal(text: string): ScaledDecimal {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new Error(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let unscaled = BigInt(whole! + fraction);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    unscaled *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { unscaled: sign === '-' ? -unscaled : unscaled, scale };
}

/** Formats a scaled decimal in the normalized form ("12.5", "-0.25", "0"). */
export function formatNormalized({ unscaled, scale }: ScaledDecimal): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = fraction ? `${whole}.${fraction}` : whole;
  }
  if (digits === '0') return '0';
  return negative ? `-${digits}` : digits;
}

/**
 * Formats `unscaled × 10^-scale` with exactly `scale` fraction digits, keeping the sign. Scale 0 has
 * no point; a negative scale appends zeros.
 * @example formatAtScale(-12340n, 3) === '-12.340'; formatAtScale(5n, 3) === '0.005'; formatAtScale(12n, -2) === '1200'
 * @throws RangeError when `scale` is not an integer.
 */
export function formatAtScale(unscaled: bigint, scale: number): string {
  if (!Number.isInteger(scale)) throw new RangeError(`decimal scale ${scale} is not an integer`);
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) {
    if (digits !== '0') digits += '0'.repeat(-scale);
  } else {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** Normalized form of a decimal string ("012.50" -> "12.5", "-0.0" -> "0"). @throws Error if not decimal. */
export function normalizeDecimal(text: string): string {
  return formatNormalized(parseDecimal(text));
}

/**
 * Rounds a decimal to `scale` fractional digits, half away from zero (2.9999999 at scale 6 -> "3";
 * -0.0000005 -> "-0.000001").
 */
export function roundDecimal(value: ScaledDecimal, scale: number): ScaledDecimal {
  if (value.scale <= scale) return value;
  const divisor = 10n ** BigInt(value.scale - scale);
  const negative = value.unscaled < 0n;
  const magnitude = negative ? -value.unscaled : value.unscaled;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) quotient += 1n;
  return { unscaled: negative ? -quotient : quotient, scale };
}

/**
 * The documented rule for floating-point (DOUBLE/FLOAT) quantity columns: take the shortest decimal
 * that reads back as the same double (JS `String(number)`, the round-trip representation), then round
 * it half away from zero to `scale` digits. So 2.9999999 -> "3" and 0.1 + 0.2 -> "0.3" at scale 6.
 * @throws Error for NaN or infinities.
 */
export function roundDouble(value: number, scale: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return formatNormalized(roundDecimal(parseDecimal(String(value)), scale));
}

/** The unscaled value of `a` at a scale >= its own. */
const align = (a: ScaledDecimal, scale: number): bigint => a.unscaled * 10n ** BigInt(scale - a.scale);

/** a + b, at the larger of their scales. */
export function addDecimal(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { unscaled: align(a, scale) + align(b, scale), scale };
}

/** a − b, at the larger of their scales. */
export function subtractDecimal(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { unscaled: align(a, scale) - align(b, scale), scale };
}

/** a × b, at the sum of their scales. */
export function multiplyDecimal(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  return { unscaled: a.unscaled * b.unscaled, scale: a.scale + b.scale };
}

/** The smaller of a and b (a when equal), as given. */
export function minDecimal(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  const scale = Math.max(a.scale, b.scale);
  return align(a, scale) <= align(b, scale) ? a : b;
}

/** Largest integer <= a. */
export function floorDecimal(a: ScaledDecimal): bigint {
  const divisor = 10n ** BigInt(a.scale);
  const q = a.unscaled / divisor; // truncates toward zero
  return a.unscaled < 0n && q * divisor !== a.unscaled ? q - 1n : q;
}
