/**
 * ERPNext's part of a workload: stock documents (receipts, counter sales, deliveries against Sales
 * Orders, transfers, reservations and their release, and cancellations), written as ERPNext writes
 * them (see `operations.ts`); each recorded operation also names its voucher and the ledger entries
 * it wrote. Run it with the shared driver: `runWorkload([erpnextWorkload(conn), ...], opts)`.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import {
  CANCELLABLE_VOUCHERS,
  ERPNEXT_WAREHOUSE,
  addDecimals,
  buildErpnextCatalog,
  compareDecimals,
  erpnextLocationCodes,
  subDecimals,
  type ErpnextItem,
  type ErpnextVoucherType,
} from './model.ts';
import {
  ErpnextStateError,
  SLE_TABLE,
  cancelVoucher,
  deliverStock,
  receiveStock,
  reserveStock,
  sellStock,
  transferStock,
  unreserveStock,
  type ErpnextCommit,
} from './operations.ts';
import { ZipfSampler } from '../shared/prng.ts';
import { SEEDED_HINT, type CommittedOperation, type WorkloadLane } from '../shared/workload.ts';
import { partOf, type LanePart } from '../shared/part.ts';

/** ERPNext operation kinds. */
export const ERPNEXT_OPERATION_KINDS = ['erp.receipt', 'erp.sale', 'erp.delivery', 'erp.transfer', 'erp.reserve', 'erp.unreserve', 'erp.cancel'] as const;
/** One of {@link ERPNEXT_OPERATION_KINDS}. */
export type ErpnextOperationKind = (typeof ERPNEXT_OPERATION_KINDS)[number];

/** Default relative weights of the ERPNext kinds (they sum to 100). */
export const ERPNEXT_DEFAULT_MIX: Readonly<Record<ErpnextOperationKind, number>> = {
  'erp.receipt': 20,
  'erp.sale': 30,
  'erp.delivery': 10,
  'erp.transfer': 10,
  'erp.reserve': 12,
  'erp.unreserve': 6,
  'erp.cancel': 12,
};

/** What ERPNext adds to each recorded operation. */
export interface ErpnextOperationDetail {
  /** The document submitted or cancelled, e.g. `Purchase Receipt MAT-PRE-2026-00012`. */
  voucher: string;
  /** Stock Ledger Entries written: `insert` (new entries, reversals too) and `cancel` (flagged originals). */
  ledger: ErpnextCommit['ledger'];
}

/** A committed ERPNext operation as the workload records it. */
export type ErpnextOperation = CommittedOperation<ErpnextOperationKind> & ErpnextOperationDetail;

/** Attempts to find a target the chosen kind applies to before falling back to a receipt. */
const ATTEMPTS = 5;

interface Bin {
  actual: string;
  reserved: string;
}

/**
 * The ERPNext lane of a workload.
 *
 * @param conn - mysql2/promise connection on the seeded ERPNext database, used by nobody else meanwhile.
 * @param options.part - only the items of this part (see `shared/part.ts`), and only their
 *   documents are cancelled; all when omitted.
 */
