/**
 * Workload generator: paced, seeded stock operations against the sample POS and warehouse
 * databases, each recording when its COMMIT returned and which (sku, location) keys it touched, so
 * that a caller can measure end-to-end latency and check the pipeline's result.
 *
 * The POS and the warehouse run as two lanes in parallel, each strictly sequential on its own
 * connection, each with its own PRNG stream: for a fresh seed of the same options, the same workload
 * options yield the same final source state whatever the timing.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Client } from 'pg';
import { formatUnits, normalizeDecimal } from './decimal.ts';
import {
  buildCatalog,
  resolveSampleOptions,
  sampleLocations,
  type CatalogProduct,
  type SampleCatalog,
  type SampleLocations,
  type SampleOptions,
} from './model.ts';
import type { CommitStamp } from './commit.ts';
import { applyPosMovements, type PosMovement } from '../pos/operations.ts';
import { POS_REASON } from '../pos/schema.ts';
import { Rng, ZipfSampler, deriveSeed } from './prng.ts';
import {
  QuantStateError,
  deliverQuant,
  mergeQuants,
  receiveQuant,
  reserveQuant,
  unreserveQuant,
  type WarehouseCommit,
} from '../warehouse/operations.ts';

/** A source database of the sample. */
export type SampleSource = 'pos' | 'warehouse';

/** POS operation kinds (uniCenta reasons): sale -1, refund +2, breakage -3, receipt +1, transfer -4/+4. */
export const POS_OPERATION_KINDS = ['pos.sale', 'pos.refund', 'pos.breakage', 'pos.receipt', 'pos.transfer'] as const;
/** Warehouse operation kinds (Odoo quant writes). */
export const WAREHOUSE_OPERATION_KINDS = ['wms.receipt', 'wms.reserve', 'wms.unreserve', 'wms.delivery', 'wms.merge'] as const;
/** Any operation kind. */
export type OperationKind = (typeof POS_OPERATION_KINDS)[number] | (typeof WAREHOUSE_OPERATION_KINDS)[number];

/** Default relative weights of the operation kinds (they sum to 100: read them as percent). */
export const DEFAULT_MIX: Readonly<Record<OperationKind, number>> = {
  'pos.sale': 50,
  'pos.refund': 3,
  'pos.breakage': 2,
  'pos.receipt': 6,
  'pos.transfer': 2,
  'wms.receipt': 9,
  'wms.reserve': 9,
  'wms.unreserve': 4,
  'wms.delivery': 10,
  'wms.merge': 5,
};

/** One source row key an operation changed. */
export interface TouchedKey {
  source: SampleSource;
  /** POS `products.id`, or Odoo `product_product.id` as a decimal string. */
  productId: string;
  /** SKU (`products.reference` / `product_product.default_code`); null for unmapped warehouse products. */
  sku: string | null;
  /** POS `locations.id`, or Odoo `stock_location.complete_name`. */
  sourceLocation: string;
  /** Canonical location code (e.g. `STORE-01`, `WH1/Stock`); null for Odoo non-internal locations. */
  location: string | null;
  /** Signed change of on-hand quantity, exact decimal string. */
  onHandDelta: string;
  /** Signed change of reserved quantity, exact decimal string (always `"0"` on the POS). */
  reservedDelta: string;
}

