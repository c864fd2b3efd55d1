/**
 * The warehouse's part of a workload: receipts (into new or existing lots), reservations and their
 * release, deliveries (a third of them emptying the quant, which Odoo then deletes) and lot merges,
 * written as Odoo writes them (see `operations.ts`). Run it with the shared driver:
 * `runWorkload([warehouseWorkload(client), ...], opts)`.
 */
import type { Client } from 'pg';
import { normalizeDecimal } from '../shared/decimal.ts';
import { buildCatalog, sampleLocations, type CatalogProduct, type SampleLocations } from '../shared/model.ts';
import { ZipfSampler, type Rng } from '../shared/prng.ts';
import { SEEDED_HINT, type TouchedKey, type WorkloadLane } from '../shared/workload.ts';
import { partOf, type LanePart } from '../shared/part.ts';
import { QuantStateError, deliverQuant, mergeQuants, receiveQuant, reserveQuant, unreserveQuant, type WarehouseCommit } from './operations.ts';

/** Warehouse operation kinds (Odoo quant writes). */
export const WAREHOUSE_OPERATION_KINDS = ['wms.receipt', 'wms.reserve', 'wms.unreserve', 'wms.delivery', 'wms.merge'] as const;
/** One of {@link WAREHOUSE_OPERATION_KINDS}. */
export type WarehouseOperationKind = (typeof WAREHOUSE_OPERATION_KINDS)[number];

/**
 * Default relative weights of the warehouse kinds. With `POS_DEFAULT_MIX` (pos/workload.ts) they
 * sum to 100, so in a POS and warehouse workload read them as percent (37 % warehouse).
 */
export const WAREHOUSE_DEFAULT_MIX: Readonly<Record<WarehouseOperationKind, number>> = {
  'wms.receipt': 9,
  'wms.reserve': 9,
  'wms.unreserve': 4,
  'wms.delivery': 10,
  'wms.merge': 5,
};

/** A quant as the warehouse lane reads it before deciding. */
interface QuantView {
  id: number;
  lot_id: number | null;
  quantity: string;
  reserved_quantity: string;
}

/** Attempts to find a product/location the chosen kind applies to before falling back to a receipt. */
const WAREHOUSE_ATTEMPTS = 5;

/**
 * The warehouse lane of a workload.
 *
 * @param client - connected pg.Client on the seeded warehouse database, used by nobody else meanwhile.
 * @param options.part - only the products of this part (see `shared/part.ts`); all when omitted.
 */
export function warehouseWorkload(client: Client, options: { part?: LanePart } = {}): WorkloadLane<WarehouseOperationKind> {
  return {
    source: 'warehouse',
    kinds: WAREHOUSE_OPERATION_KINDS,
    defaultMix: WAREHOUSE_DEFAULT_MIX,
    async start(sample, rng) {
      const catalog = buildCatalog(sample);
      const locations = sampleLocations(sample);
      // The last warehouse product only matches when seed and product count both match.
      const probe = catalog.products.filter((p) => p.warehouseId !== null).at(-1);
      if (probe) {
        const r = await client.query<{ default_code: string | null }>('SELECT default_code FROM product_product WHERE id = $1', [probe.warehouseId]);
        if (r.rows[0]?.default_code !== probe.sku) {
          throw new Error(`runWorkload: warehouse product ${probe.sku} (id ${probe.warehouseId}) not found; ${SEEDED_HINT}`);
        }
      }
      const byWarehouseId = new Map(catalog.warehouseByRank.map((p) => [p.warehouseId as number, p]));
      const products = partOf(catalog.warehouseByRank, options.part);
      const zipf = new ZipfSampler(products.length);
      const special = locations.odooSpecial;
      const pickTarget = (): { p: CatalogProduct; locationId: number } => ({
        p: products[zipf.sample(rng)] as CatalogProduct,
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

      return {
        async run(kind) {
          let commit: WarehouseCommit | null = null;
          let effective: WarehouseOperationKind = kind;
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
              throw new Error(`warehouse lane cannot run ${String(kind)}`);
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
          return { kind: effective, stamp: commit, touched: warehouseTouched(commit, locations, byWarehouseId), detail: {} };
        },
      };
    },
  };
}

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

/** A refused guard means the state changed under us: treat like "not applicable". */
function refusedAsNull(err: unknown): null {
  if (err instanceof QuantStateError) return null;
  throw err;
}

function warehouseTouched(commit: WarehouseCommit, locations: SampleLocations, byWarehouseId: ReadonlyMap<number, CatalogProduct>): TouchedKey[] {
  return commit.changes.map((c): TouchedKey => {
    const loc = locations.odooLocations.find((l) => l.id === c.locationId);
    const completeName = loc?.completeName ?? String(c.locationId);
    return {
      source: 'warehouse',
      productId: String(c.productId),
      sku: byWarehouseId.get(c.productId)?.sku ?? null,
      sourceLocation: completeName,
      location: loc?.usage === 'internal' ? (locations.warehouseLocationCodes[completeName] ?? null) : null,
      onHandDelta: c.quantityDelta,
      reservedDelta: c.reservedDelta,
    };
  });
}
