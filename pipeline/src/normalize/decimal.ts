/**
 * Exact decimal strings for quantities: optional '-', digits, optional '.' and digits; no exponent,
 * no leading '+', no trailing fractional zeros, and "0" for zero. Arithmetic is on scaled bigints,
 * never on JS numbers.
 */

/** A decimal as unscaled integer and scale: value = unscaled x 10^-scale. */
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

/** Formats a scaled decimal in the canonical form ("12.5", "-0.25", "0"). */
export function formatDecimal({ unscaled, scale }: ScaledDecimal): string {
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

/** Canonical form of a decimal string ("012.50" -> "12.5", "-0.0" -> "0"). @throws Error if not decimal. */
export function normalizeDecimal(text: string): string {
  return formatDecimal(parseDecimal(text));
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
  return formatDecimal(roundDecimal(parseDecimal(String(value)), scale));
}
