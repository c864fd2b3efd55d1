/**
 * Deterministic seeder for the sample ERPNext database. Same options ⇒ identical rows, names and
 * timestamps included (the seeded history is dated January 2026, before any workload).
 *
 * The seeder replays, in memory, a month of stock documents with the same rules as
 * `operations.ts` — an opening Stock Reconciliation, then Purchase Receipts, Sales Invoices,
 * Material Transfers and a few cancellations (original entries flagged `is_cancelled = 1`,
 * reversing entries inserted with `is_cancelled = 1`, later balances reposted) — then Sales Order
 * reservations and open purchase orders on the Bins, and bulk-inserts the result.
 *
 * Seeding wipes the ERPNext tables (TRUNCATE), which Debezium does not turn into row deletes: seed
 * before the connector takes its snapshot, not under live capture.
 */
import type { Connection } from 'mysql2/promise';
import { createErpnextSchema, ERPNEXT_TABLES } from './schema.ts';
import {
  CANCELLABLE_VOUCHERS,
  ERPNEXT_COMPANY,
  ERPNEXT_SERIES,
  ERPNEXT_WAREHOUSE,
  VOUCHER_SERIES,
  buildErpnextCatalog,
  erpnextWarehouses,
  fromScaled,
  mulDecimals,
  seriesKey,
  seriesName,
  type ErpnextItem,
  type ErpnextVoucherType,
} from './model.ts';
import { ERPNEXT_USER, voucherDetailName } from './operations.ts';
import { resolveSampleOptions, type SampleOptions } from '../shared/model.ts';
import { Rng, ZipfSampler, deriveSeed, zipfWeight } from '../shared/prng.ts';

/** Row counts written by {@link seedErpnext}. */
export interface ErpnextSeedCounts {
  items: number;
  warehouses: number;
  bins: number;
  stockLedgerEntries: number;
  /** Vouchers of the seeded history that were cancelled (each leaves 2 entries per line). */
  cancelledVouchers: number;
  /** `tabSeries` counters. */
  series: number;
}

