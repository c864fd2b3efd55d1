/**
 * Stock writes on the sample ERPNext database, issued the way ERPNext's stock module issues them
 * (`erpnext/stock/stock_ledger.py` `make_sl_entries`, `erpnext/stock/doctype/bin/bin.py`
 * `update_qty`): submitting a stock voucher inserts one Stock Ledger Entry (SLE) per item line and
 * warehouse and adds its `actual_qty` to the (item, warehouse) Bin — creating the Bin on first use
 * (`get_or_make_bin`) — in the SAME transaction. Reservations (Sales Orders) change only
 * `tabBin.reserved_qty`. Document names come from naming series counted in `tabSeries`.
 *
 * Cancellation, as ERPNext v13+ does it ("immutable ledger"; `set_as_cancel` + `make_sl_entries`
 * with `is_cancelled`): in ONE transaction
 *   1. every SLE of the voucher still at `is_cancelled = 0` is UPDATEd to `is_cancelled = 1`;
 *   2. for each of them a reversing SLE is INSERTed: new name, same voucher, item, warehouse,
 *      `voucher_detail_no`, `posting_date` and `posting_time` as the original, `actual_qty` negated,
 *      and `is_cancelled = 1` as well (the controller builds the cancel-time entries with
 *      `"is_cancelled": 1 if self.docstatus == 2 else 0`);
 *   3. the later SLEs of that item and warehouse (`is_cancelled = 0`, posted after the original) get
 *      their `qty_after_transaction` (and `stock_value`) shifted by the reversal, as ERPNext's
 *      `update_qty_in_future_sle` does;
 *   4. `tabBin.actual_qty` gets the reversal added.
 * So a cancelled voucher leaves two entries per line, both flagged, whose quantities sum to zero:
 * the stock balance is SUM(actual_qty) over `is_cancelled = 0` — and, equally, over all entries.
 *
 * Invariants the sample keeps (and tests): `tabBin.actual_qty` = SUM(actual_qty) of the (item,
 * warehouse)'s SLEs with `is_cancelled = 0`; for those SLEs, `qty_after_transaction` is the running
 * sum in posting order (posting_datetime, creation, name); `projected_qty` = actual + ordered +
 * indented + planned - reserved - reserved for production - reserved for subcontracting; no Bin goes
 * below zero (ERPNext's default `allow_negative_stock = 0`); a cancellation that would make stock
 * negative at any later point is refused, as ERPNext's NegativeStockError refuses it.
 *
 * Simplifications: one valuation rate per item (`tabItem.valuation_rate`; a moving average of a
 * constant rate stays constant), no voucher tables (`tabPurchase Receipt`, ... are not modelled), and
 * the reversing SLE's `qty_after_transaction` is the Bin's quantity after the cancellation. Times are
 * UTC (`UTC_TIMESTAMP(6)`, the site time zone being UTC); `creation` of every row a transaction
 * writes is the same instant, and new SLEs are posted at that instant.
 *
 * Every function runs ONE transaction and rolls back on error; an {@link ErpnextStateError} means
 * the guard refused the change and nothing was written.
 */
import { createHash } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CommitStamp } from '../shared/commit.ts';
import {
  CANCELLABLE_VOUCHERS,
  ERPNEXT_COMPANY,
  ERPNEXT_SERIES,
  VOUCHER_SERIES,
  addDecimals,
  compareDecimals,
  fromScaled,
  mulDecimals,
  negDecimal,
  seriesKey,
  subDecimals,
  seriesName,
  toScaled,
  type ErpnextVoucherType,
} from './model.ts';

/** The `tabStock Ledger Entry` table name, quoted for SQL. */
export const SLE_TABLE = '`tabStock Ledger Entry`';

/** Who the sample's writes are attributed to (`owner`, `modified_by`). */
export const ERPNEXT_USER = 'Administrator';

/** Raised when an operation does not apply to the current state; the transaction was rolled back. */
export class ErpnextStateError extends Error {
  override name = 'ErpnextStateError';
}

