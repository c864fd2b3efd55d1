/**
 * Merge: writes one batch of normalized changes into the canonical store in ONE transaction —
 * dimension rows, source rows (with the position check of design.md invariant 3), dimension joins,
 * and the recomputed canonical `stock_level` rows, plus an outbox row per canonical change for the
 * serve stage. Safe with several pipeline instances: keys are serialized with advisory locks taken
 * in a fixed order (dimension keys first, then canonical keys, each sorted).
 */
import type pg from 'pg';
import pRetry from 'p-retry';
import type { DimensionChange, LevelChange, NormalizedChange, TruncateChange } from '../normalize/normalize.ts';
import type { SourceMapping } from '../normalize/mapping.ts';
import { formatNormalized, normalizeDecimal, parseDecimal, subtractDecimal } from '../decimal/index.ts';
import { resolveLevelRow, type Resolution } from '../normalize/resolve.ts';
import { validateStockLevel, type StockLevelEvent } from './canonical-schema.ts';

/** Result of merging one batch. */
export interface MergeResult {
  /** Source and dimension rows whose position was newer than the stored one. */
  applied: number;
  /** Changes at or before the stored position (replays, late snapshot events): skipped. */
  skippedStale: number;
  /** Of `applied`, how many came from snapshot reads (op r). */
  snapshotApplied: number;
  /** Level rows resolved this batch, by resolution status. */
  resolutions: Record<Resolution['status'], number>;
  /** Canonical rows that changed, in the order written. */
  canonical: StockLevelEvent[];
  /** Level changes that were applied (not stale), with their positions and source transactions — for latency tracking. */
  appliedLevels: Array<{ source: string; table: string; rowKey: string; position: string; txId: string | null; snapshot: boolean }>;
  /**
   * Level changes of this batch that resolved to no code (empty code, value missing from a constant
   * map): the caller quarantines their records before the transaction commits.
   */
  unmapped: Array<{ change: LevelChange; reason: string; field: string }>;
  /** Wall time right after COMMIT returned, ms since epoch. */
  committedAtMs: number;
}

/** Runs inside the merge transaction, before COMMIT; a throw rolls the batch back. */
export type BeforeCommit = (result: MergeResult) => Promise<void>;

interface StoredRow {
  source: string;
  table_name: string;
  row_key: string;
  product_ref: string | null;
  location_ref: string | null;
  excluded: string | null;
  sku: string | null;
  location: string | null;
  status: string;
}

/** What caused a canonical key to be recomputed (recorded on the canonical row). */
interface Trigger {
  source: string;
  positionText: string;
  position: bigint;
  sourceTsMs: number | null;
}

const rowId = (source: string, table: string, rowKey: string) => `${source}\u001f${table}\u001f${rowKey}`;
const dimId = (source: string, dimension: string, key: string) => `${source}\u001f${dimension}\u001f${key}`;
const keyId = (sku: string, location: string) => `${sku}\u001f${location}`;

/**
 * Keeps, per identity, only the change with the highest position (they are applied as one); the
 * superseded changes of the same row are returned beside it (they count as merged with it).
 */
function latestPerIdentity<T extends NormalizedChange>(changes: T[], identity: (c: T) => string): Array<T & { superseded: T[] }> {
  const groups = new Map<string, T[]>();
  for (const change of changes) {
    const id = identity(change);
    const group = groups.get(id);
    if (group) group.push(change);
    else groups.set(id, [change]);
  }
  return [...groups.values()].map((group) => {
    const latest = group.reduce((a, b) => (a.position.value < b.position.value ? b : a));
    return { ...latest, superseded: group.filter((c) => c !== latest) };
  });
}

async function lockKeys(client: pg.ClientBase, keys: Iterable<string>): Promise<void> {
  const list = [...new Set(keys)];
  if (list.length === 0) return;
  await client.query(
    'SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS locks',
    [list],
  );
}

