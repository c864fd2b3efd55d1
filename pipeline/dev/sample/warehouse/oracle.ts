/**
 * The independent SQL oracle of the warehouse: expected canonical stock computed straight from the
 * Odoo tables with SQL, sharing no code with the pipeline.
 */
import type { Client } from 'pg';
import { normalizeDecimal } from '../shared/decimal.ts';
import { compareStockKeys, type OracleRow } from '../shared/oracle.ts';

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
  return out.sort(compareStockKeys);
}
