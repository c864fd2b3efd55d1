/**
 * The state one merge transaction works over: the client, the batch, the mappings, what the steps
 * found and wrote so far, and the accumulating result. Created once per attempt
 * (`createMergeContext`), then handed to each step in turn (merge-batch.ts lists them); a step reads
 * what earlier steps filled in and fills in its own part.
 */
import type pg from 'pg';
import type { DimensionChange, LevelChange, NormalizedChange } from '../normalize/index.ts';
import type { SourceMapping } from '../normalize/index.ts';
import type { Resolution } from '../normalize/index.ts';
import type { StockLevelEvent } from './canonical-schema.ts';

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

/** A `source_row` as read for (re-)resolution: its refs, filter verdict and current resolution. */
export interface StoredRow {
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

/** A stored `source_row` as read in step 3, with its position (integer `numeric`, as text). */
export interface StoredRowAt extends StoredRow {
  position: string;
}

/** What caused a canonical key to be recomputed (recorded on the canonical row). */
export interface Trigger {
  source: string;
  positionText: string;
  position: bigint;
  sourceTsMs: number | null;
}

/**
 * The change with the highest position of one identity, the older changes of it in the batch, and
 * the identity (`rowId` or `dimId`, computed once: the steps look rows up by it).
 */
export type Latest<T extends NormalizedChange> = T & { superseded: T[]; id: string };

export interface MergeContext {
  /** The connection the transaction runs on. */
  client: pg.ClientBase;
  /** The batch, in Kafka order. */
  batch: NormalizedChange[];
  /** The source mappings, by source name. */
  mappingBySource: ReadonlyMap<string, SourceMapping>;
  /** The batch's dimension changes, the latest per (source, dimension, key). */
  dims: Array<Latest<DimensionChange>>;
  /** The batch's level changes, the latest per (source, table, row key). */
  levels: Array<Latest<LevelChange>>;

  /** Step 2 (and 3b, for truncated dimension tables): dimension rows written, newer than the stored ones. */
  appliedDims: Array<DimensionChange & { superseded?: DimensionChange[] }>;
  /** Step 3: the stored `source_row` of each level change before this batch, by `rowId`. */
  previous: Map<string, StoredRowAt>;
  /** Step 3: stored rows joined to a dimension row of `appliedDims` (not level changes of `appliedLevels`), by `rowId`. */
  joined: Map<string, StoredRowAt>;
  /** Step 3: level changes newer than the stored rows, to write in step 6 (confirmed there). */
  appliedLevels: Array<Latest<LevelChange>>;
  /** Steps 4-6b: canonical keys to recompute in step 7, by `keyId`, each with its latest trigger (see `touchKey`). */
  affectedKeys: Map<string, Trigger>;
  /** Step 4: source rows to (re-)resolve in step 5, by `rowId`; `level` is the batch's change of the row, if any. */
  toResolve: Map<string, { row: StoredRow; trigger: Trigger; level?: Latest<LevelChange> }>;
  /** Step 5: the resolution of each row of `toResolve`, by `rowId`, written in step 6. */
  resolutions: Map<string, Resolution>;

  /** What the caller gets back; steps add to it. */
  result: MergeResult;
}

// Map keys of the steps, parts joined by U+001F (the unit separator, which no identifier contains).
/** Identity of a source row: (source, table, row key). */
export const rowId = (source: string, table: string, rowKey: string) => `${source}\u001f${table}\u001f${rowKey}`;
/** Identity of a dimension row: (source, dimension, key). */
export const dimId = (source: string, dimension: string, key: string) => `${source}\u001f${dimension}\u001f${key}`;
/** Identity of a canonical row: (sku, location); step 6 splits it back on U+001F (the canonical key locks). */
export const keyId = (sku: string, location: string) => `${sku}\u001f${location}`;

/**
 * Keeps, per identity, only the change with the highest position (they are applied as one); the
 * superseded changes of the same row are returned beside it (they count as merged with it).
 */
function latestPerIdentity<T extends NormalizedChange>(changes: T[], identity: (c: T) => string): Array<Latest<T>> {
  const groups = new Map<string, T[]>();
  for (const change of changes) {
    const id = identity(change);
    const group = groups.get(id);
    if (group) group.push(change);
    else groups.set(id, [change]);
  }
  return [...groups].map(([id, group]) => {
    const latest = group.length === 1 ? group[0]! : group.reduce((a, b) => (a.position.value < b.position.value ? b : a));
    return { ...latest, superseded: group.length === 1 ? [] : group.filter((c) => c !== latest), id };
  });
}

/** The context of one merge attempt over `batch`, nothing found or written yet. */
export function createMergeContext(client: pg.ClientBase, batch: NormalizedChange[], mappings: SourceMapping[]): MergeContext {
  return {
    client,
    batch,
    mappingBySource: new Map(mappings.map((m) => [m.source, m])),
    dims: latestPerIdentity(
      batch.filter((c): c is DimensionChange => c.kind === 'dimension'),
      (c) => dimId(c.source, c.dimension, c.key),
    ),
    levels: latestPerIdentity(
      batch.filter((c): c is LevelChange => c.kind === 'level'),
      (c) => rowId(c.source, c.table, c.rowKey),
    ),
    appliedDims: [],
    previous: new Map(),
    joined: new Map(),
    appliedLevels: [],
    affectedKeys: new Map(),
    toResolve: new Map(),
    resolutions: new Map(),
    result: {
      applied: 0,
      skippedStale: 0,
      snapshotApplied: 0,
      resolutions: { mapped: 0, parked: 0, filtered: 0, unmapped: 0, 'not-authoritative': 0 },
      canonical: [],
      appliedLevels: [],
      unmapped: [],
      committedAtMs: 0,
    },
  };
}

/**
 * Marks the canonical key (sku, location) for recomputation in step 7, keeping the trigger with the
 * highest position. A row without a key (not mapped) touches nothing.
 */
export function touchKey(ctx: MergeContext, sku: string | null, location: string | null, trigger: Trigger): void {
  if (sku === null || location === null) return;
  const id = keyId(sku, location);
  const current = ctx.affectedKeys.get(id);
  if (!current || current.position < trigger.position) ctx.affectedKeys.set(id, trigger);
}
