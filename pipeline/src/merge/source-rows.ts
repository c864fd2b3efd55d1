/**
 * Merge step 6: write the source rows (`source_row`) in ONE statement, each once: the level changes
 * that passed the position check (step 3) with their resolution (step 5), the new resolution of the
 * stored rows joined to a changed dimension row, and the locks of every canonical key touched so far
 * (taken before step 7 reads the sums: a lock must be held before the statement whose snapshot it
 * protects starts). The upsert keeps the position check (`WHERE position < new position`), so a row
 * another instance wrote since step 3 read it (possible only while a partition changes hands) is
 * left alone and taken out of the result.
 */
import type { LevelChange, Resolution } from '../normalize/index.ts';
import { mergeCanonicalLock, mergeLockStatement } from '../postgres/advisory-locks.ts';
import { StatementParams } from '../postgres/statement.ts';
import { rowId, type MergeContext } from './context.ts';
import { countApplied } from './stored-rows.ts';

/** A resolution as the four `source_row` columns it sets; a deleted level row keeps its stored ones. */
function resolutionColumns(resolution: Resolution | undefined): [string | null, string | null, string, string | null, string | null] {
  if (!resolution) return [null, null, 'parked', null, null];
  if (resolution.status === 'mapped') return [resolution.sku, resolution.location, 'mapped', null, null];
  return [null, null, resolution.status, resolution.reason, resolution.field];
}

/** Writes `ctx.appliedLevels` and the joined rows' resolutions; takes the canonical key locks. */
export async function writeSourceRows(ctx: MergeContext): Promise<void> {
  const { client } = ctx;
  const params = new StatementParams();
  const ctes: string[] = [];
  const levels = ctx.appliedLevels.map((level) => ({ level, columns: resolutionColumns(ctx.resolutions.get(level.id)) }));
  if (levels.length > 0) {
    ctes.push(`written AS (
      INSERT INTO source_row (source, table_name, row_key, product_ref, location_ref, on_hand, reserved, deleted,
                              position, position_text, source_ts_ms, role, excluded, sku, location, status, status_reason, status_field)
      SELECT * FROM unnest(${params.columns(levels, [
        ['text', ({ level }) => level.source],
        ['text', ({ level }) => level.table],
        ['text', ({ level }) => level.rowKey],
        ['text', ({ level }) => level.productRef],
        ['text', ({ level }) => level.locationRef],
        ['numeric', ({ level }) => level.onHand],
        ['numeric', ({ level }) => level.reserved],
        ['bool', ({ level }) => level.deleted],
        ['numeric', ({ level }) => level.position.value.toString()],
        ['text', ({ level }) => level.position.text],
        ['bigint', ({ level }) => level.sourceTsMs],
        ['text', ({ level }) => level.role],
        ['text', ({ level }) => level.excluded],
        ['text', ({ columns }) => columns[0]],
        ['text', ({ columns }) => columns[1]],
        ['text', ({ columns }) => columns[2]],
        ['text', ({ columns }) => columns[3]],
        ['text', ({ columns }) => columns[4]],
      ])})
      ON CONFLICT (source, table_name, row_key) DO UPDATE SET
        role = EXCLUDED.role, excluded = EXCLUDED.excluded,
        product_ref = COALESCE(EXCLUDED.product_ref, source_row.product_ref),
        location_ref = COALESCE(EXCLUDED.location_ref, source_row.location_ref),
        on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, deleted = EXCLUDED.deleted,
        position = EXCLUDED.position, position_text = EXCLUDED.position_text,
        source_ts_ms = EXCLUDED.source_ts_ms, updated_at = now(),
        sku = CASE WHEN EXCLUDED.deleted THEN source_row.sku ELSE EXCLUDED.sku END,
        location = CASE WHEN EXCLUDED.deleted THEN source_row.location ELSE EXCLUDED.location END,
        status = CASE WHEN EXCLUDED.deleted THEN source_row.status ELSE EXCLUDED.status END,
        status_reason = CASE WHEN EXCLUDED.deleted THEN source_row.status_reason ELSE EXCLUDED.status_reason END,
        status_field = CASE WHEN EXCLUDED.deleted THEN source_row.status_field ELSE EXCLUDED.status_field END
      WHERE source_row.position < EXCLUDED.position
      RETURNING 1)`);
  }
  const joined = [...ctx.joined].map(([id, row]) => ({ row, columns: resolutionColumns(ctx.resolutions.get(id)) }));
  if (joined.length > 0) {
    ctes.push(`resolved AS (
      UPDATE source_row AS r SET sku = u.sku, location = u.location, status = u.status, status_reason = u.reason, status_field = u.field
      FROM unnest(${params.columns(joined, [
        ['text', ({ row }) => row.source],
        ['text', ({ row }) => row.table_name],
        ['text', ({ row }) => row.row_key],
        ['text', ({ columns }) => columns[0]],
        ['text', ({ columns }) => columns[1]],
        ['text', ({ columns }) => columns[2]],
        ['text', ({ columns }) => columns[3]],
        ['text', ({ columns }) => columns[4]],
      ])}) AS u(s, t, k, sku, location, status, reason, field)
      WHERE r.source = u.s AND r.table_name = u.t AND r.row_key = u.k
      RETURNING 1)`);
  }
  const keyLocks = canonicalKeyLockStatement(ctx);
  if (ctes.length === 0) {
    if (keyLocks) await client.query(keyLocks);
    return;
  }
  const selects = [
    levels.length > 0 ? '(SELECT count(*)::int FROM written) AS written' : '0 AS written',
    joined.length > 0 ? '(SELECT count(*) FROM resolved) AS resolved' : 'NULL AS resolved',
    ...(keyLocks ? [`(SELECT count(*) FROM (${keyLocks}) AS locks) AS locks`] : []),
  ];
  const res = await client.query<{ written: number }>(`WITH ${ctes.join(',\n')}\nSELECT ${selects.join(', ')}`, params.values);
  if (res.rows[0]!.written < levels.length) await dropUnwritten(ctx);
}

