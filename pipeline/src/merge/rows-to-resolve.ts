/**
 * Merge step 4: the source rows to (re-)resolve — the level rows applied in step 3, and the stored
 * rows joined to a dimension row that changed (step 2) or was truncated (step 3b). The canonical
 * key a changed level row was mapped to before is touched (its sums change whatever it resolves to
 * now).
 */
import { rowId, touchKey, type MergeContext, type StoredRow, type Trigger } from './context.ts';

/** Fills `ctx.toResolve` (locking the joined rows it reads); deleted level rows need no resolution. */
export async function collectRowsToResolve(ctx: MergeContext): Promise<void> {
  const { client, toResolve } = ctx;
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
  for (const dim of ctx.appliedDims) {
    const mapping = ctx.mappingBySource.get(dim.source)!;
    const trigger: Trigger = { source: dim.source, positionText: dim.position.text, position: dim.position.value, sourceTsMs: null };
    for (const [table, spec] of Object.entries(mapping.tables)) {
      for (const [column, rule] of [
        ['product_ref', spec.sku],
        ['location_ref', spec.location],
      ] as const) {
        if (rule.lookup?.dimension !== dim.dimension) continue;
        const res = await client.query<StoredRow>(
          `SELECT source, table_name, row_key, product_ref, location_ref, excluded, sku, location, status FROM source_row
           WHERE source = $1 AND table_name = $2 AND ${column} = $3 AND NOT deleted FOR UPDATE`,
          [dim.source, table, dim.key],
        );
        for (const row of res.rows) {
          const id = rowId(row.source, row.table_name, row.row_key);
          if (!toResolve.has(id)) toResolve.set(id, { row, trigger });
        }
      }
    }
  }
}
