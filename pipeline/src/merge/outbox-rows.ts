/**
 * Merge step 6b: one `canonical_outbox` row per canonical change of step 6, in the merge
 * transaction, so a change is published (serve stage, serve/outbox.ts drains it) if and only if it
 * committed.
 */
import type { MergeContext } from './context.ts';

/** Queues `ctx.result.canonical` (the payload is the StockLevel record as JSON). */
export async function writeOutboxRows(ctx: MergeContext): Promise<void> {
  const events = ctx.result.canonical;
  if (events.length > 0) {
    await ctx.client.query(
      `INSERT INTO canonical_outbox (sku, location, version, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[])`,
      [events.map((e) => e.sku), events.map((e) => e.location), events.map((e) => e.version), events.map((e) => JSON.stringify(e))],
    );
  }
}