/** One Stock Ledger Entry written by an operation. */
export interface SleWrite {
  /** `name`, e.g. `MAT-SLE-2026-00042`. */
  name: string;
  itemCode: string;
  warehouse: string;
  voucherType: string;
  voucherNo: string;
  /** The row's `actual_qty`, normalised decimal string. */
  actualQty: string;
  /** The row's `is_cancelled` after the write. */
  isCancelled: boolean;
  /** `insert`: a new entry (a reversal too); `cancel`: an existing entry flagged `is_cancelled = 1`. */
  action: 'insert' | 'cancel';
}

/** One Bin changed by an operation (all changes of one Bin in a transaction, summed). */
export interface BinChange {
  /** `tabBin.name`, e.g. `MAT-BIN-2026-00007`. */
  name: string;
  itemCode: string;
  warehouse: string;
  /** Signed change of `actual_qty`, normalised decimal string. */
  actualDelta: string;
  /** Signed change of `reserved_qty`, normalised decimal string. */
  reservedDelta: string;
  /** `insert` when the transaction created the Bin. */
  action: 'insert' | 'update';
}

/** Result of an ERPNext operation. */
export interface ErpnextCommit extends CommitStamp {
  /** The document submitted or cancelled (`Sales Order` for reservations). */
  voucherType: string;
  /** Its name; null when closing a reservation (no Sales Order table in the sample). */
  voucherNo: string | null;
  /** SLEs written, in write order. */
  ledger: SleWrite[];
  /** Bins changed, in order of first change. */
  bins: BinChange[];
}

/** A Bin as read, locked, inside an operation. Quantities are decimal strings. */
interface BinRow {
  name: string;
  actual_qty: string;
  reserved_qty: string;
  ordered_qty: string;
  indented_qty: string;
  planned_qty: string;
  reserved_qty_for_production: string;
  reserved_qty_for_sub_contract: string;
}

/** What one transaction knows and has written so far. */
class ErpTx {
  readonly ledger: SleWrite[] = [];
  private readonly binChanges = new Map<string, { change: BinChange; actual: bigint; reserved: bigint }>();
  private readonly items = new Map<string, { valuationRate: string; stockUom: string }>();

  /** `now`: `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), the instant of every row this transaction writes. */
  constructor(
    readonly conn: Connection,
    readonly now: string,
  ) {}

  get year(): number {
    return Number(this.now.slice(0, 4));
  }

  /** Frappe's naming series: `UPDATE tabSeries SET current = current + 1` (inserting the row at 1). */
  async nextName(prefix: string): Promise<string> {
    const key = seriesKey(prefix, this.year);
    await this.conn.query('INSERT INTO `tabSeries` (name, current) VALUES (?, 1) ON DUPLICATE KEY UPDATE current = current + 1', [key]);
    const [rows] = await this.conn.query<RowDataPacket[]>('SELECT current FROM `tabSeries` WHERE name = ?', [key]);
    return seriesName(key, Number(rows[0]?.current));
  }

  /** The stock item's valuation rate and stock UOM. @throws ErpnextStateError for unknown or non-stock items. */
  async item(itemCode: string): Promise<{ valuationRate: string; stockUom: string }> {
    const cached = this.items.get(itemCode);
    if (cached) return cached;
    const [rows] = await this.conn.query<RowDataPacket[]>('SELECT valuation_rate, stock_uom, is_stock_item FROM `tabItem` WHERE name = ?', [itemCode]);
    const row = rows[0];
    if (!row) throw new ErpnextStateError(`item ${itemCode} does not exist`);
    if (Number(row.is_stock_item) !== 1) throw new ErpnextStateError(`item ${itemCode} is not a stock item`);
    const item = { valuationRate: String(row.valuation_rate), stockUom: String(row.stock_uom) };
    this.items.set(itemCode, item);
    return item;
  }

