/**
 * The independent SQL oracles of the ERPNext source: expected canonical stock computed straight from
 * the ERPNext tables, sharing no code with the pipeline.
 *
 * Two ways, which must agree at every commit (ERPNext updates the Bin and the ledger in one
 * transaction):
 * - {@link erpnextOracle} reads the level table: `tabBin.actual_qty` and `reserved_qty` per
 *   (item_code, warehouse), for stock items in non-group warehouses;
 * - {@link erpnextLedgerOracle} sums the movement table: SUM(`actual_qty`) of the Stock Ledger Entries
 *   that count. ERPNext's semantics (v13+): a cancelled voucher's entries are all flagged
 *   `is_cancelled = 1` — the originals by an UPDATE, the reversing entries from their INSERT — and
 *   ERPNext's balances read `is_cancelled = 0` only. Summing every entry gives the same result, as
 *   each reversal cancels its original; the oracle uses ERPNext's filter.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { normalizeDecimal } from '../shared/decimal.ts';
import { compareStockKeys, type OracleRow } from '../shared/oracle.ts';

function codeOf(codes: Readonly<Record<string, string>> | undefined, warehouse: string, who: string): string {
  const location = codes ? codes[warehouse] : warehouse;
  if (location === undefined) throw new Error(`${who}: warehouse ${JSON.stringify(warehouse)} has no canonical location code`);
  return location;
}

/**
 * Expected stock of ERPNext from `tabBin`: on hand = `actual_qty`, reserved = `reserved_qty`, per
 * item_code (the SKU) and warehouse, for items with `is_stock_item = 1` in warehouses with
 * `is_group = 0` (disabled items and warehouses still count: ERPNext's stock balance includes
 * them). Bins at zero are included.
 *
 * @param conn - mysql2/promise connection on the ERPNext database.
 * @param locationCodes - warehouse name → canonical code; when omitted the warehouse name itself is
 *   the code (the sample's convention).
 * @returns rows sorted by (sku, location), quantities as normalised exact decimals.
 */
export async function erpnextOracle(conn: Connection, locationCodes?: Readonly<Record<string, string>>): Promise<OracleRow[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT b.item_code AS sku, b.warehouse AS loc, SUM(b.actual_qty) AS on_hand, SUM(b.reserved_qty) AS reserved
     FROM \`tabBin\` b
     JOIN \`tabItem\` i ON i.name = b.item_code
     JOIN \`tabWarehouse\` w ON w.name = b.warehouse
     WHERE i.is_stock_item = 1 AND w.is_group = 0
     GROUP BY b.item_code, b.warehouse`,
  );
  return rows
    .map(
      (r): OracleRow => ({
        sku: r.sku as string,
        location: codeOf(locationCodes, r.loc as string, 'erpnextOracle'),
        onHand: normalizeDecimal(String(r.on_hand)),
        reserved: normalizeDecimal(String(r.reserved)),
      }),
    )
    .sort(compareStockKeys);
}

/**
 * Expected stock of ERPNext from the stock ledger: on hand = SUM(`actual_qty`) of the
 * `tabStock Ledger Entry` rows with `is_cancelled = 0`, per item_code and warehouse (same item and
 * warehouse filters as {@link erpnextOracle}). The ledger holds no reservations: `reserved` is read
 * from `tabBin.reserved_qty` (0 where there is no Bin), so that the two oracles compare with
 * `diffStock` as a whole. Keys with Bins but no entries (reservations only) appear with on hand 0.
 *
 * @param opts.includeCancelled - sum every entry instead (cancelled originals and their reversals
 *   cancel out); for tests of that property.
 */
export async function erpnextLedgerOracle(
  conn: Connection,
  locationCodes?: Readonly<Record<string, string>>,
  opts: { includeCancelled?: boolean } = {},
): Promise<OracleRow[]> {
  const counted = opts.includeCancelled ? '' : 'AND s.is_cancelled = 0';
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT k.item_code AS sku, k.warehouse AS loc,
            COALESCE((SELECT SUM(s.actual_qty) FROM \`tabStock Ledger Entry\` s
                      WHERE s.item_code = k.item_code AND s.warehouse = k.warehouse ${counted}), 0) AS on_hand,
            COALESCE((SELECT SUM(b.reserved_qty) FROM \`tabBin\` b
                      WHERE b.item_code = k.item_code AND b.warehouse = k.warehouse), 0) AS reserved
     FROM (SELECT item_code, warehouse FROM \`tabStock Ledger Entry\` UNION SELECT item_code, warehouse FROM \`tabBin\`) k
     JOIN \`tabItem\` i ON i.name = k.item_code
     JOIN \`tabWarehouse\` w ON w.name = k.warehouse
     WHERE i.is_stock_item = 1 AND w.is_group = 0`,
  );
  return rows
    .map(
      (r): OracleRow => ({
        sku: r.sku as string,
        location: codeOf(locationCodes, r.loc as string, 'erpnextLedgerOracle'),
        onHand: normalizeDecimal(String(r.on_hand)),
        reserved: normalizeDecimal(String(r.reserved)),
      }),
    )
    .sort(compareStockKeys);
}
