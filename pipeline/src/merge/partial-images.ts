/**
 * Merge step 0: partial row images (normalize/partial.ts). A change whose image lacked columns —
 * PostgreSQL unchanged TOAST values under REPLICA IDENTITY DEFAULT — is completed from the row's
 * earlier image before anything is locked or written: the older changes of the row in the batch,
 * then the stored `dimension_row` / `source_row`. Reads only when the batch has such a change.
 */
import { completeDimensionChange, completeLevelChange, type StoredLevel } from '../normalize/index.ts';
import { dimId, rowId, type MergeContext } from './context.ts';

/** Replaces each partial change of `ctx.dims` and `ctx.levels` by its completed copy. */
export async function completePartialImages(ctx: MergeContext): Promise<void> {
  const { client } = ctx;
  const dims = ctx.dims.filter((d) => d.unchanged !== undefined);
  if (dims.length > 0) {
    const res = await client.query<{ source: string; dimension: string; dim_key: string; attributes: Record<string, string | number | boolean | null> | null }>(
      `SELECT source, dimension, dim_key, attributes FROM dimension_row
       WHERE (source, dimension, dim_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [dims.map((d) => d.source), dims.map((d) => d.dimension), dims.map((d) => d.key)],
    );
    const stored = new Map(res.rows.map((r) => [dimId(r.source, r.dimension, r.dim_key), r.attributes]));
    ctx.dims = ctx.dims.map((d) => (d.unchanged === undefined ? d : completeDimensionChange(d, d.superseded, stored.get(dimId(d.source, d.dimension, d.key)))));
  }
  const levels = ctx.levels.filter((l) => l.keepStored !== undefined);
  if (levels.length > 0) {
    const res = await client.query<StoredLevel & { source: string; table_name: string; row_key: string }>(
      `SELECT source, table_name, row_key, product_ref, location_ref, excluded FROM source_row
       WHERE (source, table_name, row_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [levels.map((l) => l.source), levels.map((l) => l.table), levels.map((l) => l.rowKey)],
    );
    const stored = new Map(res.rows.map((r) => [rowId(r.source, r.table_name, r.row_key), r]));
    ctx.levels = ctx.levels.map((l) => (l.keepStored === undefined ? l : completeLevelChange(l, l.superseded, stored.get(rowId(l.source, l.table, l.rowKey)))));
  }
}
