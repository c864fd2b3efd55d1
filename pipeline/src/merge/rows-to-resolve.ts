/**
 * Merge step 4: the source rows to (re-)resolve — the level rows applied in step 3, and the stored
 * rows joined to a dimension row that changed (step 2) or was truncated (step 3b). The canonical
 * key a changed level row was mapped to before is touched (its sums change whatever it resolves to
 * now).
 */
import { dimId, rowId, touchKey, type MergeContext, type StoredRow, type Trigger } from './context.ts';

/** Fills `ctx.toResolve` (locking the joined rows it reads); deleted level rows need no resolution. */
export async function collectRowsToResolve(ctx: MergeContext): Promise<void> {
  const { toResolve } = ctx;
  for (const level of ctx.appliedLevels) {
    const id = rowId(level.source, level.table, level.rowKey);
    const before = ctx.previous.get(id);
    const trigger: Trigger = { source: level.source, positionText: level.position.text, position: level.position.value, sourceTsMs: level.sourceTsMs };
    if (before?.status === 'mapped') touchKey(ctx, before.sku, before.location, trigger);
    if (level.deleted) continue;
    toResolve.set(id, {
      row: {
        source: level.source,
        table_name: level.table,
        row_key: level.rowKey,
        product_ref: level.productRef,
        location_ref: level.locationRef,
        excluded: level.excluded,
        sku: before?.sku ?? null,
        location: before?.location ?? null,
        status: before?.status ?? 'parked',
      },
      trigger,
    });
  }
  await collectJoinedRows(ctx);
}

/**
 * The stored rows joined to a changed dimension row, in ONE statement for the whole batch: for
 * each (source, table, ref column) whose code rule looks up a changed dimension, the rows whose ref
 * equals a changed key. Each row's trigger is the first changed dimension row (in batch order) it
 * joins, as if the dimension rows were applied one by one; a level row applied in this batch keeps
 * its own trigger.
 */
async function collectJoinedRows(ctx: MergeContext): Promise<void> {
  if (ctx.appliedDims.length === 0) return;
  // (source, dimension, key) → index of the first applied dimension row with that identity.
  const dimIndex = new Map<string, number>();
  ctx.appliedDims.forEach((dim, i) => {
    const id = dimId(dim.source, dim.dimension, dim.key);
    if (!dimIndex.has(id)) dimIndex.set(id, i);
  });
  const byProduct: Array<[string, string, string]> = [];
  const byLocation: Array<[string, string, string]> = [];
  for (const dim of ctx.appliedDims) {
    for (const [table, spec] of Object.entries(ctx.mappingBySource.get(dim.source)!.tables)) {
      if (spec.sku.lookup?.dimension === dim.dimension) byProduct.push([dim.source, table, dim.key]);
      if (spec.location.lookup?.dimension === dim.dimension) byLocation.push([dim.source, table, dim.key]);
    }
  }
  if (byProduct.length === 0 && byLocation.length === 0) return;
  const res = await ctx.client.query<StoredRow>(
    `SELECT r.source, r.table_name, r.row_key, r.product_ref, r.location_ref, r.excluded, r.sku, r.location, r.status
     FROM source_row r
     WHERE (r.source, r.table_name, r.row_key) IN (
       SELECT j.source, j.table_name, j.row_key FROM unnest($1::text[], $2::text[], $3::text[]) AS d(s, t, k)
         JOIN source_row j ON j.source = d.s AND j.product_ref = d.k AND j.table_name = d.t AND NOT j.deleted
       UNION
       SELECT j.source, j.table_name, j.row_key FROM unnest($4::text[], $5::text[], $6::text[]) AS d(s, t, k)
         JOIN source_row j ON j.source = d.s AND j.location_ref = d.k AND j.table_name = d.t AND NOT j.deleted)
     FOR UPDATE OF r`,
    [
      byProduct.map((d) => d[0]),
      byProduct.map((d) => d[1]),
      byProduct.map((d) => d[2]),
      byLocation.map((d) => d[0]),
      byLocation.map((d) => d[1]),
      byLocation.map((d) => d[2]),
    ],
  );
  for (const row of res.rows) {
    const id = rowId(row.source, row.table_name, row.row_key);
    if (ctx.toResolve.has(id)) continue;
    const spec = ctx.mappingBySource.get(row.source)!.tables[row.table_name]!;
    let first = Number.POSITIVE_INFINITY;
    for (const [rule, ref] of [
      [spec.sku, row.product_ref],
      [spec.location, row.location_ref],
    ] as const) {
      const index = rule.lookup && ref !== null ? dimIndex.get(dimId(row.source, rule.lookup.dimension, ref)) : undefined;
      if (index !== undefined && index < first) first = index;
    }
    const dim = ctx.appliedDims[first]!;
    ctx.toResolve.set(id, { row, trigger: { source: dim.source, positionText: dim.position.text, position: dim.position.value, sourceTsMs: null } });
  }
}