/** A committed operation. Times: `*Ms` are `Date.now()` values, `committedAtHr` is `process.hrtime.bigint()` ns. */
export interface CommittedOperation extends CommitStamp {
  /**
   * 0-based order in which the run recorded operations, across both lanes (also the `onCommit`
   * order). Within a lane it is commit order; across lanes sort by `committedAtHr` for commit order,
   * as a POS operation is recorded only after its GTID lookup.
   */
  seq: number;
  source: SampleSource;
  kind: OperationKind;
  /** Keys changed, in write order; the same key may appear more than once. */
  touched: TouchedKey[];
  /** When the pacing planned the operation to start. */
  scheduledAtMs: number;
  /** When the operation actually started (first statement). */
  startedAtMs: number;
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions extends SampleOptions {
  /** Seed of the workload's own PRNG streams; defaults to `seed` (which must be the seeding seed). */
  workloadSeed?: number;
  /** Total operations per second across both lanes; omitted or 0 means as fast as possible. */
  rate?: number;
  /** Stop starting operations after this many milliseconds. */
  durationMs?: number;
  /** Stop after this many operations in total. At least one of `count`, `durationMs` is required. */
  count?: number;
  /** Relative weights per kind (missing kinds keep {@link DEFAULT_MIX}; 0 disables a kind). */
  mix?: Partial<Record<OperationKind, number>>;
  /** Called synchronously right after each commit is recorded. */
  onCommit?: (op: CommittedOperation) => void;
  /** Aborting stops both lanes after their current operation. */
  signal?: AbortSignal;
  /** Keep every operation in the result (default true); set false for long runs that use onCommit. */
  keepOperations?: boolean;
}

/** Result of {@link runWorkload}. */
export interface WorkloadResult {
  /** Committed operations in `seq` order (empty when `keepOperations` is false). */
  operations: CommittedOperation[];
  /** Operations per kind that committed. */
  counts: Record<OperationKind, number>;
  /** Operations committed in total. */
  committed: number;
  /** Operations planned (from `count`, or `rate` × `durationMs`); null when open-ended. */
  planned: number | null;
  /** `Date.now()` at start and end of the run, and the achieved rate in operations per second. */
  startedAtMs: number;
  endedAtMs: number;
  achievedRate: number;
}

/** What one lane needs to know about the sample. */
interface LaneContext {
  rng: Rng;
  catalog: SampleCatalog;
  locations: SampleLocations;
  /** Catalogue lookups by POS `products.id` and Odoo `product_product.id`. */
  byPosId: Map<string, CatalogProduct>;
  byWarehouseId: Map<number, CatalogProduct>;
  zipf: ZipfSampler;
  kinds: OperationKind[];
  weights: number[];
}

/** A lane's way to run one operation of the chosen kind. */
type Executor = (ctx: LaneContext, kind: OperationKind) => Promise<{ kind: OperationKind; stamp: CommitStamp; touched: TouchedKey[] }>;

/** Upper bound of operations per lane when only a duration bounds the run (100 per ms). */
const OPEN_ENDED_CAP_PER_MS = 100;

/**
 * Runs the workload until `count` operations committed, `durationMs` elapsed, or `signal` aborted,
 * whichever comes first; each lane finishes its current operation, then the promise resolves.
 * Lanes are split by the mix weights (default 63 % POS, 37 % warehouse) and paced evenly at
 * `rate` × share on a fixed schedule; a lane that falls behind runs back to back until it has
 * caught up with the schedule.
 *
 * @param targets - `pos`: mysql2/promise connection on the seeded POS database; `warehouse`:
 *   connected pg.Client on the seeded warehouse database. A missing target disables its lane. Each
 *   connection is used by one lane only and must not be used by anyone else meanwhile.
 * @param opts - the seeding options (`seed`, `products`, `stores`, `warehouses` must be those the
 *   databases were seeded with) plus pacing. The workload's PRNG streams derive from `workloadSeed` (default `seed`).
 * @throws the first database error of either lane, after both lanes stopped.
 */
export async function runWorkload(
  targets: { pos?: Connection; warehouse?: Client },
  opts: WorkloadOptions,
): Promise<WorkloadResult> {
  const sample = resolveSampleOptions(opts);
  if (opts.count === undefined && opts.durationMs === undefined) throw new Error('runWorkload: give count or durationMs');
  for (const [k, v] of [['count', opts.count], ['durationMs', opts.durationMs], ['rate', opts.rate]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`runWorkload: ${k} must be a non-negative number, got ${v}`);
  }
  const mix = { ...DEFAULT_MIX, ...opts.mix };
  const catalog = buildCatalog(sample);
  const locations = sampleLocations(sample);
  const rate = opts.rate ?? 0;
  const workloadSeed = opts.workloadSeed ?? sample.seed;
  if (!Number.isInteger(workloadSeed)) throw new Error(`runWorkload: workloadSeed must be an integer, got ${workloadSeed}`);
  const byPosId = new Map(catalog.posByRank.map((p) => [p.posId as string, p]));
  const byWarehouseId = new Map(catalog.warehouseByRank.map((p) => [p.warehouseId as number, p]));

  const lanes: { source: SampleSource; kinds: OperationKind[]; share: number; exec: Executor; byRank: CatalogProduct[] }[] = [];
  const posKinds = POS_OPERATION_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  const whKinds = WAREHOUSE_OPERATION_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  if (targets.pos && posKinds.length > 0) lanes.push({ source: 'pos', kinds: posKinds, share: 0, exec: posExecutor(targets.pos), byRank: catalog.posByRank });
  if (targets.warehouse && whKinds.length > 0) lanes.push({ source: 'warehouse', kinds: whKinds, share: 0, exec: warehouseExecutor(targets.warehouse), byRank: catalog.warehouseByRank });
  if (lanes.length === 0) throw new Error('runWorkload: no target connection with a positive mix weight');
  const laneWeight = (kinds: OperationKind[]): number => kinds.reduce((a, k) => a + mix[k], 0);
  const total = lanes.reduce((a, l) => a + laneWeight(l.kinds), 0);
  for (const l of lanes) l.share = laneWeight(l.kinds) / total;

  const planned = opts.count ?? (rate > 0 && opts.durationMs !== undefined ? Math.floor((rate * opts.durationMs) / 1000) : null);
  // Split a planned total exactly: the first lane rounds, the last takes the rest.
  const laneCounts = lanes.map((l, i) => (planned === null ? null : i < lanes.length - 1 ? Math.round(planned * l.share) : 0));
  if (planned !== null) laneCounts[lanes.length - 1] = planned - laneCounts.slice(0, -1).reduce<number>((a, c) => a + (c ?? 0), 0);

  await checkSeeded(targets, catalog);

  const startedAtMs = Date.now();
  const deadline = opts.durationMs !== undefined ? startedAtMs + opts.durationMs : Number.POSITIVE_INFINITY;
  const operations: CommittedOperation[] = [];
  const counts = Object.fromEntries([...POS_OPERATION_KINDS, ...WAREHOUSE_OPERATION_KINDS].map((k) => [k, 0])) as Record<OperationKind, number>;
  let seq = 0;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();

  const runLane = async (lane: (typeof lanes)[number], laneIndex: number): Promise<void> => {
    const ctx: LaneContext = {
      rng: new Rng(deriveSeed(workloadSeed, `workload-${lane.source}`)),
      catalog,
      locations,
      byPosId,
      byWarehouseId,
      zipf: new ZipfSampler(lane.byRank.length),
      kinds: lane.kinds,
      weights: lane.kinds.map((k) => mix[k]),
    };
    const intervalMs = rate > 0 ? 1000 / (rate * lane.share) : 0;
    const phase = laneIndex / lanes.length; // interleave the lanes' ticks
    const cap = laneCounts[laneIndex] ?? Math.ceil((opts.durationMs as number) * OPEN_ENDED_CAP_PER_MS);
    for (let i = 0; i < cap; i++) {
      const scheduledAtMs = startedAtMs + (i + phase) * intervalMs;
      if (stop.signal.aborted || scheduledAtMs >= deadline) return;
      await sleepUntil(scheduledAtMs, stop.signal);
      const startedAt = Date.now();
      if (stop.signal.aborted || startedAt >= deadline) return;
      const kind = ctx.kinds[ctx.rng.weighted(ctx.weights)] as OperationKind;
      const done = await lane.exec(ctx, kind);
      const op: CommittedOperation = {
        seq: seq++,
        source: lane.source,
        kind: done.kind,
        touched: done.touched,
        scheduledAtMs,
        startedAtMs: startedAt,
        committedAtMs: done.stamp.committedAtMs,
        committedAtHr: done.stamp.committedAtHr,
        txId: done.stamp.txId,
      };
      counts[op.kind]++;
      if (opts.keepOperations !== false) operations.push(op);
      opts.onCommit?.(op);
    }
  };

  const results = await Promise.allSettled(
    lanes.map((l, i) =>
      runLane(l, i).catch((err: unknown) => {
        stop.abort(); // one lane failing stops the other too
        throw err;
      }),
    ),
  );
  opts.signal?.removeEventListener('abort', onAbort);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
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

/**
 * Fails fast, with a clear message, when the databases were seeded with other options than the
 * workload's (its product ids come from the catalogue of `seed` and `products`).
 */
async function checkSeeded(targets: { pos?: Connection; warehouse?: Client }, catalog: SampleCatalog): Promise<void> {
  const hint = 'were the databases seeded with the same seed and products as the workload options?';
  // The last product of each side: it only matches when seed and product count both match.
  const posProbe = lastOf(catalog.products, (p) => p.posId !== null);
  if (targets.pos && posProbe) {
    const [rows] = await targets.pos.query<RowDataPacket[]>('SELECT reference FROM products WHERE id = ?', [posProbe.posId]);
    if (rows[0]?.reference !== posProbe.sku) throw new Error(`runWorkload: POS product ${posProbe.sku} (${posProbe.posId}) not found; ${hint}`);
  }
  const whProbe = lastOf(catalog.products, (p) => p.warehouseId !== null);
  if (targets.warehouse && whProbe) {
    const r = await targets.warehouse.query<{ default_code: string | null }>('SELECT default_code FROM product_product WHERE id = $1', [whProbe.warehouseId]);
    if (r.rows[0]?.default_code !== whProbe.sku) throw new Error(`runWorkload: warehouse product ${whProbe.sku} (id ${whProbe.warehouseId}) not found; ${hint}`);
  }
}

/** `Array.prototype.findLast`, which the ES2022 target lacks. */
function lastOf<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return items[i];
  return undefined;
}

/** Resolves at `atMs` (Date.now() scale) or as soon as `signal` aborts. */
function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  const delay = atMs - Date.now();
  if (delay <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delay);
    signal.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// POS lane

/** Units for one POS line: mostly 1, sometimes 2–3; halves for goods sold by weight. */
function posUnits(rng: Rng, p: CatalogProduct): number {
  if (p.byWeight) return rng.pick([0.5, 1, 1.5, 2, 2.5]);
  return rng.weighted([85, 10, 5]) + 1;
}

function posExecutor(conn: Connection): Executor {
  return async (ctx, kind) => {
    const { rng, catalog, locations } = ctx;
    const stores = locations.stores;
    const pickProduct = (): CatalogProduct => catalog.posByRank[ctx.zipf.sample(rng)] as CatalogProduct;
    const line = (p: CatalogProduct, store: string, reason: PosMovement['reason'], units: number, price: number): PosMovement => ({
      location: store,
      product: p.posId as string,
      attributeSetInstanceId: p.attributeInstances.length > 0 ? rng.pick(p.attributeInstances) : null,
      reason,
      units,
      price,
    });
    const store = rng.pick(stores).posLocationId;
    let movements: PosMovement[];
    let effective = kind;
    switch (kind) {
      case 'pos.sale': {
        // A ticket has 1–3 lines, all saved in the same transaction.
        const lines = rng.weighted([70, 20, 10]) + 1;
        movements = [];
        for (let i = 0; i < lines; i++) {
          const p = pickProduct();
          movements.push(line(p, store, POS_REASON.sale, -posUnits(rng, p), p.pricesell));
        }
        break;
      }
      case 'pos.refund': {
        const p = pickProduct();
        movements = [line(p, store, POS_REASON.refund, posUnits(rng, p), p.pricesell)];
        break;
      }
      case 'pos.breakage': {
        const p = pickProduct();
        movements = [line(p, store, POS_REASON.breakage, -posUnits(rng, p), p.pricebuy)];
        break;
      }
      case 'pos.transfer': {
        const p = pickProduct();
        const others = stores.filter((s) => s.posLocationId !== store);
        const units = posUnits(rng, p) * 2;
        if (others.length > 0) {
          const to = rng.pick(others).posLocationId;
          const out = line(p, store, POS_REASON.movementOut, -units, p.pricebuy);
          movements = [out, { ...out, location: to, reason: POS_REASON.movementIn, units, diaryId: undefined }];
          break;
        }
        effective = 'pos.receipt'; // a single store has nowhere to transfer to
        movements = [line(p, store, POS_REASON.purchase, units, p.pricebuy)];
        break;
      }
      case 'pos.receipt': {
        const p = pickProduct();
        const units = p.byWeight ? rng.pick([5, 10, 20]) : rng.pick([6, 12, 24, 48]);
        movements = [line(p, store, POS_REASON.purchase, units, p.pricebuy)];
        break;
      }
      default:
        throw new Error(`POS lane cannot run ${kind}`);
    }
    const stamp = await applyPosMovements(conn, movements);
    const touched = movements.map((m): TouchedKey => ({
      source: 'pos',
      productId: m.product,
      sku: ctx.byPosId.get(m.product)?.sku ?? null,
      sourceLocation: m.location,
      location: locations.posLocationCodes[m.location] ?? null,
      onHandDelta: formatUnits(m.units),
      reservedDelta: '0',
    }));
    return { kind: effective, stamp, touched };
  };
}

// ---------------------------------------------------------------------------------------------
// Warehouse lane

/** A quant as the warehouse lane reads it before deciding. */
interface QuantView {
  id: number;
  lot_id: number | null;
  quantity: string;
  reserved_quantity: string;
}

/** Attempts to find a product/location the chosen kind applies to before falling back to a receipt. */
const WAREHOUSE_ATTEMPTS = 5;

/** Receipt quantity: whole cases mostly; up to 3 decimals for goods sold by weight. */
function warehouseQuantity(rng: Rng, p: CatalogProduct): string {
  if (p.byWeight) return normalizeDecimal(`${rng.int(1, 50)}.${String(rng.int(0, 999)).padStart(3, '0')}`);
  return String(rng.pick([1, 5, 10, 12, 24, 50, 100]));
}

/** A whole amount in [1, min(max, floor(limit))], or "all" when less than one unit is there. */
function wholeAmount(rng: Rng, limit: number, max: number): string | 'all' {
  const top = Math.min(max, Math.floor(limit));
  return top >= 1 ? String(rng.int(1, top)) : 'all';
}

function warehouseExecutor(client: Client): Executor {
  return async (ctx, kind) => {
    const { rng, catalog, locations } = ctx;
    const special = locations.odooSpecial;
    const pickTarget = (): { p: CatalogProduct; locationId: number } => ({
      p: catalog.warehouseByRank[ctx.zipf.sample(rng)] as CatalogProduct,
      locationId: rng.pick(locations.warehouses).stockLocationId,
    });
    const quantsOf = async (productId: number, locationId: number): Promise<QuantView[]> =>
      (
        await client.query<QuantView>(
          `SELECT id, lot_id, quantity::text AS quantity, reserved_quantity::text AS reserved_quantity
           FROM stock_quant WHERE product_id = $1 AND location_id = $2 ORDER BY id`,
          [productId, locationId],
        )
      ).rows;

    let commit: WarehouseCommit | null = null;
    let effective: OperationKind = kind;
    for (let attempt = 0; attempt < WAREHOUSE_ATTEMPTS && commit === null && kind !== 'wms.receipt'; attempt++) {
      const { p, locationId } = pickTarget();
      const quants = await quantsOf(p.warehouseId as number, locationId);
      if (kind === 'wms.reserve') {
        const free = quants.filter((q) => Number(q.quantity) > Number(q.reserved_quantity));
        if (free.length === 0) continue;
        const q = rng.pick(free);
        const amount = rng.chance(0.3) ? 'all' : wholeAmount(rng, Number(q.quantity) - Number(q.reserved_quantity), 10);
        commit = await reserveQuant(client, q.id, amount).catch(refusedAsNull);
      } else if (kind === 'wms.unreserve') {
        const held = quants.filter((q) => Number(q.reserved_quantity) > 0);
        if (held.length === 0) continue;
        const q = rng.pick(held);
        const amount = rng.chance(0.4) ? 'all' : wholeAmount(rng, Number(q.reserved_quantity), 5);
        commit = await unreserveQuant(client, q.id, amount).catch(refusedAsNull);
      } else if (kind === 'wms.delivery') {
        const stocked = quants.filter((q) => Number(q.quantity) > 0);
        if (stocked.length === 0) continue;
        const q = rng.pick(stocked);
        // About a third of deliveries empty the quant, which Odoo then deletes.
        const amount = rng.chance(0.35) || Number(q.quantity) <= 1 ? 'all' : wholeAmount(rng, Number(q.quantity) - 1, 10);
        commit = await deliverQuant(client, { quantId: q.id, quantity: amount, customerLocationId: special.customers }).catch(refusedAsNull);
      } else if (kind === 'wms.merge') {
        if (quants.length < 2) continue;
        const keep = quants[0] as QuantView;
        const drop = rng.pick(quants.slice(1));
        commit = await mergeQuants(client, keep.id, drop.id).catch(refusedAsNull);
      } else {
        throw new Error(`warehouse lane cannot run ${kind}`);
      }
    }
    if (commit === null) {
      // Receipts always apply: also the fallback when no quant suited the chosen kind.
      effective = 'wms.receipt';
      const { p, locationId } = pickTarget();
      let lot: number | null | 'new' = null;
      if (p.lotTracked) {
        const lots = [...new Set((await quantsOf(p.warehouseId as number, locationId)).map((q) => q.lot_id))];
        lot = lots.length === 0 || rng.chance(0.6) ? 'new' : rng.pick(lots);
      }
      commit = await receiveQuant(client, {
        productId: p.warehouseId as number,
        locationId,
        lot,
        quantity: warehouseQuantity(rng, p),
        vendorLocationId: special.vendors,
      });
    }
    return { kind: effective, stamp: commit, touched: warehouseTouched(commit, ctx) };
  };
}

/** A refused guard means the state changed under us: treat like "not applicable". */
function refusedAsNull(err: unknown): null {
  if (err instanceof QuantStateError) return null;
  throw err;
}

function warehouseTouched(commit: WarehouseCommit, ctx: LaneContext): TouchedKey[] {
  return commit.changes.map((c): TouchedKey => {
    const loc = ctx.locations.odooLocations.find((l) => l.id === c.locationId);
    const completeName = loc?.completeName ?? String(c.locationId);
    return {
      source: 'warehouse',
      productId: String(c.productId),
      sku: ctx.byWarehouseId.get(c.productId)?.sku ?? null,
      sourceLocation: completeName,
      location: loc?.usage === 'internal' ? (ctx.locations.warehouseLocationCodes[completeName] ?? null) : null,
      onHandDelta: c.quantityDelta,
      reservedDelta: c.reservedDelta,
    };
  });
}
