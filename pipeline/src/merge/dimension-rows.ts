/**
 * Merge step 2: dimension rows (`dimension_row`), newer positions only — a change at or before the
 * stored position is skipped (docs/design.md invariant 3).
 */
import { arrayParameter } from '../postgres/array-literal.ts';
import { dimId, type MergeContext } from './context.ts';

/** Upserts the batch's dimension changes; fills `ctx.appliedDims` with those written. */
export async function writeDimensionRows(ctx: MergeContext): Promise<void> {
  const { client, dims } = ctx;
  if (dims.length > 0) {
    const res = await client.query<{ source: string; dimension: string; dim_key: string }>(
      `INSERT INTO dimension_row (source, dimension, dim_key, attributes, deleted, position, position_text)
       SELECT s, d, k, a::jsonb, del, p, pt
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::numeric[], $7::text[]) AS t(s, d, k, a, del, p, pt)
       ON CONFLICT (source, dimension, dim_key) DO UPDATE
         SET attributes = EXCLUDED.attributes, deleted = EXCLUDED.deleted,
             position = EXCLUDED.position, position_text = EXCLUDED.position_text
         WHERE dimension_row.position < EXCLUDED.position
       RETURNING source, dimension, dim_key`,
      [
        dims.map((d) => d.source),
        dims.map((d) => d.dimension),
        dims.map((d) => d.key),
        dims.map((d) => (d.attributes ? JSON.stringify(d.attributes) : null)),
        dims.map((d) => d.attributes === null),
        dims.map((d) => d.position.value.toString()),
        dims.map((d) => d.position.text),
      ].map(arrayParameter),
    );
    const applied = new Set(res.rows.map((r) => dimId(r.source, r.dimension, r.dim_key)));
    ctx.appliedDims.push(...dims.filter((d) => applied.has(dimId(d.source, d.dimension, d.key))));
  }
}
