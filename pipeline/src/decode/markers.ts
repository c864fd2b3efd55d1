/**
 * Markers the decoder puts in a row image where the wire value is not the column's value.
 *
 * - {@link Unknown} — the column has a value, but not one that can be known: a MySQL/MariaDB zero
 *   date (`0000-00-00`, `2024-01-00`, YEAR 0000) that Debezium turned into a stand-in (epoch,
 *   1900), a PostgreSQL `infinity`/`-infinity` date or timestamp, or a sentinel the mapping
 *   declares (`markSentinels`). Treat it as null ("unknown"), never as 1970 or as a date.
 * - {@link Unchanged} — PostgreSQL did not send the column (an unchanged TOASTed value under
 *   REPLICA IDENTITY DEFAULT; Debezium writes `__debezium_unavailable_value` or its byte/array/map
 *   forms). **Contract for the merge stage:** the column keeps the value stored for that row; an
 *   update that carries `UNCHANGED` for a column must not overwrite it, and a row first seen with
 *   `UNCHANGED` in a column the mapping needs has no known value there (park or quarantine it,
 *   never store the placeholder).
 *
 * Both print as tagged JSON (`{"$unknown":"zero-date"}`, `{"$unchanged":true}`) so that a stage
 * that serializes them without looking never writes them as a plain value.
 */

/** Why a value is unknown. */
export type UnknownReason =
  /** MySQL/MariaDB zero date or zero-in-date, as Debezium's stand-in value. */
  | 'zero-date'
  /** PostgreSQL `infinity`. */
  | 'infinity'
  /** PostgreSQL `-infinity`. */
  | '-infinity'
  /** A value the mapping file declares to mean "no date" (e.g. `9999-12-31`). */
  | 'sentinel';

/** A column value that exists but is unknown; see the module comment. */
export class Unknown {
  readonly kind = 'unknown';
  /**
   * @param reason - why.
   * @param wire - the value as it arrived (e.g. `'1970-01-01T00:00:00Z'`, `1900`), for diagnostics only.
   */
  constructor(
    readonly reason: UnknownReason,
    readonly wire: string | number | bigint | null = null,
  ) {}
  toString(): string {
    return `unknown (${this.reason})`;
  }
  toJSON(): { $unknown: UnknownReason } {
    return { $unknown: this.reason };
  }
}

/** The column was not sent and keeps its stored value; see the module comment. */
export class Unchanged {
  readonly kind = 'unchanged';
  toString(): string {
    return 'unchanged';
  }
  toJSON(): { $unchanged: true } {
    return { $unchanged: true };
  }
}

/** The one {@link Unchanged} instance. */
export const UNCHANGED: Unchanged = Object.freeze(new Unchanged());

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

export function isUnchanged(value: unknown): value is Unchanged {
  return value instanceof Unchanged;
}

/** Debezium's default `unavailable.value.placeholder`. */
export const DEFAULT_UNAVAILABLE_PLACEHOLDER = '__debezium_unavailable_value';
