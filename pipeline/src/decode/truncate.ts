/**
 * The per-table policy for truncate events (`op = t`), a pure decision the normalize stage applies.
 *
 * A truncate event (Debezium "truncate events": MariaDB/MySQL on `TRUNCATE TABLE`, PostgreSQL via
 * pgoutput; captured only when `skipped.operations` does not contain `t`) has no key, no `before`
 * and no `after` — only `source` (table and position). Because its key is null, Kafka may put it on
 * any partition of the table's topic, so it is **not ordered** against the row changes of that
 * table on other partitions: changes made after the TRUNCATE may be consumed before it, and changes
 * made before it may be consumed after it.
 *
 * Policies (mapping key `on_truncate` of a level or dimension table; see docs/decoding.md):
 * - `quarantine` (default): dead-letter the event (reason `truncate`) and change nothing — an
 *   operator decides (`stocksync dlq list`), then replays it once a policy is configured.
 * - `ignore`: skip it (count it). For tables that are truncated and reloaded, where the reload's
 *   inserts carry the new truth.
 * - `delete-rows`: every stored row of this source and table whose recorded source position is
 *   **before** the truncate's position is deleted (a level row then contributes nothing to stock);
 *   rows whose position is after it were written after the TRUNCATE and stay. This is the only
 *   reading that is correct whatever the partition interleaving.
 */
import type { DeadLetterReason } from '../dead-letter/index.ts';

/** The configured policy of a table. */
export type TruncatePolicy = 'quarantine' | 'ignore' | 'delete-rows';

/** Every policy, for validation (mapping JSON Schema `enum`). */
export const TRUNCATE_POLICIES: readonly TruncatePolicy[] = ['quarantine', 'ignore', 'delete-rows'];

/** What to do with one truncate event. */
export type TruncateAction =
  /** Dead-letter the record with this reason and error text. */
  | { action: 'quarantine'; reason: Extract<DeadLetterReason, 'truncate'>; error: string }
  /** Skip the record. */
  | { action: 'ignore' }
  /** Delete the stored rows of `table` whose source position is before the event's position. */
  | { action: 'delete-rows'; table: string };

/**
 * Decides what a truncate event of `table` does under `policy` (undefined = not configured =
 * `quarantine`).
 * @throws TypeError for a value that is not a {@link TruncatePolicy} (the mapping validator should
 *   have refused it).
 */
export function truncateAction(policy: TruncatePolicy | undefined, table: string): TruncateAction {
  switch (policy ?? 'quarantine') {
    case 'quarantine':
      return {
        action: 'quarantine',
        reason: 'truncate',
        error:
          policy === undefined
            ? `TRUNCATE of ${table}: no truncate policy is configured for this table (mapping key on_truncate)`
            : `TRUNCATE of ${table}: the table's truncate policy is quarantine`,
      };
    case 'ignore':
      return { action: 'ignore' };
    case 'delete-rows':
      return { action: 'delete-rows', table };
    default:
      throw new TypeError(`unknown truncate policy ${JSON.stringify(policy)} (expected ${TRUNCATE_POLICIES.join(', ')})`);
  }
}
