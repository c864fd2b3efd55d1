/**
 * Workload generator for the sample ERPNext database: paced, seeded stock documents (receipts,
 * counter sales, deliveries against Sales Orders, transfers, reservations and their release, and
 * cancellations), each recording when its COMMIT returned, its GTID, and which (sku, location) keys
 * it touched — the same shape as `workload.ts` records for the POS and warehouse lanes, with
 * `source: 'erpnext'`, so a caller can merge the three.
 *
 * One lane, strictly sequential on its connection, with its own PRNG stream: for a fresh seed of the
 * same options, the same workload options yield the same final state (names included) whatever the
 * timing.
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
import { resolveSampleOptions } from '../shared/model.ts';
import type { WorkloadOptions, WorkloadResult } from '../shared/workload.ts';
import type { CommitStamp } from '../shared/commit.ts';
import { Rng, ZipfSampler, deriveSeed } from '../shared/prng.ts';

/** ERPNext operation kinds. */
export const ERPNEXT_OPERATION_KINDS = [
  'erp.receipt',
  'erp.sale',
  'erp.delivery',
  'erp.transfer',
  'erp.reserve',
  'erp.unreserve',
  'erp.cancel',
] as const;
/** One of {@link ERPNEXT_OPERATION_KINDS}. */
export type ErpnextOperationKind = (typeof ERPNEXT_OPERATION_KINDS)[number];

/** Default relative weights (they sum to 100). */
export const ERPNEXT_DEFAULT_MIX: Readonly<Record<ErpnextOperationKind, number>> = {
  'erp.receipt': 20,
  'erp.sale': 30,
  'erp.delivery': 10,
  'erp.transfer': 10,
  'erp.reserve': 12,
  'erp.unreserve': 6,
  'erp.cancel': 12,
};

/** One key an operation changed; the shape of `workload.ts`'s TouchedKey. */
export interface ErpnextTouchedKey {
  source: 'erpnext';
  /** item_code (also the SKU). */
  productId: string;
  /** SKU: the item_code. */
  sku: string | null;
  /** Warehouse name. */
  sourceLocation: string;
  /** Canonical location code (the warehouse name); null for a warehouse without one. */
  location: string | null;
  /** Signed change of on hand (`tabBin.actual_qty`), exact decimal string. */
  onHandDelta: string;
  /** Signed change of reserved (`tabBin.reserved_qty`), exact decimal string. */
  reservedDelta: string;
}

/** A committed ERPNext operation; the shape of `workload.ts`'s CommittedOperation. */
export interface ErpnextCommittedOperation extends CommitStamp {
  seq: number;
  source: 'erpnext';
  kind: ErpnextOperationKind;
  touched: ErpnextTouchedKey[];
  scheduledAtMs: number;
  startedAtMs: number;
  /** The document submitted or cancelled, e.g. `Purchase Receipt MAT-PRE-2026-00012`. */
  voucher: string;
  /** Stock Ledger Entries written: `insert` (new entries, reversals too) and `cancel` (flagged originals). */
  ledger: ErpnextCommit['ledger'];
}

/**
 * Options of {@link runErpnextWorkload}: those of the POS/warehouse workload (seed, rate, duration,
 * count, signal, keepOperations), with ERPNext's operation kinds. Missing kinds of `mix` keep
 * {@link ERPNEXT_DEFAULT_MIX}; 0 disables a kind.
 */
export interface ErpnextWorkloadOptions extends Omit<WorkloadOptions, 'mix' | 'onCommit'> {
  mix?: Partial<Record<ErpnextOperationKind, number>>;
  /** Called synchronously right after each commit is recorded. */
  onCommit?: (op: ErpnextCommittedOperation) => void;
}

/** Result of {@link runErpnextWorkload}: that of the POS/warehouse workload, with ERPNext's kinds. */
export interface ErpnextWorkloadResult extends Omit<WorkloadResult, 'operations' | 'counts'> {
  operations: ErpnextCommittedOperation[];
  counts: Record<ErpnextOperationKind, number>;
}

/** Attempts to find a target the chosen kind applies to before falling back to a receipt. */
const ATTEMPTS = 5;
/** Upper bound of operations when only a duration bounds the run (100 per ms). */
const OPEN_ENDED_CAP_PER_MS = 100;

interface Bin {
  actual: string;
  reserved: string;
}

/**
 * Runs the ERPNext workload until `count` operations committed, `durationMs` elapsed, or `signal`
 * aborted; paced at `rate` on a fixed schedule (a late lane runs back to back until caught up).
 *
 * @param conn - mysql2/promise connection on the seeded ERPNext database, used by nobody else meanwhile.
 * @param opts - the seeding options (`seed`, `products` as seeded) plus pacing.
 */