  /** Locks the (item, warehouse) Bin, creating it when `create` (ERPNext's `get_or_make_bin`). */
  async lockBin(itemCode: string, warehouse: string, create: boolean): Promise<BinRow> {
    const select = async (): Promise<BinRow | undefined> => {
      const [rows] = await this.conn.query<RowDataPacket[]>(
        `SELECT name, actual_qty, reserved_qty, ordered_qty, indented_qty, planned_qty, reserved_qty_for_production, reserved_qty_for_sub_contract
         FROM \`tabBin\` WHERE item_code = ? AND warehouse = ? FOR UPDATE`,
        [itemCode, warehouse],
      );
      return rows[0] as BinRow | undefined;
    };
    const found = await select();
    if (found) return found;
    if (!create) throw new ErpnextStateError(`no Bin for ${itemCode} in ${warehouse}`);
    const [wh] = await this.conn.query<RowDataPacket[]>('SELECT is_group FROM `tabWarehouse` WHERE name = ?', [warehouse]);
    if (!wh[0]) throw new ErpnextStateError(`warehouse ${warehouse} does not exist`);
    if (Number(wh[0].is_group) === 1) throw new ErpnextStateError(`warehouse ${warehouse} is a group: no transactions against it`);
    const item = await this.item(itemCode);
    const name = await this.nextName(ERPNEXT_SERIES.bin);
    await this.conn.query(
      `INSERT INTO \`tabBin\` (name, creation, modified, modified_by, owner, docstatus, idx, item_code, warehouse, stock_uom, valuation_rate)
       VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?)`,
      [name, this.now, this.now, ERPNEXT_USER, ERPNEXT_USER, itemCode, warehouse, item.stockUom, item.valuationRate],
    );
    this.binChanges.set(name, { change: { name, itemCode, warehouse, actualDelta: '0', reservedDelta: '0', action: 'insert' }, actual: 0n, reserved: 0n });
    return (await select()) as BinRow;
  }

  /** Writes new actual and reserved quantities to a locked Bin, recomputing projected_qty and stock_value. */
  async updateBin(bin: BinRow, itemCode: string, warehouse: string, actualDelta: string, reservedDelta: string): Promise<BinRow> {
    const item = await this.item(itemCode);
    const actual = addDecimals(bin.actual_qty, actualDelta);
    const reserved = addDecimals(bin.reserved_qty, reservedDelta);
    const projected = fromScaled(
      toScaled(actual) +
        toScaled(bin.ordered_qty) +
        toScaled(bin.indented_qty) +
        toScaled(bin.planned_qty) -
        toScaled(reserved) -
        toScaled(bin.reserved_qty_for_production) -
        toScaled(bin.reserved_qty_for_sub_contract),
    );
    await this.conn.query(
      `UPDATE \`tabBin\` SET actual_qty = ?, reserved_qty = ?, projected_qty = ?, valuation_rate = ?, stock_value = ?, modified = ?, modified_by = ?
       WHERE name = ?`,
      [actual, reserved, projected, item.valuationRate, mulDecimals(actual, item.valuationRate), this.now, ERPNEXT_USER, bin.name],
    );
    const entry = this.binChanges.get(bin.name) ?? {
      change: { name: bin.name, itemCode, warehouse, actualDelta: '0', reservedDelta: '0', action: 'update' as const },
      actual: 0n,
      reserved: 0n,
    };
    entry.actual += toScaled(actualDelta);
    entry.reserved += toScaled(reservedDelta);
    entry.change.actualDelta = fromScaled(entry.actual);
    entry.change.reservedDelta = fromScaled(entry.reserved);
    this.binChanges.set(bin.name, entry);
    return { ...bin, actual_qty: actual, reserved_qty: reserved };
  }

