/**
 * Merge step 7b: one `canonical_outbox` row per canonical change of step 7, in the merge
 * transaction, so a change is published (serve stage, serve/outbox.ts drains it) if and only if it
 * committed. Written by the same statement as the canonical rows (canonical-rows.ts).
 */
import type { StatementParams } from '../postgres/statement.ts';
import type { StockLevelEvent } from './canonical-schema.ts';

/** The CTE (`outbox AS (…)`) queuing `events` (the payload is the StockLevel record as JSON). */
export function outboxRowsCte(params: StatementParams, events: StockLevelEvent[]): string {
  return `outbox AS (
    INSERT INTO canonical_outbox (sku, location, version, payload)
    SELECT * FROM unnest(${params.columns(events, [
      ['text', (e) => e.sku],
      ['text', (e) => e.location],
      ['bigint', (e) => e.version],
      ['jsonb', (e) => JSON.stringify(e)],
    ])}))`;
}
