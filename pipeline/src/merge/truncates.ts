/**
 * Truncates under the delete-rows policy: rows written before the TRUNCATE count no more. Applied
 * after the upserts of their kind of row — dimension tables after step 2 (step 2b), level tables
 * after step 6 (step 6b) — so the position test sorts out rows of this very batch too.
 */
import type { TruncateChange } from '../normalize/index.ts';
import { touchKey, type MergeContext, type Trigger } from './context.ts';
import { canonicalKeyLockStatement } from './source-rows.ts';

const truncatesOf = (ctx: MergeContext, kind: 'dimension' | 'level') =>
  ctx.batch.filter((c): c is TruncateChange => c.kind === 'truncate' && (c.dimension === null) === (kind === 'level'));

/**
 * Step 2b: deletes the truncated dimension tables' rows older than the TRUNCATE and adds them to
 * `ctx.appliedDims`, so the rows joined to them are re-resolved (steps 3-6).
 */
export async function applyDimensionTruncates(ctx: MergeContext): Promise<void> {
  await applyTruncates(ctx, truncatesOf(ctx, 'dimension'));
}

/**
 * Step 6b: marks the truncated level tables' rows older than the TRUNCATE deleted, touches their
 * canonical keys, and takes the locks of those keys (a second lock statement, in bucket order;
 * buckets step 6 took already are held).
 */
export async function applyLevelTruncates(ctx: MergeContext): Promise<void> {
  const truncates = truncatesOf(ctx, 'level');
  if (truncates.length === 0) return;
  await applyTruncates(ctx, truncates);
  const keyLocks = canonicalKeyLockStatement(ctx);
  if (keyLocks) await ctx.client.query(keyLocks);
}

async function applyTruncates(ctx: MergeContext, truncates: TruncateChange[]): Promise<void> {
  const { client, result } = ctx;
  for (const truncate of truncates) {
    const trigger: Trigger = { source: truncate.source, positionText: truncate.position.text, position: truncate.position.value, sourceTsMs: null };
    if (truncate.dimension === null) {
      const cleared = await client.query<{ sku: string | null; location: string | null; status: string }>(
        `UPDATE source_row SET deleted = true, on_hand = 0, reserved = 0, position = $3, position_text = $4, updated_at = now()
         WHERE source = $1 AND table_name = $2 AND position < $3 AND NOT deleted
         RETURNING sku, location, status`,
        [truncate.source, truncate.table, truncate.position.value.toString(), truncate.position.text],
      );
      for (const row of cleared.rows) if (row.status === 'mapped') touchKey(ctx, row.sku, row.location, trigger);
      result.applied += cleared.rowCount ?? 0;
    } else {
      const cleared = await client.query<{ dim_key: string }>(
        `UPDATE dimension_row SET deleted = true, attributes = NULL, position = $3, position_text = $4
         WHERE source = $1 AND dimension = $2 AND position < $3 AND NOT deleted
         RETURNING dim_key`,
        [truncate.source, truncate.dimension, truncate.position.value.toString(), truncate.position.text],
      );
      // The rows joined to them are re-resolved in steps 3 to 6, as for deleted dimension rows.
      for (const row of cleared.rows) {
        ctx.appliedDims.push({
          kind: 'dimension',
          source: truncate.source,
          dimension: truncate.dimension,
          key: row.dim_key,
          attributes: null,
          position: truncate.position,
          snapshot: false,
          superseded: [],
        });
      }
      result.applied += cleared.rowCount ?? 0;
    }
  }
}