  /** Inserts a submitted SLE posted now. */
  async insertSle(args: {
    itemCode: string;
    warehouse: string;
    voucherType: string;
    voucherNo: string;
    voucherDetailNo: string;
    actualQty: string;
    qtyAfter: string;
  }): Promise<string> {
    const item = await this.item(args.itemCode);
    const name = await this.nextName(ERPNEXT_SERIES.stockLedgerEntry);
    const incoming = compareDecimals(args.actualQty, '0') > 0 ? item.valuationRate : '0';
    const outgoing = compareDecimals(args.actualQty, '0') < 0 ? item.valuationRate : '0';
    await this.conn.query(
      `INSERT INTO ${SLE_TABLE} (name, creation, modified, modified_by, owner, docstatus, idx, item_code, warehouse,
         posting_date, posting_time, posting_datetime, voucher_type, voucher_no, voucher_detail_no,
         actual_qty, qty_after_transaction, incoming_rate, outgoing_rate, valuation_rate, stock_value, stock_value_difference,
         stock_queue, company, stock_uom, fiscal_year, is_cancelled)
       VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, 0)`,
      [
        name,
        this.now,
        this.now,
        ERPNEXT_USER,
        ERPNEXT_USER,
        args.itemCode,
        args.warehouse,
        this.now.slice(0, 10),
        this.now.slice(11),
        this.now,
        args.voucherType,
        args.voucherNo,
        args.voucherDetailNo,
        args.actualQty,
        args.qtyAfter,
        incoming,
        outgoing,
        item.valuationRate,
        mulDecimals(args.qtyAfter, item.valuationRate),
        mulDecimals(args.actualQty, item.valuationRate),
        ERPNEXT_COMPANY.name,
        item.stockUom,
        String(this.year),
      ],
    );
    this.ledger.push({
      name,
      itemCode: args.itemCode,
      warehouse: args.warehouse,
      voucherType: args.voucherType,
      voucherNo: args.voucherNo,
      actualQty: addDecimals(args.actualQty),
      isCancelled: false,
      action: 'insert',
    });
    return name;
  }

  get bins(): BinChange[] {
    return [...this.binChanges.values()].map((e) => e.change);
  }
}

/** Runs `fn` in a transaction, stamps the commit and reads the GTID. */
async function inTransaction(conn: Connection, fn: (tx: ErpTx) => Promise<{ voucherType: string; voucherNo: string | null }>): Promise<ErpnextCommit> {
  await conn.beginTransaction();
  let result: { voucherType: string; voucherNo: string | null };
  let tx: ErpTx;
  try {
    const [rows] = await conn.query<RowDataPacket[]>("SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS now");
    tx = new ErpTx(conn, String(rows[0]?.now));
    result = await fn(tx);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
  const committedAtMs = Date.now();
  const committedAtHr = process.hrtime.bigint();
  return { committedAtMs, committedAtHr, txId: await lastGtid(conn), ...result, ledger: tx.ledger, bins: tx.bins };
}

/** The GTID of the session's last committed transaction (MariaDB `@@last_gtid`), or null. */
async function lastGtid(conn: Connection): Promise<string | null> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
    const gtid = rows[0]?.gtid as string | null | undefined;
    return gtid ? gtid : null;
  } catch {
    return null;
  }
}

/**
 * Frappe child-row names are random 10-character hashes; the sample derives them from the voucher
 * and the line, so equal runs write equal rows.
 */
export function voucherDetailName(voucherNo: string, line: number): string {
  return createHash('sha1').update(`${voucherNo}#${line}`).digest('hex').slice(0, 10);
}

/** One line of a stock voucher. */
export interface StockLine {
  itemCode: string;
  /** A non-group warehouse `name`, e.g. `Stores - ABC`. */
  warehouse: string;
  /** Signed quantity in the item's stock UOM (decimal string, at most 9 decimals), non-zero. */
  qty: string;
  /** The voucher's item row this line belongs to (both sides of a transfer share one); default: its position. */
  row?: number;
}

/** Options of {@link postStockVoucher}. */
export interface PostOptions {
  /** Delivery against a Sales Order: each outgoing line also lowers `reserved_qty` by up to its quantity. */
  consumeReservation?: boolean;
}

/**
 * Submits a stock voucher: per line, locks (or creates) the Bin, refuses negative stock, inserts
 * the SLE (`qty_after_transaction` = the Bin's new quantity) and updates the Bin.
 *
 * @returns the commit; `voucherNo` is the new document's name (e.g. `MAT-PRE-2026-00003`).
 * @throws ErpnextStateError when a line would take a Bin below zero, or names an unknown or
 *   non-stock item, an unknown or group warehouse.
 */
