/**
 * Queues the current canonical rows of some SKUs in the outbox again, unchanged (same version), so
 * the serve stage publishes them once more: Redis keys invalidated, `stock.levels` records, and the
 * channels recompute those SKUs. Used by reconciliation to repair a channel table through the
 * normal path (docs/reconciliation.md). A republished version equals the one already published, so
 * every downstream versioned write takes it as a rewrite, never as a step back (docs/design.md
 * invariant 6).
 */
import type pg from 'pg';
import { StatementParams } from '../postgres/statement.ts';
import { stockLevelEvent, type StockLevelEvent } from './canonical-schema.ts';
import { outboxRowsCte } from './outbox-rows.ts';

/**
 * Queues every `stock_level` row of `skus` in `canonical_outbox`, as the merge would have.
 * @returns the events queued.
 * @throws CanonicalSchemaError when a stored row does not fit the canonical schema.
 */
export async function republishCanonical(client: pg.ClientBase, skus: string[]): Promise<StockLevelEvent[]> {
  if (skus.length === 0) return [];
  const res = await client.query<{
    sku: string;
    location: string;
    on_hand: string;
    reserved: string;
    safety_stock: string | null;
    source: string;
    source_position: string;
    source_ts_ms: string | null;
    version: string;
    updated_at_ms: string;
  }>(
    `SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, source, source_position, source_ts_ms::text, version::text,
            (extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_at_ms
     FROM stock_level WHERE sku = ANY($1::text[]) ORDER BY sku, location`,
    [skus],
  );
  if (res.rows.length === 0) return [];
  const events = res.rows.map((row) =>
    stockLevelEvent(row, {
      source: row.source,
      source_position: row.source_position,
      source_ts_ms: row.source_ts_ms === null ? null : Number(row.source_ts_ms),
      version: Number(row.version),
      updated_at: Number(row.updated_at_ms),
    }),
  );
  const params = new StatementParams();
  await client.query(`WITH ${outboxRowsCte(params, events)} SELECT 1`, params.values);
  return events;
}
