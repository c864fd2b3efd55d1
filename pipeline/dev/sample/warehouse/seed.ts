/**
 * Deterministic seeder for the sample warehouse database (Odoo-like, PostgreSQL). Same options ⇒
 * identical rows, ids included.
 *
 * Seeding wipes the warehouse tables (TRUNCATE), which Debezium does not turn into row deletes:
 * seed before the connector takes its snapshot, not under live capture.
 */
import type { Client } from 'pg';
import { createWarehouseSchema } from './schema.ts';
import { buildCatalog, resolveSampleOptions, sampleLocations, type SampleOptions } from '../shared/model.ts';
import { Rng, deriveSeed } from '../shared/prng.ts';
import { DAY_MS, SEED_BASE_MS, initialUnits, popularityPositions } from '../shared/seed.ts';

/** Row counts written by {@link seedWarehouse}. */
export interface WarehouseSeedCounts {
  locations: number;
  products: number;
  lots: number;
  quants: number;
}

/** Rows per INSERT statement: `unnest` sends columns as arrays, so batches can be large. */
const BATCH = 10_000;

/** @returns `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for a Postgres timestamp without time zone. */
function pgTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** Quantity in thousandths → exact NUMERIC literal, e.g. 2125 → "2.125". */
function milliToDecimal(milli: number): string {
  const sign = milli < 0 ? '-' : '';
  const abs = Math.abs(milli);
  const frac = abs % 1000;
  const int = (abs - frac) / 1000;
  return frac === 0 ? `${sign}${int}` : `${sign}${int}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/**
 * Seeds the warehouse database: wipes the warehouse tables (creating them if missing) and inserts
 * Odoo's standard locations plus a view and an internal `WHn/Stock` location per warehouse,
 * products (SKUs in `default_code`; a few with none), lots and quants.
 *
 * Lot-tracked products get 1–4 quants (one per lot) per warehouse, others one quant without lot.
 * Quantities are NUMERIC: whole numbers, or up to 3 decimals for products sold by weight; ~20 % of
 * quants carry a reservation (never above the quantity). As Odoo's inventory adjustments do, each
 * product's stock is balanced by a negative quant in `Virtual Locations/Inventory adjustment`.
 *
 * @param client - connected `pg.Client` on the warehouse database.
 * @param opts - sample options; `stores` is ignored here.
 * @returns the number of rows written per table.
 */
export async function seedWarehouse(client: Client, opts: SampleOptions): Promise<WarehouseSeedCounts> {
  const o = resolveSampleOptions(opts);
  const catalog = buildCatalog(o);
  const { warehouses, odooLocations, odooSpecial } = sampleLocations(o);
  const rng = new Rng(deriveSeed(o.seed, 'wms-stock'));
  const popularity = popularityPositions(catalog.warehouseByRank);
  const whProducts = catalog.products.filter((p) => p.warehouseId !== null);

  const lots: { id: number; name: string; productId: number }[] = [];
  const quants: { productId: number; locationId: number; lotId: number | null; qty: number; reserved: number; inDate: number }[] = [];

  for (const wh of warehouses) {
    for (const p of whProducts) {
      const pop = popularity.get(p.index) as number;
      if (pop >= whProducts.length * 0.3 && rng.chance(0.2)) continue;
      const productId = p.warehouseId as number;
      const lotCount = p.lotTracked ? rng.int(1, 4) : 0;
      const total = initialUnits(rng, pop) * 4; // warehouses hold more than a store
      for (let k = 0; k < Math.max(1, lotCount); k++) {
        let lotId: number | null = null;
        if (lotCount > 0) {
          lotId = lots.length + 1;
          lots.push({ id: lotId, name: `LOT-${String(lotId).padStart(6, '0')}`, productId });
        }
        const units = lotCount > 0 ? rng.int(1, Math.max(1, Math.floor(total / lotCount))) : total;
        const qty = units * 1000 + (p.byWeight ? rng.int(0, 999) : 0);
        const reserved = rng.chance(0.2) ? rng.int(0, units) * 1000 : 0;
        const inDate = SEED_BASE_MS - rng.int(1, 180) * DAY_MS + rng.int(0, DAY_MS - 1);
        quants.push({ productId, locationId: wh.stockLocationId, lotId, qty, reserved, inDate });
      }
    }
  }
  // Inventory adjustments move stock out of a virtual location: one negative quant per product.
  const adjusted = new Map<number, number>();
  for (const q of quants) adjusted.set(q.productId, (adjusted.get(q.productId) ?? 0) + q.qty);
  for (const [productId, qty] of [...adjusted].sort((a, b) => a[0] - b[0])) {
    quants.push({ productId, locationId: odooSpecial.inventoryAdjustment, lotId: null, qty: -qty, reserved: 0, inDate: SEED_BASE_MS - 181 * DAY_MS });
  }

  await createWarehouseSchema(client);
  await client.query('BEGIN');
  try {
    await client.query('TRUNCATE stock_quant, stock_lot, product_product, stock_location RESTART IDENTITY');
    await insertPg(
      client,
      'stock_location (id, name, complete_name, usage, location_id)',
      ['int', 'varchar', 'varchar', 'varchar', 'int'],
      odooLocations.map((l) => [l.id, l.name, l.completeName, l.usage, l.parentId]),
    );
    await insertPg(
      client,
      'product_product (id, default_code, name, active)',
      ['int', 'varchar', 'varchar', 'bool'],
      whProducts.map((p) => [p.warehouseId, p.sku, p.name, p.active]),
    );
    await insertPg(
      client,
      'stock_lot (id, name, product_id)',
      ['int', 'varchar', 'int'],
      lots.map((l) => [l.id, l.name, l.productId]),
    );
    await insertPg(
      client,
      'stock_quant (id, product_id, location_id, lot_id, quantity, reserved_quantity, in_date, write_date)',
      ['int', 'int', 'int', 'int', 'numeric', 'numeric', 'timestamp', 'timestamp'],
      quants.map((q, i) => [
        i + 1,
        q.productId,
        q.locationId,
        q.lotId,
        milliToDecimal(q.qty),
        milliToDecimal(q.reserved),
        pgTimestamp(q.inDate),
        pgTimestamp(q.inDate),
      ]),
    );
    // Explicit ids were inserted: move the serial sequences past them.
    for (const t of ['stock_location', 'product_product', 'stock_lot', 'stock_quant']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), COALESCE((SELECT max(id) FROM ${t}), 0) + 1, false)`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { locations: odooLocations.length, products: whProducts.length, lots: lots.length, quants: quants.length };
}

/** Column-wise bulk INSERT through `unnest` of typed arrays: one round trip per batch. */
async function insertPg(client: Client, target: string, types: string[], rows: unknown[][]): Promise<void> {
  const select = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const columns = types.map((_, c) => batch.map((r) => r[c]));
    await client.query(`INSERT INTO ${target} SELECT * FROM unnest(${select})`, columns);
  }
}
