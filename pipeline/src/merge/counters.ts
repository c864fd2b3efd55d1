/**
 * Merge step 7c: the durable counters shared by every instance (`pipeline_counter`): stale changes
 * skipped, rows not authoritative, rows unmapped. Added by the statement that writes the canonical
 * rows, or by one of their own when the batch changed no canonical row.
 */
import { StatementParams } from '../postgres/statement.ts';
import type { MergeContext } from './context.ts';

/** The counters this batch adds to (only those it moved). */
function counterIncrements(ctx: MergeContext): Array<[string, number]> {
  const { result } = ctx;
  const counters: Record<string, number> = {
    'merge.skipped_stale': result.skippedStale,
    'merge.not_authoritative': result.resolutions['not-authoritative'],
    'merge.unmapped': result.resolutions.unmapped,
  };
  return Object.entries(counters).filter(([, v]) => v > 0);
}

/** The CTE (`counters AS (…)`) adding this batch's counts, or null when it counted nothing. */
export function countersCte(params: StatementParams, ctx: MergeContext): string | null {
  const increments = counterIncrements(ctx);
  if (increments.length === 0) return null;
  return `counters AS (
    INSERT INTO pipeline_counter (name, value)
    SELECT * FROM unnest(${params.columns(increments, [
      ['text', ([name]) => name],
      ['bigint', ([, value]) => value],
    ])})
    ON CONFLICT (name) DO UPDATE SET value = pipeline_counter.value + EXCLUDED.value)`;
}

/** Adds this batch's counts in a statement of their own (when no canonical row was written). */
export async function addCounters(ctx: MergeContext): Promise<void> {
  const params = new StatementParams();
  const cte = countersCte(params, ctx);
  if (cte) await ctx.client.query(`WITH ${cte} SELECT 1`, params.values);
}