export async function postStockVoucher(
  conn: Connection,
  voucherType: ErpnextVoucherType,
  lines: readonly StockLine[],
  opts: PostOptions = {},
): Promise<ErpnextCommit> {
  if (lines.length === 0) throw new Error('postStockVoucher: no lines');
  for (const l of lines) if (compareDecimals(l.qty, '0') === 0) throw new Error(`postStockVoucher: zero quantity for ${l.itemCode}`);
  return inTransaction(conn, async (tx) => {
    const voucherNo = await tx.nextName(VOUCHER_SERIES[voucherType]);
    for (const [i, line] of lines.entries()) {
      const bin = await tx.lockBin(line.itemCode, line.warehouse, true);
      const after = addDecimals(bin.actual_qty, line.qty);
      if (compareDecimals(after, '0') < 0) {
        throw new ErpnextStateError(`${voucherType}: ${line.itemCode} in ${line.warehouse} would go to ${after} (NegativeStockError)`);
      }
      let reservedDelta = '0';
      if (opts.consumeReservation && compareDecimals(line.qty, '0') < 0) {
        // The delivered quantity comes off the reservation, which cannot go below zero.
        const out = -toScaled(line.qty);
        const reserved = toScaled(bin.reserved_qty);
        reservedDelta = fromScaled(-(out < reserved ? out : reserved));
      }
      await tx.insertSle({
        itemCode: line.itemCode,
        warehouse: line.warehouse,
        voucherType,
        voucherNo,
        voucherDetailNo: voucherDetailName(voucherNo, line.row ?? i),
        actualQty: line.qty,
        qtyAfter: after,
      });
      await tx.updateBin(bin, line.itemCode, line.warehouse, line.qty, reservedDelta);
    }
    return { voucherType, voucherNo };
  });
}

/** Arguments of the single-line stock operations. */
export interface ItemQty {
  itemCode: string;
  warehouse: string;
  /** Positive quantity (decimal string). */
  qty: string;
}

const positive = (fn: string, qty: string): void => {
  if (!(compareDecimals(qty, '0') > 0)) throw new Error(`${fn}: quantity must be positive, got ${qty}`);
};

/** Purchase Receipt: goods in (`+qty`). */
export async function receiveStock(conn: Connection, a: ItemQty): Promise<ErpnextCommit> {
  positive('receiveStock', a.qty);
  return postStockVoucher(conn, 'Purchase Receipt', [{ itemCode: a.itemCode, warehouse: a.warehouse, qty: a.qty }]);
}

/** Sales Invoice with "Update Stock" (a counter sale): goods out (`-qty`), reservations untouched. */
export async function sellStock(conn: Connection, a: ItemQty): Promise<ErpnextCommit> {
  positive('sellStock', a.qty);
  return postStockVoucher(conn, 'Sales Invoice', [{ itemCode: a.itemCode, warehouse: a.warehouse, qty: negDecimal(a.qty) }]);
}

/** Delivery Note against a Sales Order: goods out (`-qty`) and the reservation lowered by up to `qty`. */
export async function deliverStock(conn: Connection, a: ItemQty): Promise<ErpnextCommit> {
  positive('deliverStock', a.qty);
  return postStockVoucher(conn, 'Delivery Note', [{ itemCode: a.itemCode, warehouse: a.warehouse, qty: negDecimal(a.qty) }], { consumeReservation: true });
}

/** Stock Entry of purpose Material Transfer: `-qty` in `from`, then `+qty` in `to` (one item row). */
export async function transferStock(conn: Connection, a: { itemCode: string; from: string; to: string; qty: string }): Promise<ErpnextCommit> {
  positive('transferStock', a.qty);
  if (a.from === a.to) throw new Error('transferStock: from and to are the same warehouse');
  return postStockVoucher(conn, 'Stock Entry', [
    { itemCode: a.itemCode, warehouse: a.from, qty: negDecimal(a.qty), row: 0 },
    { itemCode: a.itemCode, warehouse: a.to, qty: a.qty, row: 0 },
  ]);
}

/**
 * Submits a Sales Order line: `reserved_qty += qty` on the Bin (created if missing), refused when
 * it would reserve more than is available (actual - reserved). No ledger entry.
 */
export async function reserveStock(conn: Connection, a: ItemQty): Promise<ErpnextCommit> {
  positive('reserveStock', a.qty);
  return inTransaction(conn, async (tx) => {
    await tx.item(a.itemCode);
    const bin = await tx.lockBin(a.itemCode, a.warehouse, true);
    const available = subDecimals(bin.actual_qty, bin.reserved_qty);
    if (compareDecimals(a.qty, available) > 0) {
      throw new ErpnextStateError(`reserve ${a.qty} of ${a.itemCode} in ${a.warehouse}: only ${available} available`);
    }
    const voucherNo = await tx.nextName(ERPNEXT_SERIES.salesOrder);
    await tx.updateBin(bin, a.itemCode, a.warehouse, '0', a.qty);
    return { voucherType: 'Sales Order', voucherNo };
  });
}