/**
 * Merges a batch. Retries the whole transaction on a deadlock or serialization failure.
 * @throws the database error when the transaction fails otherwise (the caller does not commit the
 *   Kafka offsets, so the batch is re-delivered).
 */
export async function mergeBatch(
  pool: pg.Pool,
  changes: NormalizedChange[],
  mappings: SourceMapping[],
  beforeCommit?: BeforeCommit,
): Promise<MergeResult> {
  return pRetry(
    async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await mergeInTransaction(client, changes, mappings);
        await beforeCommit?.(result);
        await client.query('COMMIT');
        result.committedAtMs = Date.now();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (code === '40P01' || code === '40001') throw error; // retried
        throw new AbortRetry(error as Error);
      } finally {
        client.release();
      }
    },
    { retries: 5, minTimeout: 20, maxTimeout: 500, shouldRetry: ({ error }) => !(error instanceof AbortRetry) },
  ).catch((error: unknown) => {
    throw error instanceof AbortRetry ? error.cause : error;
  });
}

class AbortRetry extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

async function mergeInTransaction(client: pg.ClientBase, changes: NormalizedChange[], mappings: SourceMapping[]): Promise<MergeResult> {
  const bySource = new Map(mappings.map((m) => [m.source, m]));
  const result: MergeResult = {
    applied: 0,
    skippedStale: 0,
    snapshotApplied: 0,
    resolutions: { mapped: 0, parked: 0, filtered: 0, unmapped: 0, 'not-authoritative': 0 },
    canonical: [],
    appliedLevels: [],
    unmapped: [],
    committedAtMs: 0,
  };
  const dims = latestPerIdentity(
    changes.filter((c): c is DimensionChange => c.kind === 'dimension'),
    (c) => dimId(c.source, c.dimension, c.key),
  );
  const levels = latestPerIdentity(
    changes.filter((c): c is LevelChange => c.kind === 'level'),
    (c) => rowId(c.source, c.table, c.rowKey),
  );

  // 1. Serialize on every dimension key this batch writes or joins against.
  const dimLocks: string[] = dims.map((d) => `dim:${dimId(d.source, d.dimension, d.key)}`);
  for (const level of levels) {
    if (level.deleted) continue;
    const spec = bySource.get(level.source)!.tables[level.table]!;
    if (spec.sku.lookup) dimLocks.push(`dim:${dimId(level.source, spec.sku.lookup.dimension, level.productRef!)}`);
    if (spec.location.lookup) dimLocks.push(`dim:${dimId(level.source, spec.location.lookup.dimension, level.locationRef!)}`);
  }
  await lockKeys(client, dimLocks);

  // 2. Dimension rows, newer positions only.
  const appliedDims: Array<DimensionChange & { superseded?: DimensionChange[] }> = [];
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
      ],
    );
    const applied = new Set(res.rows.map((r) => dimId(r.source, r.dimension, r.dim_key)));
    appliedDims.push(...dims.filter((d) => applied.has(dimId(d.source, d.dimension, d.key))));
  }

  // 3. Source rows, newer positions only. Read the previous canonical keys first (they may change).
  const previous = new Map<string, StoredRow>();
  if (levels.length > 0) {
    const res = await client.query<StoredRow>(
      `SELECT source, table_name, row_key, product_ref, location_ref, excluded, sku, location, status FROM source_row
       WHERE (source, table_name, row_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
       FOR UPDATE`,
      [levels.map((l) => l.source), levels.map((l) => l.table), levels.map((l) => l.rowKey)],
    );
    for (const row of res.rows) previous.set(rowId(row.source, row.table_name, row.row_key), row);
  }
  const appliedLevels: Array<LevelChange & { superseded: LevelChange[] }> = [];
  if (levels.length > 0) {
    const res = await client.query<{ source: string; table_name: string; row_key: string }>(
      `INSERT INTO source_row (source, table_name, row_key, product_ref, location_ref, on_hand, reserved, deleted,
                               position, position_text, source_ts_ms, role, excluded, status)
       SELECT s, t, k, pr, lr, oh, rs, del, p, pt, ts, r, ex, 'parked'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::bool[],
                   $9::numeric[], $10::text[], $11::bigint[], $12::text[], $13::text[]) AS x(s, t, k, pr, lr, oh, rs, del, p, pt, ts, r, ex)
       ON CONFLICT (source, table_name, row_key) DO UPDATE SET
         role = EXCLUDED.role, excluded = EXCLUDED.excluded,
         product_ref = COALESCE(EXCLUDED.product_ref, source_row.product_ref),
         location_ref = COALESCE(EXCLUDED.location_ref, source_row.location_ref),
         on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, deleted = EXCLUDED.deleted,
         position = EXCLUDED.position, position_text = EXCLUDED.position_text,
         source_ts_ms = EXCLUDED.source_ts_ms, updated_at = now()
       WHERE source_row.position < EXCLUDED.position
       RETURNING source, table_name, row_key`,
      [
        levels.map((l) => l.source),
        levels.map((l) => l.table),
        levels.map((l) => l.rowKey),
        levels.map((l) => l.productRef),
        levels.map((l) => l.locationRef),
        levels.map((l) => l.onHand),
        levels.map((l) => l.reserved),
        levels.map((l) => l.deleted),
        levels.map((l) => l.position.value.toString()),
        levels.map((l) => l.position.text),
        levels.map((l) => l.sourceTsMs),
        levels.map((l) => l.role),
        levels.map((l) => l.excluded),
      ],
    );
    const applied = new Set(res.rows.map((r) => rowId(r.source, r.table_name, r.row_key)));
    appliedLevels.push(...levels.filter((l) => applied.has(rowId(l.source, l.table, l.rowKey))));
  }
  result.applied = appliedDims.length + appliedLevels.length;
  result.skippedStale = dims.length + levels.length - result.applied;
  result.snapshotApplied = appliedDims.filter((d) => d.snapshot).length + appliedLevels.filter((l) => l.snapshot).length;
  result.appliedLevels = appliedLevels.flatMap((l) =>
    [l, ...l.superseded].map((c) => ({ source: c.source, table: c.table, rowKey: c.rowKey, position: c.position.text, txId: c.txId, snapshot: c.snapshot })),
  );

  const affectedKeys = new Map<string, Trigger>();
  const touchKey = (sku: string | null, location: string | null, trigger: Trigger) => {
    if (sku === null || location === null) return;
    const id = keyId(sku, location);
    const current = affectedKeys.get(id);
    if (!current || current.position < trigger.position) affectedKeys.set(id, trigger);
  };

  // 3b. Truncates under the delete-rows policy: rows written before the TRUNCATE count no more.
  // Applied after the upserts above, so the position test sorts out rows of this very batch too.
  for (const truncate of changes.filter((c): c is TruncateChange => c.kind === 'truncate')) {
    const trigger: Trigger = { source: truncate.source, positionText: truncate.position.text, position: truncate.position.value, sourceTsMs: null };
    if (truncate.dimension === null) {
      const cleared = await client.query<{ sku: string | null; location: string | null; status: string }>(
        `UPDATE source_row SET deleted = true, on_hand = 0, reserved = 0, position = $3, position_text = $4, updated_at = now()
         WHERE source = $1 AND table_name = $2 AND position < $3 AND NOT deleted
         RETURNING sku, location, status`,
        [truncate.source, truncate.table, truncate.position.value.toString(), truncate.position.text],
      );
      for (const row of cleared.rows) if (row.status === 'mapped') touchKey(row.sku, row.location, trigger);
      result.applied += cleared.rowCount ?? 0;
    } else {
      const cleared = await client.query<{ dim_key: string }>(
        `UPDATE dimension_row SET deleted = true, attributes = NULL, position = $3, position_text = $4
         WHERE source = $1 AND dimension = $2 AND position < $3 AND NOT deleted
         RETURNING dim_key`,
        [truncate.source, truncate.dimension, truncate.position.value.toString(), truncate.position.text],
      );
      // The rows joined to them are re-resolved below, as for deleted dimension rows.
      for (const row of cleared.rows) {
        appliedDims.push({ kind: 'dimension', source: truncate.source, dimension: truncate.dimension, key: row.dim_key, attributes: null, position: truncate.position, snapshot: false, superseded: [] });
      }
      result.applied += cleared.rowCount ?? 0;
    }
  }

  // 4. Rows to (re-)resolve: applied level rows, and rows joined to a dimension row that changed.
  const toResolve = new Map<string, { row: StoredRow; trigger: Trigger }>();
  for (const level of appliedLevels) {
    const id = rowId(level.source, level.table, level.rowKey);
    const before = previous.get(id);
    const trigger: Trigger = { source: level.source, positionText: level.position.text, position: level.position.value, sourceTsMs: level.sourceTsMs };
    if (before?.status === 'mapped') touchKey(before.sku, before.location, trigger);
    if (level.deleted) continue;
    toResolve.set(id, {
      row: {
        source: level.source, table_name: level.table, row_key: level.rowKey,
        product_ref: level.productRef, location_ref: level.locationRef, excluded: level.excluded,
        sku: before?.sku ?? null, location: before?.location ?? null, status: before?.status ?? 'parked',
      },
      trigger,
    });
  }
  for (const dim of appliedDims) {
    const mapping = bySource.get(dim.source)!;
    const trigger: Trigger = { source: dim.source, positionText: dim.position.text, position: dim.position.value, sourceTsMs: null };
    for (const [table, spec] of Object.entries(mapping.tables)) {
      for (const [column, rule] of [['product_ref', spec.sku], ['location_ref', spec.location]] as const) {
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

  // 5. Join against the stored dimension rows (this batch's included, written above).
  const neededDims = new Map<string, [string, string, string]>();
  for (const { row } of toResolve.values()) {
    const spec = bySource.get(row.source)!.tables[row.table_name]!;
    for (const [rule, ref] of [[spec.sku, row.product_ref], [spec.location, row.location_ref]] as const) {
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
  const appliedById = new Map(appliedLevels.map((l) => [rowId(l.source, l.table, l.rowKey), l]));
  for (const { row, trigger } of toResolve.values()) {
    const mapping = bySource.get(row.source)!;
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
    if (row.status === 'mapped') touchKey(row.sku, row.location, trigger);
    if (resolution.status === 'mapped') touchKey(resolution.sku, resolution.location, trigger);
    updates.push({ row, resolution });
  }
  if (updates.length > 0) {
    await client.query(
      `UPDATE source_row AS r SET sku = u.sku, location = u.location, status = u.status, status_reason = u.reason, status_field = u.field
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
            AS u(s, t, k, sku, location, status, reason, field)
       WHERE r.source = u.s AND r.table_name = u.t AND r.row_key = u.k`,
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

  // 6. Recompute every affected canonical key from its mapped source rows.
  if (affectedKeys.size > 0) {
    const keys = [...affectedKeys.keys()].sort().map((id) => id.split('\u001f') as [string, string]);
    await lockKeys(client, keys.map(([sku, location]) => `key:${keyId(sku, location)}`));
    const sums = await client.query<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null; rows: string }>(
      `SELECT k.sku, k.location,
              COALESCE(sum(r.on_hand) FILTER (WHERE r.role <> 'safety'), 0)::text AS on_hand,
              COALESCE(sum(r.reserved) FILTER (WHERE r.role <> 'safety'), 0)::text AS reserved,
              (sum(r.on_hand) FILTER (WHERE r.role = 'safety'))::text AS safety_stock,
              count(r.row_key)::text AS rows
       FROM unnest($1::text[], $2::text[]) AS k(sku, location)
       LEFT JOIN source_row r ON r.sku = k.sku AND r.location = k.location AND r.status = 'mapped' AND NOT r.deleted
       GROUP BY k.sku, k.location`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    const current = await client.query<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null; version: string }>(
      `SELECT s.sku, s.location, s.on_hand::text, s.reserved::text, s.safety_stock::text, s.version::text FROM stock_level s
       JOIN unnest($1::text[], $2::text[]) AS k(sku, location) ON s.sku = k.sku AND s.location = k.location
       FOR UPDATE OF s`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    const currentByKey = new Map(current.rows.map((r) => [keyId(r.sku, r.location), r]));
    const events: StockLevelEvent[] = [];
    for (const sum of sums.rows) {
      const id = keyId(sum.sku, sum.location);
      const existing = currentByKey.get(id);
      const onHand = normalizeDecimal(sum.on_hand);
      const reserved = normalizeDecimal(sum.reserved);
      const safetyStock = sum.safety_stock === null ? null : normalizeDecimal(sum.safety_stock);
      if (!existing && sum.rows === '0') continue;
      if (
        existing &&
        normalizeDecimal(existing.on_hand) === onHand &&
        normalizeDecimal(existing.reserved) === reserved &&
        (existing.safety_stock === null ? null : normalizeDecimal(existing.safety_stock)) === safetyStock
      ) {
        continue;
      }
      const trigger = affectedKeys.get(id)!;
      const available = formatNormalized(subtractDecimal(parseDecimal(onHand), parseDecimal(reserved)));
      events.push({
        sku: sum.sku,
        location: sum.location,
        on_hand: onHand,
        reserved,
        available,
        safety_stock: safetyStock,
        source: trigger.source,
        source_position: trigger.positionText,
        source_ts_ms: trigger.sourceTsMs,
        version: existing ? Number(existing.version) + 1 : 1,
        updated_at: 0,
      });
    }
    if (events.length > 0) {
      const written = await client.query<{ sku: string; location: string; updated_ms: string }>(
        `INSERT INTO stock_level (sku, location, on_hand, reserved, safety_stock, source, source_position, source_ts_ms, version, updated_at)
         SELECT sku, location, oh, rs, ss, src, pos, ts, v, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::numeric[])
              AS e(sku, location, oh, rs, src, pos, ts, v, ss)
         ON CONFLICT (sku, location) DO UPDATE SET
           on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, safety_stock = EXCLUDED.safety_stock, source = EXCLUDED.source,
           source_position = EXCLUDED.source_position, source_ts_ms = EXCLUDED.source_ts_ms,
           version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
         RETURNING sku, location, (extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_ms`,
        [
          events.map((e) => e.sku),
          events.map((e) => e.location),
          events.map((e) => e.on_hand),
          events.map((e) => e.reserved),
          events.map((e) => e.source),
          events.map((e) => e.source_position),
          events.map((e) => e.source_ts_ms),
          events.map((e) => e.version),
          events.map((e) => e.safety_stock),
        ],
      );
      const updatedAt = new Map(written.rows.map((r) => [keyId(r.sku, r.location), Number(r.updated_ms)]));
      for (const event of events) {
        event.updated_at = updatedAt.get(keyId(event.sku, event.location))!;
        validateStockLevel(event);
      }
      await client.query(
        `INSERT INTO canonical_outbox (sku, location, version, payload)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[])`,
        [events.map((e) => e.sku), events.map((e) => e.location), events.map((e) => e.version), events.map((e) => JSON.stringify(e))],
      );
      result.canonical = events;
    }
  }

  // 7. Durable counters, shared by every instance.
  const counters: Record<string, number> = {
    'merge.skipped_stale': result.skippedStale,
    'merge.not_authoritative': result.resolutions['not-authoritative'],
    'merge.unmapped': result.resolutions.unmapped,
  };
  const nonZero = Object.entries(counters).filter(([, v]) => v > 0);
  if (nonZero.length > 0) {
    await client.query(
      `INSERT INTO pipeline_counter (name, value) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (name) DO UPDATE SET value = pipeline_counter.value + EXCLUDED.value`,
      [nonZero.map(([k]) => k), nonZero.map(([, v]) => v)],
    );
  }
  return result;
}
