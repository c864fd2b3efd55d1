/**
 * Consistency checks of the sample ERPNext database: the invariants ERPNext keeps between its Bins
 * (levels) and its Stock Ledger (movements), checked with SQL straight over the tables. The seeder
 * and the operations must leave a database on which {@link checkErpnextConsistency} finds nothing.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';

const SLE = '`tabStock Ledger Entry`';

/** Each invariant: a name and a query returning one row per violation (`what` describes it). */
const CHECKS: readonly { name: string; sql: string }[] = [
  {
    name: 'Bin actual_qty = SUM(actual_qty) of the SLEs with is_cancelled = 0',
    sql: `SELECT CONCAT(b.name, ' ', b.item_code, ' @ ', b.warehouse, ': bin ', b.actual_qty, ', ledger ', COALESCE(l.qty, 0)) AS what
          FROM \`tabBin\` b
          LEFT JOIN (SELECT item_code, warehouse, SUM(actual_qty) AS qty FROM ${SLE} WHERE is_cancelled = 0 GROUP BY item_code, warehouse) l
            ON l.item_code = b.item_code AND l.warehouse = b.warehouse
          WHERE b.actual_qty <> COALESCE(l.qty, 0)`,
  },
  {
    name: 'every (item, warehouse) with ledger entries has a Bin',
    sql: `SELECT DISTINCT CONCAT(s.item_code, ' @ ', s.warehouse) AS what FROM ${SLE} s
          LEFT JOIN \`tabBin\` b ON b.item_code = s.item_code AND b.warehouse = s.warehouse WHERE b.name IS NULL`,
  },
  {
    name: 'projected_qty = actual + ordered + indented + planned - reserved - reserved for production - for subcontracting',
    sql: `SELECT CONCAT(name, ': projected ', projected_qty) AS what FROM \`tabBin\`
          WHERE projected_qty <> actual_qty + ordered_qty + indented_qty + planned_qty - reserved_qty
                                - reserved_qty_for_production - reserved_qty_for_sub_contract`,
  },
  {
    name: 'no Bin below zero (actual or reserved)',
    sql: "SELECT CONCAT(name, ': actual ', actual_qty, ', reserved ', reserved_qty) AS what FROM `tabBin` WHERE actual_qty < 0 OR reserved_qty < 0",
  },
  {
    name: 'Bins only for stock items in non-group warehouses',
    sql: `SELECT CONCAT(b.name, ' ', b.item_code, ' @ ', b.warehouse) AS what FROM \`tabBin\` b
          LEFT JOIN \`tabItem\` i ON i.name = b.item_code LEFT JOIN \`tabWarehouse\` w ON w.name = b.warehouse
          WHERE i.name IS NULL OR w.name IS NULL OR i.is_stock_item <> 1 OR w.is_group <> 0`,
  },
  {
    name: 'qty_after_transaction of SLEs with is_cancelled = 0 is the running sum in posting order',
    sql: `SELECT CONCAT(name, ': qty_after_transaction ', qty_after_transaction, ', running sum ', running) AS what FROM (
            SELECT name, qty_after_transaction,
                   SUM(actual_qty) OVER (PARTITION BY item_code, warehouse ORDER BY posting_datetime, creation, name) AS running
            FROM ${SLE} WHERE is_cancelled = 0) r
          WHERE qty_after_transaction <> running`,
  },
  {
    name: 'posting_datetime = posting_date + posting_time; submitted (docstatus 1)',
    sql: `SELECT CONCAT(name, ': ', posting_datetime, ' / ', posting_date, ' ', posting_time, ' / docstatus ', docstatus) AS what FROM ${SLE}
          WHERE posting_datetime <> TIMESTAMP(posting_date, posting_time) OR docstatus <> 1`,
  },
  {
    name: 'each line of a cancelled voucher has an original and a reversal per line, summing to 0',
    sql: `SELECT CONCAT(voucher_type, ' ', voucher_no, ' ', item_code, ' @ ', warehouse, ' row ', voucher_detail_no,
                        ': cancelled ', SUM(is_cancelled), '/', COUNT(*), ', sum ', SUM(actual_qty)) AS what
          FROM ${SLE} GROUP BY voucher_type, voucher_no, voucher_detail_no, item_code, warehouse
          HAVING NOT ((SUM(is_cancelled) = 0)
                   OR (SUM(is_cancelled) = COUNT(*) AND SUM(actual_qty) = 0 AND COUNT(*) % 2 = 0
                       AND SUM(actual_qty > 0) = SUM(actual_qty < 0) AND COUNT(DISTINCT posting_datetime) = 1))`,
  },
  {
    name: 'a voucher is cancelled as a whole',
    sql: `SELECT CONCAT(voucher_type, ' ', voucher_no, ': cancelled ', SUM(is_cancelled), '/', COUNT(*)) AS what FROM ${SLE}
          GROUP BY voucher_type, voucher_no HAVING SUM(is_cancelled) NOT IN (0, COUNT(*))`,
  },
  {
    name: 'naming-series counters are at or past every name handed out',
    sql: `SELECT CONCAT(n.prefix, ': ', n.top, ' > series ', COALESCE(s.current, 0)) AS what FROM (
            SELECT LEFT(name, LENGTH(name) - 5) AS prefix, MAX(CAST(RIGHT(name, 5) AS UNSIGNED)) AS top FROM ${SLE} GROUP BY prefix
            UNION ALL SELECT LEFT(name, LENGTH(name) - 5), MAX(CAST(RIGHT(name, 5) AS UNSIGNED)) FROM \`tabBin\` GROUP BY 1
            UNION ALL SELECT LEFT(voucher_no, LENGTH(voucher_no) - 5), MAX(CAST(RIGHT(voucher_no, 5) AS UNSIGNED)) FROM ${SLE} GROUP BY 1) n
          LEFT JOIN \`tabSeries\` s ON s.name = n.prefix
          WHERE n.top > COALESCE(s.current, 0)`,
  },
];

/** One broken invariant and up to 5 examples. */
export interface ErpnextInconsistency {
  invariant: string;
  examples: string[];
}

/**
 * Checks the ERPNext invariants over the whole database.
 *
 * @param conn - mysql2/promise connection on the ERPNext database.
 * @returns the broken invariants; empty means consistent.
 */
export async function checkErpnextConsistency(conn: Connection): Promise<ErpnextInconsistency[]> {
  const out: ErpnextInconsistency[] = [];
  for (const check of CHECKS) {
    const [rows] = await conn.query<RowDataPacket[]>(`${check.sql} LIMIT 5`);
    if (rows.length > 0) out.push({ invariant: check.name, examples: rows.map((r) => String(r.what)) });
  }
  return out;
}