/**
 * Takes out of the result the level changes the upsert did not write (another instance wrote a
 * newer image of the row after step 3 read it): they count as stale, not resolved nor unmapped.
 */
async function dropUnwritten(ctx: MergeContext): Promise<void> {
  const { appliedLevels } = ctx;
  const res = await ctx.client.query<{ source: string; table_name: string; row_key: string }>(
    `SELECT source, table_name, row_key FROM source_row
     WHERE (source, table_name, row_key, position) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[]))`,
    [
      appliedLevels.map((l) => l.source),
      appliedLevels.map((l) => l.table),
      appliedLevels.map((l) => l.rowKey),
      appliedLevels.map((l) => l.position.value.toString()),
    ],
  );
  const written = new Set(res.rows.map((r) => rowId(r.source, r.table_name, r.row_key)));
  const unwritten = appliedLevels.filter((l) => !written.has(l.id));
  for (const level of unwritten) {
    const resolution = ctx.resolutions.get(level.id);
    if (resolution) ctx.result.resolutions[resolution.status]--;
  }
  const dropped = new Set<LevelChange>(unwritten);
  ctx.appliedLevels = appliedLevels.filter((l) => !dropped.has(l));
  // The unmapped entries hold the same change objects (resolve-rows.ts).
  ctx.result.unmapped = ctx.result.unmapped.filter((u) => !dropped.has(u.change));
  countApplied(ctx);
}

/** The statement taking the locks of every canonical key touched so far (null when none). */
export function canonicalKeyLockStatement(ctx: MergeContext): string | null {
  return mergeLockStatement(
    'canonical',
    [...ctx.affectedKeys.keys()].map((id) => {
      const [sku, location] = id.split('\u001f') as [string, string];
      return mergeCanonicalLock(sku, location);
    }),
  );
}
