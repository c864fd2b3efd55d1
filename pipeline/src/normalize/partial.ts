/**
 * Partial row images: PostgreSQL does not send an unchanged TOASTed column (a large value stored
 * out of line) in an UPDATE of a table at REPLICA IDENTITY DEFAULT, and Debezium writes a
 * placeholder instead (`__debezium_unavailable_value`; decode turns it into `UNCHANGED`). Such an
 * image is never used as a value: normalize leaves the column out and marks it
 * (`DimensionChange.unchanged`, `LevelChange.keepStored`), and the merge completes the change from
 * the row's earlier image — the older changes of the row in the same batch, then the stored row
 * (`dimension_row.attributes`; `source_row.product_ref`, `location_ref`, `excluded`) — with the
 * functions below, before it writes anything. Pure: the caller reads the stored rows.
 */
import type { DimensionChange, KeptField, LevelChange } from './normalize.ts';

/** What a stored `source_row` says about the fields a level change may keep. */
export interface StoredLevel {
  product_ref: string | null;
  location_ref: string | null;
  excluded: string | null;
}

type Attributes = NonNullable<DimensionChange['attributes']>;

const byPosition = <T extends { position: { value: bigint } }>(changes: readonly T[], before: T): T[] =>
  changes
    .filter((c) => c.position.value < before.position.value)
    .sort((a, b) => (a.position.value < b.position.value ? -1 : a.position.value > b.position.value ? 1 : 0));

/**
 * Completes a dimension change whose image lacked columns (`unchanged`): each takes its value from
 * the latest earlier image of the row that had it — `earlier` changes of the same row (any order;
 * those at or after `change` are ignored), else `stored`. A column no earlier image has stays out
 * of `attributes` (a lookup of it finds no code) and in `unchanged`.
 * @param stored - the stored `dimension_row.attributes`; null when the row is stored as deleted,
 *   undefined when it is not stored.
 * @returns `change` itself when it is whole, else a completed copy.
 */
export function completeDimensionChange<T extends DimensionChange>(change: T, earlier: readonly DimensionChange[], stored: Attributes | null | undefined): T {
  if (!change.unchanged || change.attributes === null) return change;
  let known: Attributes | null = stored ?? null;
  for (const older of byPosition(earlier, change)) {
    if (older.attributes === null) known = null;
    else known = { ...pick(known, older.unchanged ?? []), ...older.attributes };
  }
  const kept = pick(known, change.unchanged);
  const left = change.unchanged.filter((column) => !(column in kept));
  const { unchanged: _unchanged, ...rest } = change;
  return { ...rest, attributes: { ...kept, ...change.attributes }, ...(left.length > 0 ? { unchanged: left } : {}) } as T;
}

function pick(attributes: Attributes | null, columns: readonly string[]): Attributes {
  const out: Attributes = {};
  if (attributes) for (const column of columns) if (Object.hasOwn(attributes, column)) out[column] = attributes[column]!;
  return out;
}

/**
 * Completes a level change that left fields to the stored row (`keepStored`): each takes the value
 * the row had just before it — from the latest `earlier` change of the same row that knew it (those
 * at or after `change` are ignored), else from `stored` — as the merge's upsert would have left it
 * (a delete keeps the ids). A field no earlier image knows stays in `keepStored`: ids stay null
 * (the row resolves to `unmapped`), `excluded` keeps the reason normalize gave.
 * @param stored - the stored `source_row`, undefined when there is none.
 * @returns `change` itself when it is whole, else a completed copy.
 */
export function completeLevelChange<T extends LevelChange>(change: T, earlier: readonly LevelChange[], stored: StoredLevel | undefined): T {
  if (!change.keepStored) return change;
  const known: Partial<Record<KeptField, string | null>> = stored
    ? { productRef: stored.product_ref, locationRef: stored.location_ref, excluded: stored.excluded }
    : {};
  for (const older of byPosition(earlier, change)) {
    const keep = older.keepStored ?? [];
    // As the upsert writes a row: ids only when known (COALESCE), the filter's decision always.
    if (older.productRef !== null) known.productRef = older.productRef;
    if (older.locationRef !== null) known.locationRef = older.locationRef;
    if (!keep.includes('excluded')) known.excluded = older.excluded;
  }
  const out = { ...change };
  const left: KeptField[] = [];
  for (const field of change.keepStored) {
    const value = known[field];
    if (value === undefined || (field !== 'excluded' && value === null)) left.push(field);
    else out[field] = value;
  }
  if (left.length > 0) out.keepStored = left;
  else delete out.keepStored;
  return out;
}
