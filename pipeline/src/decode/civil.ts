/**
 * Proleptic Gregorian calendar arithmetic in integers (the calendar of ISO 8601, java.time and
 * Debezium's `io.debezium.time.*` types): days since 1970-01-01 ↔ year, month, day.
 *
 * Algorithms `days_from_civil` / `civil_from_days` by Howard Hinnant
 * (https://howardhinnant.github.io/date_algorithms.html), exact for every int32 day count; only
 * integer operations on safe integers, no Date object, no floating-point time.
 */

/** A calendar date: `year` may be ≤ 0 (astronomical numbering: year 0 = 1 BC), month 1–12, day 1–31. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** Days since 1970-01-01 of a calendar date (no validation of the day-of-month). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400; // [0, 399]
  const mp = (month + 9) % 12; // March = 0
  const doy = floorDiv(153 * mp + 2, 5) + day - 1; // [0, 365]
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy; // [0, 146096]
  return era * 146097 + doe - 719468;
}

/** The calendar date of a day count since 1970-01-01. */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097; // [0, 146096]
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365); // [0, 399]
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100)); // [0, 365]
  const mp = floorDiv(5 * doy + 2, 153); // [0, 11]
  const day = doy - floorDiv(153 * mp + 2, 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** True when `day` exists in that month of that year. */
export function isValidCivil(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day) || month < 1 || month > 12 || day < 1) return false;
  const c = civilFromDays(daysFromCivil(year, month, day));
  return c.year === year && c.month === month && c.day === day;
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

/**
 * ISO 8601 year: four digits for 0000–9999, else a sign and at least four digits
 * (`+10000`, `-0001`), as java.time prints it.
 */
export function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return pad(year, 4);
  return `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 4)}`;
}

/** `YYYY-MM-DD` (years outside 0000–9999 signed, see {@link formatYear}). */
export function formatCivil(c: CivilDate): string {
  return `${formatYear(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}`;
}

export const NANOS_PER_SECOND = 1_000_000_000n;
export const NANOS_PER_DAY = 86_400n * NANOS_PER_SECOND;

/** Floor division for bigints (the remainder has the sign of the divisor). */
export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * `HH:MM:SS` plus the fraction of the second with trailing zeros removed (no point when the
 * fraction is zero), from nanoseconds within a day or a longer span (hours may exceed 23).
 * @param nanos - non-negative.
 */
export function formatClock(nanos: bigint): string {
  const seconds = nanos / NANOS_PER_SECOND;
  const fraction = nanos % NANOS_PER_SECOND;
  const text = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  return fraction === 0n ? text : `${text}.${pad(fraction, 9).replace(/0+$/, '')}`;
}

/** ISO 8601 offset: `Z`, `+02:00`, `-05:30`, `+00:01:15` (seconds only when present). */
export function formatOffset(offsetSeconds: number): string {
  if (offsetSeconds === 0) return 'Z';
  const abs = Math.abs(offsetSeconds);
  const text = `${offsetSeconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}`;
  return abs % 60 === 0 ? text : `${text}:${pad(abs % 60, 2)}`;
}
