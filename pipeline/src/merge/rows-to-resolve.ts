/**
 * Merge step 4: the source rows to (re-)resolve — the level changes that pass the position check
 * (step 3), and the stored rows joined to a dimension row that changed (step 2) or was truncated
 * (step 2b). The canonical key a changed level row was mapped to before is touched (its sums change
 * whatever it resolves to now).
 */
import { dimId, touchKey, type MergeContext, type Trigger } from './context.ts';

/** Fills `ctx.toResolve`; deleted level rows need no resolution. */
export function collectRowsToResolve(ctx: MergeContext): void {
  const { toResolve } = ctx;
  for (const level of ctx.appliedLevels) {
    const before = ctx.previous.get(level.id);
    const trigger: Trigger = { source: level.source, positionText: level.position.text, position: level.position.value, sourceTsMs: level.sourceTsMs };
    if (before?.status === 'mapped') touchKey(ctx, before.sku, before.location, trigger);
    if (level.deleted) continue;
    toResolve.set(level.id, {
      level,
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
  collectJoinedRows(ctx);
}

/**
 * The stored rows joined to a changed dimension row (read in step 3). Each row's trigger is the
 * first changed dimension row (in batch order) it joins, as if the dimension rows were applied one
 * by one.
 */
function collectJoinedRows(ctx: MergeContext): void {
  if (ctx.joined.size === 0) return;
  // (source, dimension, key) → index of the first applied dimension row with that identity.
  const dimIndex = new Map<string, number>();
  ctx.appliedDims.forEach((dim, i) => {
    const id = dimId(dim.source, dim.dimension, dim.key);
    if (!dimIndex.has(id)) dimIndex.set(id, i);
  });
  for (const [id, row] of ctx.joined) {
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