/**
 * Closes (part of) a Sales Order: `reserved_qty -= qty` (`"all"`: to zero), refused when the Bin
 * has less reserved. No ledger entry.
 */
export async function unreserveStock(conn: Connection, a: { itemCode: string; warehouse: string; qty: string | 'all' }): Promise<ErpnextCommit> {
  if (a.qty !== 'all') positive('unreserveStock', a.qty);
  return inTransaction(conn, async (tx) => {
    const bin = await tx.lockBin(a.itemCode, a.warehouse, false);
    const qty = a.qty === 'all' ? addDecimals(bin.reserved_qty) : a.qty;
    if (compareDecimals(qty, '0') <= 0 || compareDecimals(qty, bin.reserved_qty) > 0) {
      throw new ErpnextStateError(`unreserve ${qty} of ${a.itemCode} in ${a.warehouse}: ${addDecimals(bin.reserved_qty)} reserved`);
    }
    await tx.updateBin(bin, a.itemCode, a.warehouse, '0', negDecimal(qty));
    return { voucherType: 'Sales Order', voucherNo: null };
  });
}

/**
 * Cancels a submitted stock voucher the way ERPNext does (see the module comment): flags its SLEs
 * `is_cancelled = 1`, inserts reversing SLEs (also `is_cancelled = 1`, same posting date and time),
 * shifts `qty_after_transaction` of later entries, and updates the Bins.
 *
 * @returns the commit; `ledger` lists the flagged originals (`cancel`) and the reversals (`insert`).
 * @throws ErpnextStateError when the voucher has no entries, is already cancelled, is not of a
 *   {@link CANCELLABLE_VOUCHERS} type, or when the reversal would make stock negative at any point
 *   after the original's posting.
 */