export function erpnextWorkload(conn: Connection, options: { part?: LanePart } = {}): WorkloadLane<ErpnextOperationKind, ErpnextOperationDetail> {
  return {
    source: 'erpnext',
    kinds: ERPNEXT_OPERATION_KINDS,
    defaultMix: ERPNEXT_DEFAULT_MIX,
    async start(sample, rng) {
      const { stockItemsByRank } = buildErpnextCatalog(sample);
      await checkSeeded(conn, stockItemsByRank);
      const items = partOf(stockItemsByRank, options.part);
      const zipf = new ZipfSampler(items.length);
      const codes = erpnextLocationCodes();
      const pickItem = (): ErpnextItem => items[zipf.sample(rng)] as ErpnextItem;
      // A part cancels only documents of its own items (each document moves one item).
      const ownItems = options.part ? 'AND item_code IN (?)' : '';
      const ownItemsArgs = options.part ? [items.map((it) => it.itemCode)] : [];
      const binOf = async (itemCode: string, warehouse: string): Promise<Bin | null> => {
        const [rows] = await conn.query<RowDataPacket[]>(
          'SELECT actual_qty AS actual, reserved_qty AS reserved FROM `tabBin` WHERE item_code = ? AND warehouse = ?',
          [itemCode, warehouse],
        );
        return (rows[0] as Bin | undefined) ?? null;
      };
      const selling = (): string => (rng.chance(0.7) ? ERPNEXT_WAREHOUSE.stores : ERPNEXT_WAREHOUSE.finished);
      /** A quantity of at most `limit` (and at most `max` whole units); goods by weight may move fractions. */
      const amount = (item: ErpnextItem, limit: string, max: number): string | null => {
        const whole = Math.min(max, Math.floor(Number(limit)));
        if (whole >= 1) return String(rng.int(1, whole));
        return item.byWeight && compareDecimals(limit, '0') > 0 ? addDecimals(limit) : null;
      };

      const execute = async (kind: ErpnextOperationKind): Promise<{ kind: ErpnextOperationKind; commit: ErpnextCommit }> => {
        for (let attempt = 0; attempt < ATTEMPTS && kind !== 'erp.receipt'; attempt++) {
          const item = pickItem();
          let commit: ErpnextCommit | null = null;
          if (kind === 'erp.sale' || kind === 'erp.delivery') {
            const warehouse = selling();
            const bin = await binOf(item.itemCode, warehouse);
            if (!bin) continue;
            if (kind === 'erp.sale') {
              // A counter sale takes from what is not reserved.
              const qty = amount(item, subDecimals(bin.actual, bin.reserved), 3);
              if (qty) commit = await sellStock(conn, { itemCode: item.itemCode, warehouse, qty }).catch(refusedAsNull);
            } else {
              // A delivery against a Sales Order ships (part of) what is reserved.
              const limit = compareDecimals(bin.reserved, bin.actual) < 0 ? bin.reserved : bin.actual;
              const qty = amount(item, limit, 5);
              if (qty) commit = await deliverStock(conn, { itemCode: item.itemCode, warehouse, qty }).catch(refusedAsNull);
            }
          } else if (kind === 'erp.transfer') {
            const [from, to] = rng.pick([
              [ERPNEXT_WAREHOUSE.stores, ERPNEXT_WAREHOUSE.wip],
              [ERPNEXT_WAREHOUSE.wip, ERPNEXT_WAREHOUSE.finished],
              [ERPNEXT_WAREHOUSE.stores, ERPNEXT_WAREHOUSE.finished],
              [ERPNEXT_WAREHOUSE.finished, ERPNEXT_WAREHOUSE.stores],
            ] as const);
            const bin = await binOf(item.itemCode, from);
            if (!bin) continue;
            const qty = amount(item, subDecimals(bin.actual, bin.reserved), 12);
            if (qty) commit = await transferStock(conn, { itemCode: item.itemCode, from, to, qty }).catch(refusedAsNull);
          } else if (kind === 'erp.reserve') {
            const warehouse = selling();
            const bin = await binOf(item.itemCode, warehouse);
            if (!bin) continue;
            const qty = amount(item, subDecimals(bin.actual, bin.reserved), 5);
            if (qty) commit = await reserveStock(conn, { itemCode: item.itemCode, warehouse, qty }).catch(refusedAsNull);
          } else if (kind === 'erp.unreserve') {
            const warehouse = selling();
            const bin = await binOf(item.itemCode, warehouse);
            if (!bin || compareDecimals(bin.reserved, '0') <= 0) continue;
            const qty = rng.chance(0.4) ? 'all' : (amount(item, bin.reserved, 3) ?? 'all');
            commit = await unreserveStock(conn, { itemCode: item.itemCode, warehouse, qty }).catch(refusedAsNull);
          } else if (kind === 'erp.cancel') {
            // One of the 20 most recent cancellable documents (creation order is operation order).
            const [rows] = await conn.query<RowDataPacket[]>(
              `SELECT voucher_type, voucher_no FROM ${SLE_TABLE}
               WHERE voucher_type IN (?) ${ownItems} GROUP BY voucher_type, voucher_no HAVING MAX(is_cancelled) = 0
               ORDER BY MAX(creation) DESC, voucher_no DESC LIMIT 20`,
              [CANCELLABLE_VOUCHERS, ...ownItemsArgs],
            );
            if (rows.length === 0) break;
            const v = rng.pick(rows);
            commit = await cancelVoucher(conn, v.voucher_type as ErpnextVoucherType, v.voucher_no as string).catch(refusedAsNull);
          }
          if (commit) return { kind, commit };
        }
        // Receipts always apply: also the fallback when nothing suited the chosen kind.
        const item = pickItem();
        const qty = item.byWeight ? addDecimals(`${rng.int(1, 20)}.${String(rng.int(0, 999)).padStart(3, '0')}`) : String(rng.pick([6, 12, 24, 48]));
        return { kind: 'erp.receipt', commit: await receiveStock(conn, { itemCode: item.itemCode, warehouse: selling(), qty }) };
      };

      return {
        async run(kind) {
          const done = await execute(kind);
          const c = done.commit;
          return {
            kind: done.kind,
            stamp: c,
            touched: c.bins.map((b) => ({
              source: 'erpnext',
              productId: b.itemCode,
              sku: b.itemCode,
              sourceLocation: b.warehouse,
              location: codes[b.warehouse] ?? null,
              onHandDelta: b.actualDelta,
              reservedDelta: b.reservedDelta,
            })),
            detail: { voucher: `${c.voucherType} ${c.voucherNo ?? '(closed)'}`, ledger: c.ledger },
          };
        },
      };
    },
  };
}

/** A refused guard means the state does not allow it: treat like "not applicable". */
function refusedAsNull(err: unknown): null {
  if (err instanceof ErpnextStateError) return null;
  throw err;
}

/** Fails fast when the database was seeded with other options (its items come from the catalogue). */
async function checkSeeded(conn: Connection, stockItemsByRank: readonly ErpnextItem[]): Promise<void> {
  const probe = stockItemsByRank.reduce<ErpnextItem | undefined>((last, it) => (last === undefined || it.itemCode > last.itemCode ? it : last), undefined);
  const [rows] = await conn.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM `tabItem` WHERE is_stock_item = 1');
  const [found] = await conn.query<RowDataPacket[]>('SELECT item_name FROM `tabItem` WHERE name = ?', [probe?.itemCode ?? '']);
  if (Number(rows[0]?.n) !== stockItemsByRank.length || found[0]?.item_name !== probe?.itemName) {
    throw new Error(
      `runWorkload: the ERPNext database does not hold the items of these options (${stockItemsByRank.length} stock items expected); ${SEEDED_HINT}`,
    );
  }
}
