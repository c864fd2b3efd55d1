/**
 * The POS's part of a workload: tickets (sales of 1–3 lines), refunds, breakage, receipts and
 * transfers between stores, written as uniCenta writes them (see `operations.ts`). Run it with the
 * shared driver: `runWorkload([posWorkload(conn), ...], opts)`.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CommitStamp } from '../shared/commit.ts';
import { formatUnits } from '../shared/decimal.ts';
import { buildCatalog, sampleLocations, type CatalogProduct } from '../shared/model.ts';
import { ZipfSampler, type Rng } from '../shared/prng.ts';
import { SEEDED_HINT, type TouchedKey, type WorkloadLane } from '../shared/workload.ts';
import { partOf, type LanePart } from '../shared/part.ts';
import { applyPosMovements, type PosMovement } from './operations.ts';
import { POS_REASON } from './schema.ts';

/** POS operation kinds (uniCenta reasons): sale -1, refund +2, breakage -3, receipt +1, transfer -4/+4. */
export const POS_OPERATION_KINDS = ['pos.sale', 'pos.refund', 'pos.breakage', 'pos.receipt', 'pos.transfer'] as const;
/** One of {@link POS_OPERATION_KINDS}. */
export type PosOperationKind = (typeof POS_OPERATION_KINDS)[number];

/**
 * Default relative weights of the POS kinds. With `WAREHOUSE_DEFAULT_MIX` (warehouse/workload.ts)
 * they sum to 100, so in a POS and warehouse workload read them as percent (63 % POS).
 */
export const POS_DEFAULT_MIX: Readonly<Record<PosOperationKind, number>> = {
  'pos.sale': 50,
  'pos.refund': 3,
  'pos.breakage': 2,
  'pos.receipt': 6,
  'pos.transfer': 2,
};

/**
 * The POS lane of a workload.
 *
 * @param conn - mysql2/promise connection on the seeded POS database, used by nobody else meanwhile.
 * @param options.part - only the products of this part (see `shared/part.ts`); all when omitted.
 * @param options.apply - writes a ticket's movements in one transaction (default
 *   {@link applyPosMovements}; the load generator passes one that needs fewer round trips).
 */
export function posWorkload(
  conn: Connection,
  options: { part?: LanePart; apply?: (conn: Connection, movements: readonly PosMovement[]) => Promise<CommitStamp> } = {},
): WorkloadLane<PosOperationKind> {
  const apply = options.apply ?? applyPosMovements;
  return {
    source: 'pos',
    kinds: POS_OPERATION_KINDS,
    defaultMix: POS_DEFAULT_MIX,
    async start(sample, rng) {
      const catalog = buildCatalog(sample);
      const locations = sampleLocations(sample);
      // The last POS product only matches when seed and product count both match.
      const probe = catalog.products.filter((p) => p.posId !== null).at(-1);
      if (probe) {
        const [rows] = await conn.query<RowDataPacket[]>('SELECT reference FROM products WHERE id = ?', [probe.posId]);
        if (rows[0]?.reference !== probe.sku) throw new Error(`runWorkload: POS product ${probe.sku} (${probe.posId}) not found; ${SEEDED_HINT}`);
      }
      const byPosId = new Map(catalog.posByRank.map((p) => [p.posId as string, p]));
      const products = partOf(catalog.posByRank, options.part);
      const zipf = new ZipfSampler(products.length);
      const stores = locations.stores;
      const pickProduct = (): CatalogProduct => products[zipf.sample(rng)] as CatalogProduct;
      const line = (p: CatalogProduct, store: string, reason: PosMovement['reason'], units: number, price: number): PosMovement => ({
        location: store,
        product: p.posId as string,
        attributeSetInstanceId: p.attributeInstances.length > 0 ? rng.pick(p.attributeInstances) : null,
        reason,
        units,
        price,
      });

      return {
        async run(kind) {
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
              throw new Error(`POS lane cannot run ${String(kind)}`);
          }
          const stamp = await apply(conn, movements);
          const touched = movements.map(
            (m): TouchedKey => ({
              source: 'pos',
              productId: m.product,
              sku: byPosId.get(m.product)?.sku ?? null,
              sourceLocation: m.location,
              location: locations.posLocationCodes[m.location] ?? null,
              onHandDelta: formatUnits(m.units),
              reservedDelta: '0',
            }),
          );
          return { kind: effective, stamp, touched, detail: {} };
        },
      };
    },
  };
}

/** Units for one POS line: mostly 1, sometimes 2–3; halves for goods sold by weight. */
function posUnits(rng: Rng, p: CatalogProduct): number {
  if (p.byWeight) return rng.pick([0.5, 1, 1.5, 2, 2.5]);
  return rng.weighted([85, 10, 5]) + 1;
}
