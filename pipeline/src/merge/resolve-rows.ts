/**
 * Merge step 5: resolve the rows of step 4 against the stored dimension rows (this batch's
 * included, written in step 2) by the source's mapping (normalize/resolve.ts): each becomes
 * `mapped` to a canonical (sku, location), `parked` (a dimension row has not arrived: it is resolved
 * again when it does), `filtered`, `unmapped` or `not-authoritative`. The canonical keys a row
 * leaves and enters are touched for step 6, and their locks are taken by the same statement that
 * stores the resolutions (before step 6 reads the sums: a lock must be held before the statement
 * whose snapshot it protects starts).
 */
import { resolveLevelRow, type Resolution } from '../normalize/index.ts';
import { mergeCanonicalLock, mergeLockStatement } from '../postgres/advisory-locks.ts';
import { dimId, rowId, touchKey, type MergeContext, type StoredRow } from './context.ts';

/**
 * Resolves `ctx.toResolve`, counts the resolutions and the unmapped level changes of this batch into
 * the result, and writes each row's resolution (`sku`, `location`, `status`, `status_reason`,
 * `status_field`) to `source_row`.
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
      [list.map((d) => d[0]), list.map((d) => d[1]), list.map((d) => d[2])],
    );
    for (const r of res.rows) dimensionRows.set(dimId(r.source, r.dimension, r.dim_key), r.deleted ? null : r.attributes);
  }
  const updates: Array<{ row: StoredRow; resolution: Resolution }> = [];
  const appliedById = new Map(ctx.appliedLevels.map((l) => [rowId(l.source, l.table, l.rowKey), l]));
  for (const { row, trigger } of ctx.toResolve.values()) {
    const mapping = mappingBySource.get(row.source)!;
    const resolution: Resolution =
      row.excluded !== null
        ? { status: 'filtered', reason: row.excluded, field: null }
        : resolveLevelRow(mapping, mapping.tables[row.table_name]!, row.product_ref!, row.location_ref!, (dimension, key) =>
            dimensionRows.get(dimId(row.source, dimension, key)),
          );
    result.resolutions[resolution.status]++;
    const direct = appliedById.get(rowId(row.source, row.table_name, row.row_key));
    if (resolution.status === 'unmapped' && direct) {
      result.unmapped.push({ change: direct, reason: resolution.reason, field: resolution.field ?? '' });
    }
    if (row.status === 'mapped') touchKey(ctx, row.sku, row.location, trigger);
    if (resolution.status === 'mapped') touchKey(ctx, resolution.sku, resolution.location, trigger);
    updates.push({ row, resolution });
  }
  const keyLocks = canonicalKeyLockStatement(ctx);
  if (updates.length === 0) {
    if (keyLocks) await client.query(keyLocks);
    return;
  }
  await client.query(
    `WITH resolved AS (
       UPDATE source_row AS r SET sku = u.sku, location = u.location, status = u.status, status_reason = u.reason, status_field = u.field
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
            AS u(s, t, k, sku, location, status, reason, field)
       WHERE r.source = u.s AND r.table_name = u.t AND r.row_key = u.k
       RETURNING 1)
     SELECT (SELECT count(*) FROM resolved)${keyLocks ? `, (SELECT count(*) FROM (${keyLocks}) AS locks)` : ''}`,
    [
      updates.map((u) => u.row.source),
      updates.map((u) => u.row.table_name),
      updates.map((u) => u.row.row_key),
      updates.map((u) => (u.resolution.status === 'mapped' ? u.resolution.sku : null)),
      updates.map((u) => (u.resolution.status === 'mapped' ? u.resolution.location : null)),
      updates.map((u) => u.resolution.status),
      updates.map((u) => (u.resolution.status === 'mapped' ? null : u.resolution.reason)),
      updates.map((u) => (u.resolution.status === 'mapped' ? null : u.resolution.field)),
    ],
  );
}

/** The statement taking the locks of every canonical key touched so far (null when none). */
function canonicalKeyLockStatement(ctx: MergeContext): string | null {
  return mergeLockStatement(
    'canonical',
    [...ctx.affectedKeys.keys()].map((id) => {
      const [sku, location] = id.split('\u001f') as [string, string];
      return mergeCanonicalLock(sku, location);
    }),
  );
}
