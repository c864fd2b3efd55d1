/**
 * Merge step 6: recompute every canonical key touched in steps 3b-5 from its mapped source rows,
 * under the canonical key locks (postgres/advisory-locks.ts). `stock_level` holds the sums:
 * on_hand and reserved over the rows of role other than `safety`, safety_stock from the `safety`
 * rows (null when there are none), available = on_hand − reserved. A key whose sums did not change
 * is not written; a changed one gets the next version and its trigger's source position.
 */
import { formatNormalized, normalizeDecimal, parseDecimal, subtractDecimal } from '../decimal/index.ts';
import { lockMergeKeys, mergeCanonicalLock } from '../postgres/advisory-locks.ts';
import { validateStockLevel, type StockLevelEvent } from './canonical-schema.ts';
import { keyId, type MergeContext } from './context.ts';

/**
 * Writes the changed `stock_level` rows and sets `ctx.result.canonical` to them, in the order
 * written, each validated against stock_level.avsc.
 * @throws CanonicalSchemaError when a row does not fit the schema (a pipeline bug).
 */
export async function recomputeCanonicalRows(ctx: MergeContext): Promise<void> {
  const { client, affectedKeys } = ctx;
  if (affectedKeys.size > 0) {
    const keys = [...affectedKeys.keys()].sort().map((id) => id.split('\u001f') as [string, string]);
    await lockMergeKeys(
      client,
      keys.map(([sku, location]) => mergeCanonicalLock(sku, location)),
    );
    const sums = await client.query<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null; rows: string }>(
      `SELECT k.sku, k.location,
              COALESCE(sum(r.on_hand) FILTER (WHERE r.role <> 'safety'), 0)::text AS on_hand,
              COALESCE(sum(r.reserved) FILTER (WHERE r.role <> 'safety'), 0)::text AS reserved,
              (sum(r.on_hand) FILTER (WHERE r.role = 'safety'))::text AS safety_stock,
              count(r.row_key)::text AS rows
       FROM unnest($1::text[], $2::text[]) AS k(sku, location)
       LEFT JOIN source_row r ON r.sku = k.sku AND r.location = k.location AND r.status = 'mapped' AND NOT r.deleted
       GROUP BY k.sku, k.location`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    const current = await client.query<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null; version: string }>(
      `SELECT s.sku, s.location, s.on_hand::text, s.reserved::text, s.safety_stock::text, s.version::text FROM stock_level s
       JOIN unnest($1::text[], $2::text[]) AS k(sku, location) ON s.sku = k.sku AND s.location = k.location
       FOR UPDATE OF s`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    const currentByKey = new Map(current.rows.map((r) => [keyId(r.sku, r.location), r]));
    const events: StockLevelEvent[] = [];
    for (const sum of sums.rows) {
      const id = keyId(sum.sku, sum.location);
      const existing = currentByKey.get(id);
      const onHand = normalizeDecimal(sum.on_hand);
      const reserved = normalizeDecimal(sum.reserved);
      const safetyStock = sum.safety_stock === null ? null : normalizeDecimal(sum.safety_stock);
      if (!existing && sum.rows === '0') continue;
      if (
        existing &&
        normalizeDecimal(existing.on_hand) === onHand &&
        normalizeDecimal(existing.reserved) === reserved &&
        (existing.safety_stock === null ? null : normalizeDecimal(existing.safety_stock)) === safetyStock
      ) {
        continue;
      }
      const trigger = affectedKeys.get(id)!;
      const available = formatNormalized(subtractDecimal(parseDecimal(onHand), parseDecimal(reserved)));
      events.push({
        sku: sum.sku,
        location: sum.location,
        on_hand: onHand,
        reserved,
        available,
        safety_stock: safetyStock,
        source: trigger.source,
        source_position: trigger.positionText,
        source_ts_ms: trigger.sourceTsMs,
        version: existing ? Number(existing.version) + 1 : 1,
        updated_at: 0,
      });
    }
    if (events.length > 0) {
      const written = await client.query<{ sku: string; location: string; updated_ms: string }>(
        `INSERT INTO stock_level (sku, location, on_hand, reserved, safety_stock, source, source_position, source_ts_ms, version, updated_at)
         SELECT sku, location, oh, rs, ss, src, pos, ts, v, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::numeric[])
              AS e(sku, location, oh, rs, src, pos, ts, v, ss)
         ON CONFLICT (sku, location) DO UPDATE SET
           on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, safety_stock = EXCLUDED.safety_stock, source = EXCLUDED.source,
           source_position = EXCLUDED.source_position, source_ts_ms = EXCLUDED.source_ts_ms,
           version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
         RETURNING sku, location, (extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_ms`,
        [
          events.map((e) => e.sku),
          events.map((e) => e.location),
          events.map((e) => e.on_hand),
          events.map((e) => e.reserved),
          events.map((e) => e.source),
          events.map((e) => e.source_position),
          events.map((e) => e.source_ts_ms),
          events.map((e) => e.version),
          events.map((e) => e.safety_stock),
        ],
      );
      const updatedAt = new Map(written.rows.map((r) => [keyId(r.sku, r.location), Number(r.updated_ms)]));
      for (const event of events) {
        event.updated_at = updatedAt.get(keyId(event.sku, event.location))!;
        validateStockLevel(event);
      }
      ctx.result.canonical = events;
    }
  }
}
