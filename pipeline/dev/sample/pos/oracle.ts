/**
 * The independent SQL oracle of the POS: expected canonical stock computed straight from the
 * uniCenta tables with SQL, sharing no code with the pipeline.
 *
 * Only the location code mapping comes from the sample model ({@link sampleLocations}); everything
 * else is read from the database.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { normalizeDecimal } from '../shared/decimal.ts';
import { sampleLocations } from '../shared/model.ts';
import { compareStockKeys, type OracleRow } from '../shared/oracle.ts';

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
export async function posOracle(conn: Connection, posLocationCodes?: Readonly<Record<string, string>>, opts: { stores?: number } = {}): Promise<OracleRow[]> {
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
  return out.sort(compareStockKeys);
}