export async function runErpnextWorkload(conn: Connection, opts: ErpnextWorkloadOptions): Promise<ErpnextWorkloadResult> {
  const sample = resolveSampleOptions(opts);
  if (opts.count === undefined && opts.durationMs === undefined) throw new Error('runErpnextWorkload: give count or durationMs');
  for (const [k, v] of [['count', opts.count], ['durationMs', opts.durationMs], ['rate', opts.rate]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`runErpnextWorkload: ${k} must be a non-negative number, got ${v}`);
  }
  const mix = { ...ERPNEXT_DEFAULT_MIX, ...opts.mix };
  const kinds = ERPNEXT_OPERATION_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  if (kinds.length === 0) throw new Error('runErpnextWorkload: no kind with a positive mix weight');
  const weights = kinds.map((k) => mix[k]);
  const workloadSeed = opts.workloadSeed ?? sample.seed;
  if (!Number.isInteger(workloadSeed)) throw new Error(`runErpnextWorkload: workloadSeed must be an integer, got ${workloadSeed}`);
  const { stockItemsByRank } = buildErpnextCatalog(sample);
  await checkSeeded(conn, stockItemsByRank);

  const rng = new Rng(deriveSeed(workloadSeed, 'workload-erpnext'));
  const zipf = new ZipfSampler(stockItemsByRank.length);
  const codes = erpnextLocationCodes();
  const pickItem = (): ErpnextItem => stockItemsByRank[zipf.sample(rng)] as ErpnextItem;
  const binOf = async (itemCode: string, warehouse: string): Promise<Bin | null> => {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT actual_qty AS actual, reserved_qty AS reserved FROM `tabBin` WHERE item_code = ? AND warehouse = ?', [
      itemCode,
      warehouse,
    ]);
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
           WHERE voucher_type IN (?) GROUP BY voucher_type, voucher_no HAVING MAX(is_cancelled) = 0
           ORDER BY MAX(creation) DESC, voucher_no DESC LIMIT 20`,
          [CANCELLABLE_VOUCHERS],
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

  const rate = opts.rate ?? 0;
  const planned = opts.count ?? (rate > 0 && opts.durationMs !== undefined ? Math.floor((rate * opts.durationMs) / 1000) : null);
  const cap = planned ?? Math.ceil((opts.durationMs as number) * OPEN_ENDED_CAP_PER_MS);
  const intervalMs = rate > 0 ? 1000 / rate : 0;
  const startedAtMs = Date.now();
  const deadline = opts.durationMs !== undefined ? startedAtMs + opts.durationMs : Number.POSITIVE_INFINITY;
  const operations: ErpnextCommittedOperation[] = [];
  const counts = Object.fromEntries(ERPNEXT_OPERATION_KINDS.map((k) => [k, 0])) as Record<ErpnextOperationKind, number>;
  let seq = 0;
  for (let i = 0; i < cap; i++) {
    const scheduledAtMs = startedAtMs + i * intervalMs;
    if (opts.signal?.aborted || scheduledAtMs >= deadline) break;
    await sleepUntil(scheduledAtMs, opts.signal);
    const startedAt = Date.now();
    if (opts.signal?.aborted || startedAt >= deadline) break;
    const done = await execute(kinds[rng.weighted(weights)] as ErpnextOperationKind);
    const c = done.commit;
    const op: ErpnextCommittedOperation = {
      seq: seq++,
      source: 'erpnext',
      kind: done.kind,
      touched: c.bins.map((b) => ({
        source: 'erpnext',
        productId: b.itemCode,
        sku: b.itemCode,
        sourceLocation: b.warehouse,
        location: codes[b.warehouse] ?? null,
        onHandDelta: b.actualDelta,
        reservedDelta: b.reservedDelta,
      })),
      scheduledAtMs,
      startedAtMs: startedAt,
      committedAtMs: c.committedAtMs,
      committedAtHr: c.committedAtHr,
      txId: c.txId,
      voucher: `${c.voucherType} ${c.voucherNo ?? '(closed)'}`,
      ledger: c.ledger,
    };
    counts[op.kind]++;
    if (opts.keepOperations !== false) operations.push(op);
    opts.onCommit?.(op);
  }
  const endedAtMs = Date.now();
  return {
    operations,
    counts,
    committed: seq,
    planned,
    startedAtMs,
    endedAtMs,
    achievedRate: endedAtMs > startedAtMs ? (seq * 1000) / (endedAtMs - startedAtMs) : 0,
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
      `runErpnextWorkload: the ERPNext database does not hold the items of these options (${stockItemsByRank.length} stock items expected); ` +
        'was it seeded with the same seed and products as the workload options?',
    );
  }
}

/** Resolves at `atMs` (Date.now() scale) or as soon as `signal` aborts. */
function sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
  const delay = atMs - Date.now();
  if (delay <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delay);
    signal?.addEventListener('abort', done, { once: true });
  });
}
