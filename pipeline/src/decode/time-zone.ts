/**
 * Wall time ↔ instant in a named IANA time zone, for DATETIME / TIMESTAMP WITHOUT TIME ZONE
 * columns, whose zone only the source's mapping file knows.
 *
 * The zone rules come from the runtime's ICU data through `Intl.DateTimeFormat` (the only part
 * used: the wall-clock fields of a whole-second instant); everything else is integer arithmetic
 * on bigint nanoseconds, so sub-millisecond digits are never lost.
 *
 * Disambiguation follows java.time's `LocalDateTime.atZone` (= Temporal's `'compatible'`), which is
 * how a Java application writing the source would have meant the wall time:
 * - a wall time that occurs twice (clocks turned back) is the **earlier** instant;
 * - a wall time that never occurs (clocks turned forward) is moved **later by the gap's length**
 *   (Europe/Berlin 2026-03-29T02:30 → 2026-03-29T01:30Z, i.e. 03:30+02:00).
 * Other choices: `'earlier'`, `'later'` (for both cases, like Temporal), `'reject'` (throw).
 */
import { daysFromCivil, floorDivBig, NANOS_PER_SECOND } from './civil.ts';
import { Instant, LocalDateTime } from './temporal.ts';

/** How a wall time that occurs twice or never is resolved; see the module comment. */
export type Disambiguation = 'compatible' | 'earlier' | 'later' | 'reject';

/** Thrown for an unknown zone name, or by `'reject'` for an ambiguous or skipped wall time. */
export class TimeZoneError extends Error {}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (err) {
      throw new TimeZoneError(`unknown time zone ${JSON.stringify(zone)} (expected an IANA name such as Europe/Berlin)`, { cause: err });
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Earliest and latest epoch seconds a JS Date (and so Intl) can format. */
const MAX_EPOCH_SECONDS = 8_640_000_000_000n;

/**
 * UTC offset of `zone` at an instant, in seconds (east positive: Europe/Berlin in summer → 7200).
 * @throws TimeZoneError for an unknown zone; RangeError beyond ±275 000 years.
 */
export function zoneOffsetSeconds(zone: string, epochSeconds: bigint): number {
  if (epochSeconds > MAX_EPOCH_SECONDS || epochSeconds < -MAX_EPOCH_SECONDS) throw new RangeError(`instant out of range: ${epochSeconds} s`);
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(Number(epochSeconds) * 1000))) parts[p.type] = p.value;
  const yearOfEra = Number(parts.year);
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - yearOfEra : yearOfEra;
  const wall =
    BigInt(daysFromCivil(year, Number(parts.month), Number(parts.day))) * 86_400n +
    BigInt(Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second));
  return Number(wall - epochSeconds);
}

/**
 * The instant a wall time denotes in `zone`.
 * @param local - the wall time (e.g. a decoded DATETIME column).
 * @param zone - IANA zone name from the mapping file, e.g. `Europe/Berlin`.
 * @example localDateTimeToInstant(dt('2026-10-25T02:30'), 'Europe/Berlin').toString() === '2026-10-25T00:30:00Z' // earlier of two
 * @throws TimeZoneError for an unknown zone, or with `'reject'` when the wall time is ambiguous or skipped.
 */
export function localDateTimeToInstant(local: LocalDateTime, zone: string, disambiguation: Disambiguation = 'compatible'): Instant {
  const wallSeconds = floorDivBig(local.wallNanos, NANOS_PER_SECOND);
  const nanos = local.wallNanos - wallSeconds * NANOS_PER_SECOND;
  // Offsets a day either side cover every transition that can affect this wall time.
  const before = zoneOffsetSeconds(zone, wallSeconds - 86_400n);
  const after = zoneOffsetSeconds(zone, wallSeconds + 86_400n);
  const candidates = [...new Set([before, after])]
    .map((offset) => wallSeconds - BigInt(offset))
    .filter((t) => t + BigInt(zoneOffsetSeconds(zone, t)) === wallSeconds)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let seconds: bigint;
  if (candidates.length === 1) {
    seconds = candidates[0]!;
  } else if (candidates.length > 1) {
    if (disambiguation === 'reject') throw new TimeZoneError(`${local.toString()} occurs twice in ${zone}`);
    seconds = disambiguation === 'later' ? candidates[candidates.length - 1]! : candidates[0]!;
  } else {
    if (disambiguation === 'reject') throw new TimeZoneError(`${local.toString()} does not exist in ${zone} (clocks turned forward)`);
    // In a gap: 'compatible'/'later' shift forward by the gap (use the offset from before it);
    // 'earlier' shifts back by it (use the offset after it).
    seconds = wallSeconds - BigInt(disambiguation === 'earlier' ? after : before);
  }
  return new Instant(seconds * NANOS_PER_SECOND + nanos);
}

/**
 * The wall time of an instant in `zone`.
 * @throws TimeZoneError for an unknown zone.
 */
export function instantToLocalDateTime(instant: Instant, zone: string): LocalDateTime {
  const seconds = floorDivBig(instant.epochNanos, NANOS_PER_SECOND);
  return new LocalDateTime(instant.epochNanos + BigInt(zoneOffsetSeconds(zone, seconds)) * NANOS_PER_SECOND);
}
