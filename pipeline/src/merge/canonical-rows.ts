/**
 * Merge step 7: recompute every canonical key touched in steps 4-6b from its mapped source rows,
 * under the canonical key locks (taken in steps 6 and 6b, postgres/advisory-locks.ts). `stock_level` holds the sums:
 * on_hand and reserved over the rows of role other than `safety`, safety_stock from the `safety`
 * rows (null when there are none), available = on_hand − reserved. A key whose sums did not change
 * is not written; a changed one gets the next version and its trigger's source position.
 */
import { StatementParams } from '../postgres/statement.ts';
import { stockLevelEvent, type StockLevelEvent } from './canonical-schema.ts';
import { keyId, type MergeContext } from './context.ts';
import { addCounters, countersCte } from './counters.ts';
import { outboxRowsCte } from './outbox-rows.ts';

/** A touched key whose sums differ from its stored row (or that has no stored row yet). */
interface ChangedKey {
  sku: string;
  location: string;
  on_hand: string;
  reserved: string;
  safety_stock: string | null;
  /** The stored row's version, null when there is none. */
  version: string | null;
}

/**
 * Recomputes the touched keys and writes the changed ones to `stock_level`, their outbox rows and
 * the batch's counters: two statements, whatever the number of keys. Fills `ctx.result.canonical`.
 * @throws CanonicalSchemaError when a row would not fit the canonical Avro schema (the
 *   transaction rolls back).
 */
export async function recomputeCanonicalRows(ctx: MergeContext): Promise<void> {
  const { client, affectedKeys } = ctx;
  if (affectedKeys.size === 0) return addCounters(ctx);
  const keys = [...affectedKeys.keys()].sort().map((id) => id.split('\u001f') as [string, string]);
  // Sums by value: PostgreSQL compares numerics by value (1.50 = 1.5), as normalizeDecimal does.
  const changed = await client.query<ChangedKey>(
    `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(sku, location)),
     current AS (
       SELECT s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.version FROM stock_level s
       JOIN k ON s.sku = k.sku AND s.location = k.location
       FOR UPDATE OF s),
     sums AS (
       SELECT k.sku, k.location,
              COALESCE(sum(r.on_hand) FILTER (WHERE r.role <> 'safety'), 0) AS on_hand,
              COALESCE(sum(r.reserved) FILTER (WHERE r.role <> 'safety'), 0) AS reserved,
              sum(r.on_hand) FILTER (WHERE r.role = 'safety') AS safety_stock,
              count(r.row_key) AS rows
       FROM k LEFT JOIN source_row r ON r.sku = k.sku AND r.location = k.location AND r.status = 'mapped' AND NOT r.deleted
       GROUP BY k.sku, k.location)
     SELECT sums.sku, sums.location, sums.on_hand::text, sums.reserved::text, sums.safety_stock::text, c.version::text
     FROM sums LEFT JOIN current c ON c.sku = sums.sku AND c.location = sums.location
     WHERE CASE WHEN c.sku IS NULL THEN sums.rows > 0
                ELSE (c.on_hand, c.reserved, c.safety_stock) IS DISTINCT FROM (sums.on_hand, sums.reserved, sums.safety_stock) END`,
    [keys.map((k) => k[0]), keys.map((k) => k[1])],
  );
  if (changed.rows.length === 0) return addCounters(ctx);
  const updatedAt = Date.now();
  const events: StockLevelEvent[] = changed.rows.map((row) => {
    const trigger = affectedKeys.get(keyId(row.sku, row.location))!;
    return stockLevelEvent(row, {
      source: trigger.source,
      source_position: trigger.positionText,
      source_ts_ms: trigger.sourceTsMs,
      version: row.version === null ? 1 : Number(row.version) + 1,
      updated_at: updatedAt,
    });
  });
  const params = new StatementParams();
  const written = `written AS (
    INSERT INTO stock_level (sku, location, on_hand, reserved, safety_stock, source, source_position, source_ts_ms, version, updated_at)
    SELECT sku, location, oh, rs, ss, src, pos, ts, v, timestamptz 'epoch' + ${params.add(updatedAt, 'bigint')} * interval '1 millisecond'
    FROM unnest(${params.columns(events, [
      ['text', (e) => e.sku],
      ['text', (e) => e.location],
      ['numeric', (e) => e.on_hand],
      ['numeric', (e) => e.reserved],
      ['numeric', (e) => e.safety_stock],
      ['text', (e) => e.source],
      ['text', (e) => e.source_position],
      ['bigint', (e) => e.source_ts_ms],
      ['bigint', (e) => e.version],
    ])}) AS e(sku, location, oh, rs, ss, src, pos, ts, v)
    ON CONFLICT (sku, location) DO UPDATE SET
      on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, safety_stock = EXCLUDED.safety_stock, source = EXCLUDED.source,
      source_position = EXCLUDED.source_position, source_ts_ms = EXCLUDED.source_ts_ms,
      version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
    RETURNING 1)`;
  const ctes = [written, outboxRowsCte(params, events), countersCte(params, ctx)].filter((c): c is string => c !== null);
  await client.query(`WITH ${ctes.join(',\n')} SELECT (SELECT count(*) FROM written)`, params.values);
  ctx.result.canonical = events;
}