export async function cancelVoucher(conn: Connection, voucherType: ErpnextVoucherType, voucherNo: string): Promise<ErpnextCommit> {
  if (!CANCELLABLE_VOUCHERS.includes(voucherType)) throw new ErpnextStateError(`the sample does not cancel ${voucherType} documents`);
  return inTransaction(conn, async (tx) => {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT name, item_code, warehouse, actual_qty, is_cancelled, voucher_detail_no FROM ${SLE_TABLE}
       WHERE voucher_type = ? AND voucher_no = ? ORDER BY posting_datetime, creation, name FOR UPDATE`,
      [voucherType, voucherNo],
    );
    if (rows.length === 0) throw new ErpnextStateError(`${voucherType} ${voucherNo} has no stock ledger entries`);
    if (rows.some((r) => Number(r.is_cancelled) === 1)) throw new ErpnextStateError(`${voucherType} ${voucherNo} is already cancelled`);
    const originals = rows as { name: string; item_code: string; warehouse: string; actual_qty: string; voucher_detail_no: string }[];

    // ERPNext validates the reversal against every later balance (validate_negative_qty_in_future_sle).
    const bins = new Map<string, BinRow>();
    const net = new Map<string, bigint>();
    for (const o of originals) {
      const key = `${o.item_code}\u0000${o.warehouse}`;
      if (!bins.has(key)) bins.set(key, await tx.lockBin(o.item_code, o.warehouse, false));
      net.set(key, (net.get(key) ?? 0n) - toScaled(o.actual_qty));
      if (compareDecimals(o.actual_qty, '0') <= 0) continue;
      const [later] = await conn.query<RowDataPacket[]>(
        `SELECT MIN(f.qty_after_transaction) AS low FROM ${SLE_TABLE} f JOIN ${SLE_TABLE} o ON o.name = ?
         WHERE f.item_code = o.item_code AND f.warehouse = o.warehouse AND f.is_cancelled = 0
           AND (f.posting_datetime, f.creation, f.name) > (o.posting_datetime, o.creation, o.name)`,
        [o.name],
      );
      const low = later[0]?.low as string | null | undefined;
      if (low !== null && low !== undefined && compareDecimals(subDecimals(low, o.actual_qty), '0') < 0) {
        throw new ErpnextStateError(`cancel ${voucherNo}: ${o.item_code} in ${o.warehouse} would go negative after ${o.name} (NegativeStockError)`);
      }
    }
    for (const [key, delta] of net) {
      const bin = bins.get(key) as BinRow;
      const after = toScaled(bin.actual_qty) + delta;
      if (after < 0n)
        throw new ErpnextStateError(`cancel ${voucherNo}: ${key.replace('\u0000', ' in ')} would go to ${fromScaled(after)} (NegativeStockError)`);
    }

    // 1. set_as_cancel
    await conn.query(`UPDATE ${SLE_TABLE} SET is_cancelled = 1, modified = ?, modified_by = ? WHERE voucher_type = ? AND voucher_no = ? AND is_cancelled = 0`, [
      tx.now,
      ERPNEXT_USER,
      voucherType,
      voucherNo,
    ]);
    for (const o of originals) {
      tx.ledger.push({
        name: o.name,
        itemCode: o.item_code,
        warehouse: o.warehouse,
        voucherType,
        voucherNo,
        actualQty: addDecimals(o.actual_qty),
        isCancelled: true,
        action: 'cancel',
      });
    }
    // 2.–4. per entry, last line first (as ERPNext reverses a Stock Entry's lines on cancel)
    for (const o of [...originals].reverse()) {
      const key = `${o.item_code}\u0000${o.warehouse}`;
      const bin = bins.get(key) as BinRow;
      const reversal = negDecimal(o.actual_qty);
      const after = addDecimals(bin.actual_qty, reversal);
      const item = await tx.item(o.item_code);
      const name = await tx.nextName(ERPNEXT_SERIES.stockLedgerEntry);
      const incoming = compareDecimals(reversal, '0') > 0 ? item.valuationRate : '0';
      const outgoing = compareDecimals(reversal, '0') < 0 ? item.valuationRate : '0';
      await conn.query(
        `INSERT INTO ${SLE_TABLE} (name, creation, modified, modified_by, owner, docstatus, idx, item_code, warehouse,
           posting_date, posting_time, posting_datetime, voucher_type, voucher_no, voucher_detail_no,
           actual_qty, qty_after_transaction, incoming_rate, outgoing_rate, valuation_rate, stock_value, stock_value_difference,
           stock_queue, company, stock_uom, fiscal_year, is_cancelled)
         SELECT ?, ?, ?, ?, ?, 1, 0, o.item_code, o.warehouse, o.posting_date, o.posting_time, o.posting_datetime,
           o.voucher_type, o.voucher_no, o.voucher_detail_no, ?, ?, ?, ?, ?, ?, ?, '[]', o.company, o.stock_uom, o.fiscal_year, 1
         FROM ${SLE_TABLE} o WHERE o.name = ?`,
        [
          name,
          tx.now,
          tx.now,
          ERPNEXT_USER,
          ERPNEXT_USER,
          reversal,
          after,
          incoming,
          outgoing,
          item.valuationRate,
          mulDecimals(after, item.valuationRate),
          mulDecimals(reversal, item.valuationRate),
          o.name,
        ],
      );
      tx.ledger.push({ name, itemCode: o.item_code, warehouse: o.warehouse, voucherType, voucherNo, actualQty: reversal, isCancelled: true, action: 'insert' });
      // update_qty_in_future_sle: later balances no longer include the cancelled quantity.
      await conn.query(
        `UPDATE ${SLE_TABLE} f JOIN ${SLE_TABLE} o ON o.name = ?
         SET f.stock_value = (f.qty_after_transaction + ?) * f.valuation_rate,
             f.qty_after_transaction = f.qty_after_transaction + ?,
             f.modified = ?
         WHERE f.item_code = o.item_code AND f.warehouse = o.warehouse AND f.is_cancelled = 0
           AND (f.posting_datetime, f.creation, f.name) > (o.posting_datetime, o.creation, o.name)`,
        [o.name, reversal, reversal, tx.now],
      );
      bins.set(key, await tx.updateBin(bin, o.item_code, o.warehouse, reversal, '0'));
    }
    return { voucherType, voucherNo };
  });
}
