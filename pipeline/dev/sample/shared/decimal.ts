/**
 * Exact decimal strings as the sample code exchanges them: quantities leave the databases as text
 * (Postgres NUMERIC, MariaDB DECIMAL) and are compared as text, never through binary floats.
 *
 * The product's decimal module (pipeline/src/decimal/) is deliberately not used here: this code is
 * part of the sample oracle, and an independent oracle must not share the code it checks.
 */

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * Canonical form of a decimal string: no leading `+`, no redundant leading zeros, no trailing zeros
 * after the point, no dangling point, and `-0` written `0`.
 *
 * @param value - a plain decimal literal such as `"-012.500"` (no exponent).
 * @returns e.g. `"-12.5"`; `"0.000"` gives `"0"`.
 * @throws Error when `value` is not a plain decimal literal.
 */
export function normalizeDecimal(value: string): string {
  const m = DECIMAL_RE.exec(value.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal literal: ${JSON.stringify(value)}`);
  const intPart = (m[2] as string).replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const body = frac ? `${intPart}.${frac}` : intPart;
  return m[1] === '-' && body !== '0' ? `-${body}` : body;
}

/** @returns the normalised negation of a decimal string, e.g. `"2.5"` gives `"-2.5"`. */
export function negateDecimal(value: string): string {
  const n = normalizeDecimal(value);
  if (n === '0') return n;
  return n.startsWith('-') ? n.slice(1) : `-${n}`;
}

/**
 * Formats a POS DOUBLE quantity the way the oracle reports it: rounded to 6 decimals, then
 * normalised with {@link normalizeDecimal}.
 *
 * @param units - a finite number of units (|units| < 1e21).
 * @returns e.g. `0.1 + 0.2` gives `"0.3"`.
 */
export function formatUnits(units: number): string {
  if (!Number.isFinite(units)) throw new Error(`not a finite quantity: ${units}`);
  return normalizeDecimal(units.toFixed(6));
}
