/**
 * The independent SQL oracle: expected canonical stock computed straight from the source databases
 * with SQL, sharing no code with the pipeline. At quiescence the canonical table must equal it.
 *
 * Only the location code mapping comes from the sample model ({@link sampleLocations}); everything
 * else is read from the sources.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Client } from 'pg';
import { normalizeDecimal } from './decimal.ts';
import { sampleLocations } from './model.ts';

/** Expected stock for one (sku, location). Quantities are exact, normalised decimal strings. */
export interface OracleRow {
  /** SKU: POS `products.reference` or Odoo `product_product.default_code`. */
  sku: string;
  /** Canonical location code, e.g. `STORE-01` or `WH1/Stock`. */
  location: string;
  /** Units on hand, e.g. `"12.5"`, `"0"`, `"-3"`. */
  onHand: string;
  /** Units reserved (always `"0"` for the POS, which has no reservations). */
  reserved: string;
}

/** Sorts by sku, then location, by code unit (no locale), so results compare element-wise. */
function byKey(a: { sku: string; location: string }, b: { sku: string; location: string }): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  if (a.location !== b.location) return a.location < b.location ? -1 : 1;
  return 0;
}

/**
 * Expected stock of the POS: `SUM(stockcurrent.units)` per product reference and location (all
 * attribute set instances together), rounded to 6 decimals (the DOUBLEs are binary floats).
 * Rows whose sum is 0 are included: uniCenta keeps sold-out rows.
 *
 * @param conn - mysql2/promise connection on the POS database.
 * @param posLocationCodes - POS `locations.id` → canonical code; defaults to the sample's mapping
 *   for `stores` stores (default 3).
 * @param opts.stores - number of sample stores, used only when `posLocationCodes` is omitted.
 * @returns rows sorted by (sku, location).
 * @throws Error naming the location when a POS location has stock but no canonical code.
 */
export async function posOracle(
  conn: Connection,
  posLocationCodes?: Readonly<Record<string, string>>,
  opts: { stores?: number } = {},
): Promise<OracleRow[]> {
  const codes = posLocationCodes ?? sampleLocations({ stores: opts.stores }).posLocationCodes;
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT p.reference AS sku, l.id AS loc, CAST(ROUND(SUM(sc.units), 6) AS DECIMAL(65, 6)) AS on_hand
     FROM stockcurrent sc
     JOIN products p ON p.id = sc.product
     JOIN locations l ON l.id = sc.location
     GROUP BY p.reference, l.id`,
  );
  const out = rows.map((r): OracleRow => {
    const location = codes[r.loc as string];
    if (location === undefined) throw new Error(`posOracle: POS location ${JSON.stringify(r.loc)} has no canonical location code`);
    // mysql2 returns DECIMAL as a string (decimalNumbers is off by default); String() also covers it on.
    return { sku: r.sku as string, location, onHand: normalizeDecimal(String(r.on_hand)), reserved: '0' };
  });
  return out.sort(byKey);
}

/**
 * Expected stock of the warehouse: `SUM(quantity)` and `SUM(reserved_quantity)` of stock_quant per
 * product default_code and internal location complete_name, summed exactly as NUMERIC. Quants in
 * non-internal locations (vendors, customers, inventory adjustment, views, transit) and products
 * without a default_code are left out. A (sku, location) without quants has no row.
 *
 * @param client - connected pg.Client on the warehouse database.
 * @param warehouseLocationCodes - complete_name → canonical code; when omitted the complete_name
 *   itself is the code (the sample's convention).
 * @returns rows sorted by (sku, location).
 */
export async function warehouseOracle(client: Client, warehouseLocationCodes?: Readonly<Record<string, string>>): Promise<OracleRow[]> {
  const r = await client.query<{ sku: string; loc: string; on_hand: string; reserved: string }>(
    `SELECT pp.default_code AS sku, sl.complete_name AS loc,
            SUM(sq.quantity)::text AS on_hand, SUM(sq.reserved_quantity)::text AS reserved
     FROM stock_quant sq
     JOIN product_product pp ON pp.id = sq.product_id
     JOIN stock_location sl ON sl.id = sq.location_id
     WHERE sl.usage = 'internal' AND pp.default_code IS NOT NULL
     GROUP BY pp.default_code, sl.complete_name`,
  );
  const out = r.rows.map((row): OracleRow => {
    const location = warehouseLocationCodes ? warehouseLocationCodes[row.loc] : row.loc;
    if (location === undefined) throw new Error(`warehouseOracle: location ${JSON.stringify(row.loc)} has no canonical location code`);
    return { sku: row.sku, location, onHand: normalizeDecimal(row.on_hand), reserved: normalizeDecimal(row.reserved) };
  });
  return out.sort(byKey);
}

/**
 * Expected canonical stock of both sources together (store and warehouse location codes do not
 * overlap). Either source may be omitted.
 *
 * @returns rows sorted by (sku, location).
 */
export async function sampleOracle(sources: { pos?: Connection; warehouse?: Client; stores?: number }): Promise<OracleRow[]> {
  const rows: OracleRow[] = [];
  if (sources.pos) rows.push(...(await posOracle(sources.pos, undefined, { stores: sources.stores })));
  if (sources.warehouse) rows.push(...(await warehouseOracle(sources.warehouse)));
  return rows.sort(byKey);
}

/** One (sku, location) where the actual stock differs from the oracle. Missing rows show as null. */
export interface StockMismatch {
  sku: string;
  location: string;
  expected: { onHand: string; reserved: string } | null;
  actual: { onHand: string; reserved: string } | null;
}

/**
 * Compares expected (oracle) rows with actual (e.g. canonical table) rows. Quantities compare as
 * normalised decimals; a row missing on one side counts as on hand 0 and reserved 0, so a deleted
 * quant and a canonical row at zero agree.
 *
 * @returns the mismatches sorted by (sku, location); empty means equal.
 * @throws Error on duplicate (sku, location) rows in either input.
 */
export function diffStock(expected: readonly OracleRow[], actual: readonly OracleRow[]): StockMismatch[] {
  const index = (rows: readonly OracleRow[], side: string): Map<string, OracleRow> => {
    const m = new Map<string, OracleRow>();
    for (const row of rows) {
      const key = JSON.stringify([row.sku, row.location]);
      if (m.has(key)) throw new Error(`diffStock: duplicate ${side} row for ${row.sku} @ ${row.location}`);
      m.set(key, row);
    }
    return m;
  };
  const e = index(expected, 'expected');
  const a = index(actual, 'actual');
  const qty = (row: OracleRow | undefined): { onHand: string; reserved: string } =>
    row ? { onHand: normalizeDecimal(row.onHand), reserved: normalizeDecimal(row.reserved) } : { onHand: '0', reserved: '0' };
  const out: StockMismatch[] = [];
  for (const key of new Set([...e.keys(), ...a.keys()])) {
    const [sku, location] = JSON.parse(key) as [string, string];
    const x = qty(e.get(key));
    const y = qty(a.get(key));
    if (x.onHand !== y.onHand || x.reserved !== y.reserved) {
      out.push({ sku, location, expected: e.has(key) ? x : null, actual: a.has(key) ? y : null });
    }
  }
  return out.sort(byKey);
}
