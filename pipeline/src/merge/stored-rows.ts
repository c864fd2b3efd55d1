/**
 * Merge step 3: read, locked, the stored source rows this batch acts on — the rows of its level
 * changes, and the rows joined to a dimension row that changed (step 2) or was truncated (step 2b)
 * — in ONE statement; then the position check of docs/design.md invariant 3: a level change at or
 * before its row's stored position (replays, connector restarts, late snapshot events) is skipped.
 */
import { arrayParameter } from '../postgres/array-literal.ts';
import { dimId, rowId, type MergeContext, type StoredRowAt } from './context.ts';

/** The columns of a `StoredRowAt`, of the `source_row` aliased `r`. */
const columns = (r: string) =>
  `${r}.source, ${r}.table_name, ${r}.row_key, ${r}.product_ref, ${r}.location_ref, ${r}.excluded, ${r}.sku, ${r}.location, ${r}.status, ${r}.position::text AS position`;

/**
 * Fills `ctx.previous`, `ctx.joined` and `ctx.appliedLevels`, and counts applied, stale and
 * snapshot changes (dimension rows of step 2 included) into the result.
 */
export async function readStoredRows(ctx: MergeContext): Promise<void> {
  const { client, levels } = ctx;
  const joins = joinedRowQueries(ctx);
  if (levels.length > 0 || joins) {
    const params: string[][] = [levels.map((l) => l.source), levels.map((l) => l.table), levels.map((l) => l.rowKey)];
    if (joins) params.push(...joins.params);
    const res = await client.query<StoredRowAt & { kind: 'previous' | 'joined' }>(
      `WITH previous AS (
         SELECT ${columns('source_row')} FROM source_row
         WHERE (source, table_name, row_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
         FOR UPDATE)${joins ? `, ${joins.cte}` : ''}
       SELECT 'previous' AS kind, * FROM previous${joins ? `\n       UNION ALL SELECT 'joined' AS kind, * FROM joined` : ''}`,
      params.map(arrayParameter),
    );
    for (const row of res.rows) (row.kind === 'previous' ? ctx.previous : ctx.joined).set(rowId(row.source, row.table_name, row.row_key), row);
  }
  for (const level of levels) {
    const stored = ctx.previous.get(level.id);
    if (!stored || BigInt(stored.position) < level.position.value) ctx.appliedLevels.push(level);
  }
  // A row both joined and written by this batch is resolved once, as the level change.
  for (const level of ctx.appliedLevels) ctx.joined.delete(level.id);
  countApplied(ctx);
}

/** Counts applied (dimension and level rows), stale and snapshot changes into the result. */
export function countApplied(ctx: MergeContext): void {
  const { result, appliedDims, appliedLevels } = ctx;
  result.applied = appliedDims.length + appliedLevels.length;
  result.skippedStale = ctx.dims.length + ctx.levels.length - result.applied;
  result.snapshotApplied = appliedDims.filter((d) => d.snapshot).length + appliedLevels.filter((l) => l.snapshot).length;
  result.appliedLevels = appliedLevels.flatMap((l) =>
    [l, ...l.superseded].map((c) => ({ source: c.source, table: c.table, rowKey: c.rowKey, position: c.position.text, txId: c.txId, snapshot: c.snapshot })),
  );
}

/**
 * The `joined AS (…)` CTE reading the stored rows joined to a changed dimension row: for each
 * (source, table, ref column) whose code rule looks up a changed dimension, the rows whose ref
 * equals a changed key (deleted rows excluded). Null when no dimension row changed or no table looks
 * one up. Its parameters follow the three of the previous-rows query ($4 on).
 */
function joinedRowQueries(ctx: MergeContext): { cte: string; params: string[][] } | null {
  if (ctx.appliedDims.length === 0) return null;
  const byProduct: Array<[string, string, string]> = [];
  const byLocation: Array<[string, string, string]> = [];
  const seen = new Set<string>();
  for (const dim of ctx.appliedDims) {
    const id = dimId(dim.source, dim.dimension, dim.key);
    if (seen.has(id)) continue;
    seen.add(id);
    for (const [table, spec] of Object.entries(ctx.mappingBySource.get(dim.source)!.tables)) {
      if (spec.sku.lookup?.dimension === dim.dimension) byProduct.push([dim.source, table, dim.key]);
      if (spec.location.lookup?.dimension === dim.dimension) byLocation.push([dim.source, table, dim.key]);
    }
  }
  if (byProduct.length === 0 && byLocation.length === 0) return null;
  return {
    cte: `joined AS (
         SELECT ${columns('r')} FROM source_row r
         WHERE (r.source, r.table_name, r.row_key) IN (
           SELECT j.source, j.table_name, j.row_key FROM unnest($4::text[], $5::text[], $6::text[]) AS d(s, t, k)
             JOIN source_row j ON j.source = d.s AND j.product_ref = d.k AND j.table_name = d.t AND NOT j.deleted
           UNION
           SELECT j.source, j.table_name, j.row_key FROM unnest($7::text[], $8::text[], $9::text[]) AS d(s, t, k)
             JOIN source_row j ON j.source = d.s AND j.location_ref = d.k AND j.table_name = d.t AND NOT j.deleted)
         FOR UPDATE OF r)`,
    params: [
      byProduct.map((d) => d[0]),
      byProduct.map((d) => d[1]),
      byProduct.map((d) => d[2]),
      byLocation.map((d) => d[0]),
      byLocation.map((d) => d[1]),
      byLocation.map((d) => d[2]),
    ],
  };
}
