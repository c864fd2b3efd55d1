/**
 * The canonical side of a source's reconciliation, and the comparison: `stock_level` rows at the
 * source's authoritative locations against the expected stock (expected.ts), per (sku, location),
 * on hand, reserved and safety stock. A key missing on one side counts as on hand 0, reserved 0 and
 * no safety stock, as the merge leaves a key whose source rows are all gone.
 */
import type pg from 'pg';
import { normalizeDecimal } from '../decimal/index.ts';
import type { SourceMapping } from '../normalize/index.ts';
import { keyOf, type ExpectedKey, type SourceRowRef } from './expected.ts';

/** One canonical `stock_level` row, quantities normalised. */
export interface CanonicalKey {
  sku: string;
  location: string;
  onHand: string;
  reserved: string;
  safetyStock: string | null;
  /** The source change that produced this version (`binlog.000003:1234#0`, `lsn:0/2F3BA88`). */
  sourcePosition: string;
  version: number;
}

/** The values a difference is about, on one side. */
export interface KeyValues {
  onHand: string;
  reserved: string;
  safetyStock: string | null;
}

/** A (sku, location) whose canonical row differs from what the source says. */
export interface StockDifference {
  source: string;
  sku: string;
  location: string;
  /**
   * `missing`: the source has stock here, the canonical store no row; `unexpected`: a canonical
   * row with stock where the source has none; otherwise the first field that differs.
   */
  kind: 'missing' | 'unexpected' | 'on_hand' | 'reserved' | 'safety_stock';
  expected: KeyValues;
  actual: KeyValues | null;
  /** Source rows behind the key in the source database (what the source says). */
  sourceRows: SourceRowRef[];
  /** Source rows behind the key in the canonical store's `source_row` (what the pipeline saw); filled by {@link canonicalRowsBehind}. */
  canonicalRows: CanonicalSourceRow[];
}

/** A row of `source_row` mapped to a key. */
export interface CanonicalSourceRow {
  table: string;
  rowKey: string;
  role: string;
  quantity: string;
  reserved: string;
  position: string;
  productRef: string | null;
  locationRef: string | null;
}

const ZERO: KeyValues = { onHand: '0', reserved: '0', safetyStock: null };

/** A location pattern of a mapping (`*` = any run) as a LIKE pattern. */
function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/** The canonical rows at the mapping's authoritative locations (all of them, or only `keys`). */
export async function readCanonical(
  client: pg.ClientBase,
  mapping: SourceMapping,
  keys?: Array<{ sku: string; location: string }>,
): Promise<Map<string, CanonicalKey>> {
  const res = await client.query<{
    sku: string;
    location: string;
    on_hand: string;
    reserved: string;
    safety_stock: string | null;
    source_position: string;
    version: string;
  }>(
    `SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, source_position, version::text FROM stock_level
     WHERE location LIKE ANY ($1::text[])
       AND ($2::text[] IS NULL OR (sku, location) IN (SELECT * FROM unnest($2::text[], $3::text[])))`,
    [mapping.locations.map(likePattern), keys ? keys.map((k) => k.sku) : null, keys ? keys.map((k) => k.location) : null],
  );
  return new Map(
    res.rows.map((r) => [
      keyOf(r.sku, r.location),
      {
        sku: r.sku,
        location: r.location,
        onHand: normalizeDecimal(r.on_hand),
        reserved: normalizeDecimal(r.reserved),
        safetyStock: r.safety_stock === null ? null : normalizeDecimal(r.safety_stock),
        sourcePosition: r.source_position,
        version: Number(r.version),
      },
    ]),
  );
}

function valuesOf(key: ExpectedKey | CanonicalKey | undefined): KeyValues {
  return key ? { onHand: key.onHand, reserved: key.reserved, safetyStock: key.safetyStock } : ZERO;
}

/**
 * The keys whose canonical values differ from the expected ones, sorted by (sku, location).
 * Pure. A key absent on both sides agrees; absent on one side it compares as {@link ZERO}.
 */
export function compareStock(source: string, expected: Map<string, ExpectedKey>, canonical: Map<string, CanonicalKey>, only?: Set<string>): StockDifference[] {
  const out: StockDifference[] = [];
  for (const id of new Set([...expected.keys(), ...canonical.keys()])) {
    if (only && !only.has(id)) continue;
    const e = expected.get(id);
    const c = canonical.get(id);
    const x = valuesOf(e);
    const y = valuesOf(c);
    let kind: StockDifference['kind'] | null = null;
    if (x.onHand !== y.onHand) kind = 'on_hand';
    else if (x.reserved !== y.reserved) kind = 'reserved';
    else if (x.safetyStock !== y.safetyStock) kind = 'safety_stock';
    if (kind === null) continue;
    if (!c) kind = 'missing';
    else if (!e) kind = 'unexpected';
    const [sku, location] = id.split('\u001f') as [string, string];
    out.push({ source, sku, location, kind, expected: x, actual: c ? y : null, sourceRows: e?.rows ?? [], canonicalRows: [] });
  }
  return out.sort((a, b) => (a.sku !== b.sku ? (a.sku < b.sku ? -1 : 1) : a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
}

/** Fills each difference's {@link StockDifference.canonicalRows} from `source_row` (mapped, not deleted). */
export async function canonicalRowsBehind(client: pg.ClientBase, differences: StockDifference[]): Promise<void> {
  if (differences.length === 0) return;
  const res = await client.query<{
    sku: string;
    location: string;
    table_name: string;
    row_key: string;
    role: string;
    on_hand: string;
    reserved: string;
    position_text: string;
    product_ref: string | null;
    location_ref: string | null;
  }>(
    `SELECT sku, location, table_name, row_key, role, on_hand::text, reserved::text, position_text, product_ref, location_ref FROM source_row
     WHERE status = 'mapped' AND NOT deleted AND (source, sku, location) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
     ORDER BY table_name, row_key`,
    [differences.map((d) => d.source), differences.map((d) => d.sku), differences.map((d) => d.location)],
  );
  const byKey = new Map(differences.map((d) => [keyOf(d.sku, d.location), d]));
  for (const r of res.rows) {
    byKey.get(keyOf(r.sku, r.location))?.canonicalRows.push({
      table: r.table_name,
      rowKey: r.row_key,
      role: r.role,
      quantity: normalizeDecimal(r.on_hand),
      reserved: normalizeDecimal(r.reserved),
      position: r.position_text,
      productRef: r.product_ref,
      locationRef: r.location_ref,
    });
  }
}
