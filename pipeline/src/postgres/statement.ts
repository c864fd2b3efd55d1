/**
 * Building one parameterized statement from parts written in separate modules (e.g. the CTEs of a
 * `WITH … SELECT`), each adding its values without knowing the others' parameter numbers.
 */

import { arrayParameter } from './array-literal.ts';

/** The parameters of one statement under construction. */
export class StatementParams {
  /** The values, in parameter order ($1 is `values[0]`). */
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder, cast when `cast` is given: `$3` or `$3::text[]`. */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }

  /**
   * Adds one array parameter per column of `rows` and returns their placeholders, comma-separated,
   * for `unnest(…)`: `columns(rows, [['text', (r) => r.sku], ['numeric', (r) => r.on_hand]])` gives
   * `$1::text[], $2::numeric[]` (one statement for any number of rows).
   */
  columns<T>(rows: readonly T[], columns: ReadonlyArray<readonly [elementType: string, pick: (row: T) => unknown]>): string {
    return columns.map(([elementType, pick]) => this.add(arrayParameter(rows.map(pick)), `${elementType}[]`)).join(', ');
  }
}
