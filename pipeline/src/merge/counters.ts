/**
 * Merge step 7: durable counters (`pipeline_counter`), shared by every instance, added to in the
 * merge transaction: stale changes skipped, rows of locations the source is not authoritative for,
 * and unmapped rows.
 */
import type { MergeContext } from './context.ts';

/** Adds the batch's non-zero counts to `pipeline_counter`. */
export async function addCounters(ctx: MergeContext): Promise<void> {
  const { result } = ctx;
  const counters: Record<string, number> = {
    'merge.skipped_stale': result.skippedStale,
    'merge.not_authoritative': result.resolutions['not-authoritative'],
    'merge.unmapped': result.resolutions.unmapped,
  };
  const nonZero = Object.entries(counters).filter(([, v]) => v > 0);
  if (nonZero.length > 0) {
    await ctx.client.query(
      `INSERT INTO pipeline_counter (name, value) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (name) DO UPDATE SET value = pipeline_counter.value + EXCLUDED.value`,
      [nonZero.map(([k]) => k), nonZero.map(([, v]) => v)],
    );
  }
}
