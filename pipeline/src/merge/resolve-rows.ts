/**
 * Merge step 5: resolve the rows of step 4 against the stored dimension rows (this batch's
 * included, written in step 2) by the source's mapping (normalize/resolve.ts): each becomes
 * `mapped` to a canonical (sku, location), `parked` (a dimension row has not arrived: it is resolved
 * again when it does), `filtered`, `unmapped` or `not-authoritative`. The canonical keys a row
 * leaves and enters are touched for step 7. Step 6 writes the resolutions.
 */
import { resolveLevelRow, type Resolution } from '../normalize/index.ts';
import { arrayParameter } from '../postgres/array-literal.ts';
import { dimId, touchKey, type MergeContext } from './context.ts';

/**
 * Resolves `ctx.toResolve` into `ctx.resolutions`, and counts the resolutions and the unmapped
 * level changes of this batch into the result: one read of the dimension rows, whatever the batch size.
 */
export async function resolveRows(ctx: MergeContext): Promise<void> {
  const { client, result, mappingBySource } = ctx;
  const neededDims = new Map<string, [string, string, string]>();
  for (const { row } of ctx.toResolve.values()) {
    const spec = mappingBySource.get(row.source)!.tables[row.table_name]!;
    for (const [rule, ref] of [
      [spec.sku, row.product_ref],
      [spec.location, row.location_ref],
    ] as const) {
      if (rule.lookup && ref !== null) neededDims.set(dimId(row.source, rule.lookup.dimension, ref), [row.source, rule.lookup.dimension, ref]);
    }
  }
  const dimensionRows = new Map<string, Record<string, unknown> | null>();
  if (neededDims.size > 0) {
    const list = [...neededDims.values()];
    const res = await client.query<{ source: string; dimension: string; dim_key: string; attributes: Record<string, unknown> | null; deleted: boolean }>(
      `SELECT source, dimension, dim_key, attributes, deleted FROM dimension_row
       WHERE (source, dimension, dim_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [list.map((d) => d[0]), list.map((d) => d[1]), list.map((d) => d[2])].map(arrayParameter),
    );
    for (const r of res.rows) dimensionRows.set(dimId(r.source, r.dimension, r.dim_key), r.deleted ? null : r.attributes);
  }
  for (const [id, { row, trigger, level }] of ctx.toResolve) {
    const mapping = mappingBySource.get(row.source)!;
    const resolution: Resolution =
      row.excluded !== null
        ? { status: 'filtered', reason: row.excluded, field: null }
        : resolveLevelRow(mapping, mapping.tables[row.table_name]!, row.product_ref!, row.location_ref!, (dimension, key) =>
            dimensionRows.get(dimId(row.source, dimension, key)),
          );
    result.resolutions[resolution.status]++;
    if (resolution.status === 'unmapped' && level) {
      result.unmapped.push({ change: level, reason: resolution.reason, field: resolution.field ?? '' });
    }
    if (row.status === 'mapped') touchKey(ctx, row.sku, row.location, trigger);
    if (resolution.status === 'mapped') touchKey(ctx, resolution.sku, resolution.location, trigger);
    ctx.resolutions.set(id, resolution);
  }
}