/** Rows per INSERT statement. */
const BATCH = 1000;
/** The seeded history: opening stock on 2026-01-01 08:00 UTC, documents until the end of January. */
const OPENING_MS = Date.UTC(2026, 0, 1, 8);
const HISTORY_END_MS = Date.UTC(2026, 0, 31, 18);
/** 10^9 / 10^3: thousandths to ERPNext's decimal(21,9) scale. */
const MILLI = 1_000_000n;

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) for a datetime(6) column. */
function ts(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000`;
}

interface MemSle {
  name: string;
  creation: string;
  modified: string;
  posting: string;
  itemCode: string;
  warehouse: string;
  voucherType: ErpnextVoucherType;
  voucherNo: string;
  voucherDetailNo: string;
  actual: bigint;
  qtyAfter: bigint;
  isCancelled: boolean;
}

interface MemBin {
  name: string;
  itemCode: string;
  warehouse: string;
  actual: bigint;
  reserved: bigint;
  ordered: bigint;
  creation: string;
  modified: string;
}

/** The in-memory ERPNext the seeder replays documents on; the same rules as the SQL operations. */
class MemoryErpnext {
  readonly series = new Map<string, number>();
  readonly bins = new Map<string, MemBin>();
  readonly ledger: MemSle[] = [];
  /** Non-cancelled and cancelled SLEs per (item, warehouse), in insertion order. */
  private readonly byKey = new Map<string, MemSle[]>();
  readonly cancelled = new Set<string>();

  nextName(prefix: string, now: string): string {
    const key = seriesKey(prefix, Number(now.slice(0, 4)));
    const n = (this.series.get(key) ?? 0) + 1;
    this.series.set(key, n);
    return seriesName(key, n);
  }

  bin(itemCode: string, warehouse: string, now: string): MemBin {
    const key = `${itemCode}\u0000${warehouse}`;
    let bin = this.bins.get(key);
    if (!bin) {
      bin = { name: this.nextName(ERPNEXT_SERIES.bin, now), itemCode, warehouse, actual: 0n, reserved: 0n, ordered: 0n, creation: now, modified: now };
      this.bins.set(key, bin);
    }
    return bin;
  }

  actual(itemCode: string, warehouse: string): bigint {
    return this.bins.get(`${itemCode}\u0000${warehouse}`)?.actual ?? 0n;
  }

  /** Submits a voucher; returns null (nothing written) when a line would go negative. */
  post(voucherType: ErpnextVoucherType, lines: { itemCode: string; warehouse: string; qty: bigint; row: number }[], now: string): string | null {
    const net = new Map<string, bigint>();
    for (const l of lines) {
      const key = `${l.itemCode}\u0000${l.warehouse}`;
      net.set(key, (net.get(key) ?? this.actual(l.itemCode, l.warehouse)) + l.qty);
      if ((net.get(key) as bigint) < 0n) return null;
    }
    const voucherNo = this.nextName(VOUCHER_SERIES[voucherType], now);
    for (const l of lines) {
      const bin = this.bin(l.itemCode, l.warehouse, now);
      bin.actual += l.qty;
      bin.modified = now;
      this.push({
        name: this.nextName(ERPNEXT_SERIES.stockLedgerEntry, now),
        creation: now,
        modified: now,
        posting: now,
        itemCode: l.itemCode,
        warehouse: l.warehouse,
        voucherType,
        voucherNo,
        voucherDetailNo: voucherDetailName(voucherNo, l.row),
        actual: l.qty,
        qtyAfter: bin.actual,
        isCancelled: false,
      });
    }
    return voucherNo;
  }

  /** Cancels a voucher as `cancelVoucher` does; returns false (nothing changed) when it would go negative. */
  cancel(voucherNo: string, now: string): boolean {
    const originals = this.ledger.filter((s) => s.voucherNo === voucherNo);
    if (originals.length === 0 || originals.some((s) => s.isCancelled)) return false;
    const net = new Map<string, bigint>();
    for (const o of originals) {
      const key = `${o.itemCode}\u0000${o.warehouse}`;
      net.set(key, (net.get(key) ?? this.actual(o.itemCode, o.warehouse)) - o.actual);
      if ((net.get(key) as bigint) < 0n) return false;
      if (o.actual > 0n && this.later(o).some((f) => f.qtyAfter - o.actual < 0n)) return false;
    }
    for (const o of originals) {
      o.isCancelled = true;
      o.modified = now;
    }
    for (const o of [...originals].reverse()) {
      const reversal = -o.actual;
      const bin = this.bin(o.itemCode, o.warehouse, now);
      bin.actual += reversal;
      bin.modified = now;
      this.push({
        name: this.nextName(ERPNEXT_SERIES.stockLedgerEntry, now),
        creation: now,
        modified: now,
        posting: o.posting,
        itemCode: o.itemCode,
        warehouse: o.warehouse,
        voucherType: o.voucherType,
        voucherNo: o.voucherNo,
        voucherDetailNo: o.voucherDetailNo,
        actual: reversal,
        qtyAfter: bin.actual,
        isCancelled: true,
      });
      for (const f of this.later(o)) {
        f.qtyAfter += reversal;
        f.modified = now;
      }
    }
    this.cancelled.add(voucherNo);
    return true;
  }

  /** Non-cancelled SLEs of the same item and warehouse posted after `o` (posting, creation, name). */
  private later(o: MemSle): MemSle[] {
    const order = (s: MemSle): string => `${s.posting}|${s.creation}|${s.name}`;
    const pivot = order(o);
    return (this.byKey.get(`${o.itemCode}\u0000${o.warehouse}`) ?? []).filter((f) => !f.isCancelled && order(f) > pivot);
  }

  private push(sle: MemSle): void {
    this.ledger.push(sle);
    const key = `${sle.itemCode}\u0000${sle.warehouse}`;
    const list = this.byKey.get(key) ?? [];
    list.push(sle);
    this.byKey.set(key, list);
  }
}

/** A quantity for an item, in thousandths: whole units, or up to 3 decimals for goods sold by weight. */
function quantityMilli(rng: Rng, item: ErpnextItem, whole: number): bigint {
  return BigInt(whole * 1000 + (item.byWeight ? rng.int(0, 999) : 0)) * MILLI;
}

/**
 * Seeds the ERPNext database: wipes the ERPNext tables (creating them if missing) and inserts the
 * warehouse tree, the item master, Bins, the stock ledger of January 2026 and the naming-series
 * counters.
 *
 * Stock is Zipf-skewed by item popularity; Stores holds most items, Finished Goods about half,
 * Work In Progress the raw materials; about 20 % of stocked Bins carry a reservation (never above
 * the quantity) and 10 % of Stores Bins an ordered quantity. Services have no Bins.
 *
 * @param conn - mysql2/promise connection with the ERPNext database selected.
 * @param opts - sample options (`seed`, `products`); `stores` and `warehouses` are ignored.
 * @returns the number of rows written per table.
 */
export async function seedErpnext(conn: Connection, opts: SampleOptions): Promise<ErpnextSeedCounts> {
  const o = resolveSampleOptions(opts);
  const { items, stockItemsByRank } = buildErpnextCatalog(o);
  const warehouses = erpnextWarehouses();
  const rng = new Rng(deriveSeed(o.seed, 'erpnext-stock'));
  const erp = new MemoryErpnext();
  const n = stockItemsByRank.length;

  // Opening stock: one Stock Reconciliation for everything.
  const opening: { itemCode: string; warehouse: string; qty: bigint; row: number }[] = [];
  for (const [pop, item] of stockItemsByRank.entries()) {
    const raw = item.catalogIndex === null;
    const popular = pop < n * 0.3;
    const stocked: [string, boolean][] = [
      [ERPNEXT_WAREHOUSE.stores, popular || rng.chance(0.75)],
      [ERPNEXT_WAREHOUSE.finished, !raw && rng.chance(0.5)],
      [ERPNEXT_WAREHOUSE.wip, raw || rng.chance(0.05)],
    ];
    for (const [warehouse, yes] of stocked) {
      if (!yes) continue;
      const whole = 2 + rng.int(0, 10) + Math.floor(300 * zipfWeight(pop));
      opening.push({ itemCode: item.itemCode, warehouse, qty: quantityMilli(rng, item, whole), row: opening.length });
    }
  }
  erp.post('Stock Reconciliation', opening, ts(OPENING_MS));

  // A month of documents, forward-posted at increasing times.
  const zipf = new ZipfSampler(n);
  const pick = (): ErpnextItem => stockItemsByRank[zipf.sample(rng)] as ErpnextItem;
  const events = Math.max(50, Math.round(n * 0.6));
  const step = Math.floor((HISTORY_END_MS - OPENING_MS) / (events + 1));
  const submitted: { voucherType: ErpnextVoucherType; voucherNo: string }[] = [];
  for (let e = 1; e <= events; e++) {
    const now = ts(OPENING_MS + e * step + rng.int(0, 59_999));
    const kind = rng.weighted([35, 40, 15, 10]);
    const item = pick();
    if (kind === 0) {
      const warehouse = rng.chance(0.7) ? ERPNEXT_WAREHOUSE.stores : ERPNEXT_WAREHOUSE.finished;
      const no = erp.post('Purchase Receipt', [{ itemCode: item.itemCode, warehouse, qty: quantityMilli(rng, item, rng.pick([6, 12, 24, 48])), row: 0 }], now);
      if (no) submitted.push({ voucherType: 'Purchase Receipt', voucherNo: no });
    } else if (kind === 1) {
      const warehouse = rng.chance(0.7) ? ERPNEXT_WAREHOUSE.stores : ERPNEXT_WAREHOUSE.finished;
      const have = erp.actual(item.itemCode, warehouse);
      if (have <= 0n) continue;
      const qty = quantityMilli(rng, item, rng.weighted([80, 15, 5]) + 1);
      const no = erp.post('Sales Invoice', [{ itemCode: item.itemCode, warehouse, qty: -(qty < have ? qty : have), row: 0 }], now);
      if (no) submitted.push({ voucherType: 'Sales Invoice', voucherNo: no });
    } else if (kind === 2) {
      const [from, to] = rng.pick([
        [ERPNEXT_WAREHOUSE.stores, ERPNEXT_WAREHOUSE.wip],
        [ERPNEXT_WAREHOUSE.wip, ERPNEXT_WAREHOUSE.finished],
        [ERPNEXT_WAREHOUSE.stores, ERPNEXT_WAREHOUSE.finished],
      ] as const);
      const have = erp.actual(item.itemCode, from);
      if (have <= 0n) continue;
      const qty = quantityMilli(rng, item, rng.int(1, 12));
      const q = qty < have ? qty : have;
      const no = erp.post(
        'Stock Entry',
        [
          { itemCode: item.itemCode, warehouse: from, qty: -q, row: 0 },
          { itemCode: item.itemCode, warehouse: to, qty: q, row: 0 },
        ],
        now,
      );
      if (no) submitted.push({ voucherType: 'Stock Entry', voucherNo: no });
    } else {
      const open = submitted.filter((v) => CANCELLABLE_VOUCHERS.includes(v.voucherType) && !erp.cancelled.has(v.voucherNo));
      if (open.length === 0) continue;
      erp.cancel(rng.pick(open.slice(-30)).voucherNo, now);
    }
  }

  // Sales Order reservations and open Purchase Orders, on the Bins only.
  const soTime = ts(HISTORY_END_MS);
  for (const bin of erp.bins.values()) {
    if (bin.actual >= 1000n * MILLI && rng.chance(0.2)) {
      const units = Math.min(10, Number(bin.actual / (1000n * MILLI)));
      bin.reserved = BigInt(rng.int(1, units)) * 1000n * MILLI;
      erp.nextName(ERPNEXT_SERIES.salesOrder, soTime);
      bin.modified = soTime;
    }
    if (bin.warehouse === ERPNEXT_WAREHOUSE.stores && rng.chance(0.1)) {
      bin.ordered = BigInt(rng.pick([12, 24, 48])) * 1000n * MILLI;
      bin.modified = soTime;
    }
  }

  const byCode = new Map(items.map((it) => [it.itemCode, it]));
  const rate = (code: string): string => (byCode.get(code) as ErpnextItem).valuationRate;
  const uom = (code: string): string => (byCode.get(code) as ErpnextItem).stockUom;
  const created = ts(OPENING_MS - 86_400_000); // masters exist the day before the opening stock

  const warehouseRows = warehouses.map((w) => [
    w.name,
    created,
    created,
    ERPNEXT_USER,
    ERPNEXT_USER,
    0,
    0,
    0,
    w.warehouseName,
    w.isGroup ? 1 : 0,
    w.parent,
    w.account,
    ERPNEXT_COMPANY.name,
    w.warehouseType,
    w.lft,
    w.rgt,
    w.parent ?? '',
  ]);
  const itemRows = items.map((it) => [
    it.itemCode,
    created,
    created,
    ERPNEXT_USER,
    ERPNEXT_USER,
    0,
    0,
    it.itemCode,
    it.itemName,
    it.itemGroup,
    it.stockUom,
    it.disabled ? 1 : 0,
    it.isStockItem ? 1 : 0,
    it.valuationRate,
    it.standardRate,
    `${it.itemName} (${it.stockUom})`,
    it.brand,
    it.safetyStock,
  ]);
  const binRows = [...erp.bins.values()].map((b) => {
    const projected = b.actual + b.ordered - b.reserved;
    return [
      b.name,
      b.creation,
      b.modified,
      ERPNEXT_USER,
      ERPNEXT_USER,
      0,
      0,
      b.itemCode,
      b.warehouse,
      fromScaled(b.actual),
      fromScaled(b.ordered),
      fromScaled(projected),
      fromScaled(b.reserved),
      uom(b.itemCode),
      rate(b.itemCode),
      mulDecimals(fromScaled(b.actual), rate(b.itemCode)),
    ];
  });
  const sleRows = erp.ledger.map((s) => {
    const r = rate(s.itemCode);
    const actual = fromScaled(s.actual);
    return [
      s.name,
      s.creation,
      s.modified,
      ERPNEXT_USER,
      ERPNEXT_USER,
      1,
      0,
      s.itemCode,
      s.warehouse,
      s.posting.slice(0, 10),
      s.posting.slice(11),
      s.posting,
      s.voucherType,
      s.voucherNo,
      s.voucherDetailNo,
      actual,
      fromScaled(s.qtyAfter),
      s.actual > 0n ? r : '0',
      s.actual < 0n ? r : '0',
      r,
      mulDecimals(fromScaled(s.qtyAfter), r),
      mulDecimals(actual, r),
      '[]',
      ERPNEXT_COMPANY.name,
      uom(s.itemCode),
      s.posting.slice(0, 4),
      s.isCancelled ? 1 : 0,
    ];
  });
  const seriesRows = [...erp.series.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

  await createErpnextSchema(conn);
  for (const t of ERPNEXT_TABLES) await conn.query(`TRUNCATE TABLE \`${t}\``);
  await conn.beginTransaction();
  try {
    await insertRows(
      conn,
      '`tabWarehouse` (name, creation, modified, modified_by, owner, docstatus, idx, disabled, warehouse_name, is_group, parent_warehouse, account, company, warehouse_type, lft, rgt, old_parent)',
      warehouseRows,
    );
    await insertRows(
      conn,
      '`tabItem` (name, creation, modified, modified_by, owner, docstatus, idx, item_code, item_name, item_group, stock_uom, disabled, is_stock_item, valuation_rate, standard_rate, description, brand, safety_stock)',
      itemRows,
    );
    await insertRows(
      conn,
      '`tabBin` (name, creation, modified, modified_by, owner, docstatus, idx, item_code, warehouse, actual_qty, ordered_qty, projected_qty, reserved_qty, stock_uom, valuation_rate, stock_value)',
      binRows,
    );
    await insertRows(
      conn,
      '`tabStock Ledger Entry` (name, creation, modified, modified_by, owner, docstatus, idx, item_code, warehouse, posting_date, posting_time, posting_datetime, voucher_type, voucher_no, voucher_detail_no, ' +
        'actual_qty, qty_after_transaction, incoming_rate, outgoing_rate, valuation_rate, stock_value, stock_value_difference, stock_queue, company, stock_uom, fiscal_year, is_cancelled)',
      sleRows,
    );
    await insertRows(conn, '`tabSeries` (name, current)', seriesRows);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
  return {
    items: itemRows.length,
    warehouses: warehouseRows.length,
    bins: binRows.length,
    stockLedgerEntries: sleRows.length,
    cancelledVouchers: erp.cancelled.size,
    series: seriesRows.length,
  };
}

/** Multi-row INSERT in batches, using mysql2's `VALUES ?` expansion of nested arrays. */
async function insertRows(conn: Connection, target: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await conn.query(`INSERT INTO ${target} VALUES ?`, [rows.slice(i, i + BATCH)]);
  }
}
