/**
 * How recent the canonical state of some keys is, in source positions: for each key, the highest
 * position among the source rows mapped to it in the canonical store, the source rows that were
 * behind it in the source read, and the dimension rows those rows look up. `stock_level.source_position`
 * alone does not say it: a batch of another partition can rewrite a key with an older trigger
 * (docs/design.md invariant 4, "Where the code is today"), while `source_row` and `dimension_row`
 * positions only grow (invariant 3). A key whose highest position is after a read's position has
 * changed since that read: comparing the two would be comparing different moments.
 */
import type pg from 'pg';
import type { SourceMapping } from '../normalize/index.ts';
import type { StockDifference } from './compare.ts';
import { keyOf } from './expected.ts';

/** Highest source position (the numeric `position` of source_row/dimension_row) behind each difference's key. */
export async function keyPositions(client: pg.ClientBase, mapping: SourceMapping, differences: StockDifference[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (differences.length === 0) return out;
  const behind = differences.flatMap((d) => d.sourceRows.map((r) => [keyOf(d.sku, d.location), r.table, r.rowKey] as const));
  const rows = await client.query<{ k: string; table_name: string; product_ref: string | null; location_ref: string | null; position: string }>(
    `SELECT k.sku || chr(31) || k.location AS k, r.table_name, r.product_ref, r.location_ref, r.position::text
       FROM unnest($2::text[], $3::text[]) AS k(sku, location)
       JOIN source_row r ON r.source = $1 AND r.sku = k.sku AND r.location = k.location
     UNION ALL
     SELECT b.k, r.table_name, r.product_ref, r.location_ref, r.position::text
       FROM unnest($4::text[], $5::text[], $6::text[]) AS b(k, t, rk)
       JOIN source_row r ON r.source = $1 AND r.table_name = b.t AND r.row_key = b.rk`,
    [
      mapping.source,
      differences.map((d) => d.sku),
      differences.map((d) => d.location),
      behind.map((b) => b[0]),
      behind.map((b) => b[1]),
      behind.map((b) => b[2]),
    ],
  );
  const raise = (k: string, position: bigint) => {
    if (position > (out.get(k) ?? -1n)) out.set(k, position);
  };
  const dims: Array<[string, string, string]> = [];
  for (const r of rows.rows) {
    raise(r.k, BigInt(r.position));
    const spec = mapping.tables[r.table_name];
    if (!spec) continue;
    for (const [rule, ref] of [
      [spec.sku, r.product_ref],
      [spec.location, r.location_ref],
    ] as const) {
      if (rule.lookup && ref !== null) dims.push([r.k, rule.lookup.dimension, ref]);
    }
  }
  if (dims.length > 0) {
    const res = await client.query<{ k: string; position: string }>(
      `SELECT d.k, r.position::text FROM unnest($2::text[], $3::text[], $4::text[]) AS d(k, dimension, key)
       JOIN dimension_row r ON r.source = $1 AND r.dimension = d.dimension AND r.dim_key = d.key`,
      [mapping.source, dims.map((d) => d[0]), dims.map((d) => d[1]), dims.map((d) => d[2])],
    );
    for (const r of res.rows) raise(r.k, BigInt(r.position));
  }
  return out;
}
