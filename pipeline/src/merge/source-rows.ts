/**
 * Merge step 3: source rows (`source_row`), newer positions only — the position check of docs/design.md
 * invariant 3: a change at or before the stored position (replays, connector restarts, late
 * snapshot events) is skipped. The previous canonical keys of the rows are read first (locked), as
 * the new images may change them. A written row is `parked` until step 5 resolves it.
 */
import { rowId, type MergeContext, type StoredRow } from './context.ts';

/**
 * Reads the stored rows into `ctx.previous`, upserts the batch's level changes, fills
 * `ctx.appliedLevels`, and counts applied, stale and snapshot changes (dimension rows of step 2
 * included) into the result.
 */
export async function writeSourceRows(ctx: MergeContext): Promise<void> {
  const { client, levels, result } = ctx;
  if (levels.length > 0) {
    const res = await client.query<StoredRow>(
      `SELECT source, table_name, row_key, product_ref, location_ref, excluded, sku, location, status FROM source_row
       WHERE (source, table_name, row_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
       FOR UPDATE`,
      [levels.map((l) => l.source), levels.map((l) => l.table), levels.map((l) => l.rowKey)],
    );
    for (const row of res.rows) ctx.previous.set(rowId(row.source, row.table_name, row.row_key), row);
  }
  const appliedLevels = ctx.appliedLevels;
  if (levels.length > 0) {
    const res = await client.query<{ source: string; table_name: string; row_key: string }>(
      `INSERT INTO source_row (source, table_name, row_key, product_ref, location_ref, on_hand, reserved, deleted,
                               position, position_text, source_ts_ms, role, excluded, status)
       SELECT s, t, k, pr, lr, oh, rs, del, p, pt, ts, r, ex, 'parked'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::bool[],
                   $9::numeric[], $10::text[], $11::bigint[], $12::text[], $13::text[]) AS x(s, t, k, pr, lr, oh, rs, del, p, pt, ts, r, ex)
       ON CONFLICT (source, table_name, row_key) DO UPDATE SET
         role = EXCLUDED.role, excluded = EXCLUDED.excluded,
         product_ref = COALESCE(EXCLUDED.product_ref, source_row.product_ref),
         location_ref = COALESCE(EXCLUDED.location_ref, source_row.location_ref),
         on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, deleted = EXCLUDED.deleted,
         position = EXCLUDED.position, position_text = EXCLUDED.position_text,
         source_ts_ms = EXCLUDED.source_ts_ms, updated_at = now()
       WHERE source_row.position < EXCLUDED.position
       RETURNING source, table_name, row_key`,
      [
        levels.map((l) => l.source),
        levels.map((l) => l.table),
        levels.map((l) => l.rowKey),
        levels.map((l) => l.productRef),
        levels.map((l) => l.locationRef),
        levels.map((l) => l.onHand),
        levels.map((l) => l.reserved),
        levels.map((l) => l.deleted),
        levels.map((l) => l.position.value.toString()),
        levels.map((l) => l.position.text),
        levels.map((l) => l.sourceTsMs),
        levels.map((l) => l.role),
        levels.map((l) => l.excluded),
      ],
    );
    const applied = new Set(res.rows.map((r) => rowId(r.source, r.table_name, r.row_key)));
    appliedLevels.push(...levels.filter((l) => applied.has(rowId(l.source, l.table, l.rowKey))));
  }
  const appliedDims = ctx.appliedDims;
  result.applied = appliedDims.length + appliedLevels.length;
  result.skippedStale = ctx.dims.length + levels.length - result.applied;
  result.snapshotApplied = appliedDims.filter((d) => d.snapshot).length + appliedLevels.filter((l) => l.snapshot).length;
  result.appliedLevels = appliedLevels.flatMap((l) =>
    [l, ...l.superseded].map((c) => ({ source: c.source, table: c.table, rowKey: c.rowKey, position: c.position.text, txId: c.txId, snapshot: c.snapshot })),
  );
}
