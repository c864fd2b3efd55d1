/**
 * Deterministic seeder for the sample POS (uniCenta-like, MariaDB) and warehouse (Odoo-like,
 * PostgreSQL) databases. Same options ⇒ identical rows, ids included.
 *
 * Seeding wipes the sample tables (TRUNCATE), which Debezium does not turn into row deletes: seed
 * before the connectors take their snapshot, not under live capture.
 */
import type { Connection } from 'mysql2/promise';
import type { Client } from 'pg';
import { createPosSchema, POS_REASON, POS_TABLES } from '../pos/schema.ts';
import { createWarehouseSchema } from '../warehouse/schema.ts';
import { buildCatalog, resolveSampleOptions, sampleLocations, type CatalogProduct, type SampleOptions } from './model.ts';
import { Rng, deriveSeed, zipfWeight } from './prng.ts';

export { sampleLocations, buildCatalog, SAMPLE_DEFAULTS, type SampleOptions, type SampleLocations, type SampleCatalog } from './model.ts';

/** Row counts written by {@link seedPos}. */
export interface PosSeedCounts {
  locations: number;
  products: number;
  stockcurrent: number;
  stockdiary: number;
  stocklevel: number;
}

/** Row counts written by {@link seedWarehouse}. */
export interface WarehouseSeedCounts {
  locations: number;
  products: number;
  lots: number;
  quants: number;
}

/** Rows per INSERT statement; large enough to be fast, small enough for max_allowed_packet. */
const BATCH = 2000;

/** Fixed reference date, so seeded timestamps do not depend on when the seeder runs. */
const BASE_MS = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

/** @returns `YYYY-MM-DD HH:MM:SS` (UTC) for MariaDB DATETIME. */
function mysqlDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** @returns `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for a Postgres timestamp without time zone. */
function pgTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** Units on hand for a product at its popularity position (0 = best seller). */
function initialUnits(rng: Rng, popularity: number): number {
  return 2 + rng.int(0, 10) + Math.floor(400 * zipfWeight(popularity));
}

/** Map from catalogue index to position in a popularity ordering. */
function positions(byRank: readonly CatalogProduct[]): Map<number, number> {
  return new Map(byRank.map((p, i) => [p.index, i]));
}

// ---------------------------------------------------------------------------------------------
// POS

/**
 * Seeds the POS database: wipes the POS tables (creating them if missing) and inserts locations,
 * products, stockcurrent (initial stock), matching stockdiary rows (so that per location, product
 * and attribute instance the diary sums to stockcurrent) and stocklevel.
 *
 * Stock is Zipf-skewed: best sellers hold hundreds of units, the tail a few; some rows hold 0 and a
 * few are negative (uniCenta lets stores oversell). Seeded diary rows have `committed_at` NULL.
 *
 * @param conn - mysql2/promise connection with the POS database selected.
 * @param opts - sample options; `warehouses` is ignored here.
 * @returns the number of rows written per table.
 */
export async function seedPos(conn: Connection, opts: SampleOptions): Promise<PosSeedCounts> {
  const o = resolveSampleOptions(opts);
  const catalog = buildCatalog(o);
  const { stores } = sampleLocations(o);
  const rng = new Rng(deriveSeed(o.seed, 'pos-stock'));
  const popularity = positions(catalog.posByRank);
  const posProducts = catalog.products.filter((p) => p.posId !== null);

  const locations = stores.map((s) => [s.posLocationId, s.name]);
  const products = posProducts.map((p) => [p.posId, p.sku, p.barcode, p.name, p.pricebuy, p.pricesell, p.category]);
  const current: unknown[][] = [];
  const diary: unknown[][] = [];
  const levels: unknown[][] = [];

  for (const store of stores) {
    for (const p of posProducts) {
      const pop = popularity.get(p.index) as number;
      // Best sellers are stocked everywhere; a quarter of the tail is missing per store, so the
      // workload also exercises uniCenta's "INSERT when the UPDATE found no row" path.
      if (pop >= posProducts.length * 0.3 && rng.chance(0.25)) continue;
      const instances: (string | null)[] = p.attributeInstances.length > 0 ? p.attributeInstances : [null];
      for (const asi of instances) {
        let units = asi === null ? initialUnits(rng, pop) : rng.int(1, 9);
        if (p.byWeight && rng.chance(0.5)) units += 0.5;
        const oddity = rng.float();
        if (oddity < 0.02) units = 0;
        else if (oddity < 0.025) units = -rng.int(1, 3);
        current.push([store.posLocationId, p.posId, asi, units]);

        const when = BASE_MS - rng.int(1, 90) * DAY_MS + rng.int(0, DAY_MS / 1000 - 1) * 1000;
        const addDiary = (reason: number, u: number, price: number): void => {
          diary.push([rng.uuid(), mysqlDatetime(when), reason, store.posLocationId, p.posId, asi, u, price]);
        };
        if (units > 0) addDiary(POS_REASON.purchase, units, p.pricebuy);
        else if (units < 0) addDiary(POS_REASON.sale, units, p.pricesell);
        else {
          const q = rng.int(1, 6); // received then sold out
          addDiary(POS_REASON.purchase, q, p.pricebuy);
          addDiary(POS_REASON.sale, -q, p.pricesell);
        }
      }
      if (rng.chance(0.3)) {
        const security = rng.int(1, 10);
        levels.push([rng.uuid(), store.posLocationId, p.posId, security, rng.chance(0.2) ? null : security * rng.int(5, 20)]);
      }
    }
  }

  await createPosSchema(conn);
  // TRUNCATE is far faster than DELETE; FK checks would refuse it on referenced tables.
  await conn.query('SET FOREIGN_KEY_CHECKS = 0');
  try {
    for (const t of [...POS_TABLES].reverse()) await conn.query(`TRUNCATE TABLE ${t}`);
  } finally {
    await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  }
  await conn.beginTransaction();
  try {
    await insertMysql(conn, 'locations (id, name)', locations);
    await insertMysql(conn, 'products (id, reference, code, name, pricebuy, pricesell, category)', products);
    await insertMysql(conn, 'stockcurrent (location, product, attributesetinstance_id, units)', current);
    await insertMysql(conn, 'stockdiary (id, datenew, reason, location, product, attributesetinstance_id, units, price)', diary);
    await insertMysql(conn, 'stocklevel (id, location, product, stocksecurity, stockmaximum)', levels);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
  return {
    locations: locations.length,
    products: products.length,
    stockcurrent: current.length,
    stockdiary: diary.length,
    stocklevel: levels.length,
  };
}

/** Multi-row INSERT in batches, using mysql2's `VALUES ?` expansion of nested arrays. */
async function insertMysql(conn: Connection, target: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await conn.query(`INSERT INTO ${target} VALUES ?`, [rows.slice(i, i + BATCH)]);
  }
}

// ---------------------------------------------------------------------------------------------
// Warehouse

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
  const popularity = positions(catalog.warehouseByRank);
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
        const inDate = BASE_MS - rng.int(1, 180) * DAY_MS + rng.int(0, DAY_MS - 1);
        quants.push({ productId, locationId: wh.stockLocationId, lotId, qty, reserved, inDate });
      }
    }
  }
  // Inventory adjustments move stock out of a virtual location: one negative quant per product.
  const adjusted = new Map<number, number>();
  for (const q of quants) adjusted.set(q.productId, (adjusted.get(q.productId) ?? 0) + q.qty);
  for (const [productId, qty] of [...adjusted].sort((a, b) => a[0] - b[0])) {
    quants.push({ productId, locationId: odooSpecial.inventoryAdjustment, lotId: null, qty: -qty, reserved: 0, inDate: BASE_MS - 181 * DAY_MS });
  }

  await createWarehouseSchema(client);
  await client.query('BEGIN');
  try {
    await client.query('TRUNCATE stock_quant, stock_lot, product_product, stock_location RESTART IDENTITY');
    await insertPg(client, 'stock_location (id, name, complete_name, usage, location_id)', ['int', 'varchar', 'varchar', 'varchar', 'int'],
      odooLocations.map((l) => [l.id, l.name, l.completeName, l.usage, l.parentId]));
    await insertPg(client, 'product_product (id, default_code, name, active)', ['int', 'varchar', 'varchar', 'bool'],
      whProducts.map((p) => [p.warehouseId, p.sku, p.name, p.active]));
    await insertPg(client, 'stock_lot (id, name, product_id)', ['int', 'varchar', 'int'], lots.map((l) => [l.id, l.name, l.productId]));
    await insertPg(client, 'stock_quant (id, product_id, location_id, lot_id, quantity, reserved_quantity, in_date, write_date)',
      ['int', 'int', 'int', 'int', 'numeric', 'numeric', 'timestamp', 'timestamp'],
      quants.map((q, i) => [i + 1, q.productId, q.locationId, q.lotId, milliToDecimal(q.qty), milliToDecimal(q.reserved), pgTimestamp(q.inDate), pgTimestamp(q.inDate)]));
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
  for (let i = 0; i < rows.length; i += BATCH * 5) {
    const batch = rows.slice(i, i + BATCH * 5);
    const columns = types.map((_, c) => batch.map((r) => r[c]));
    await client.query(`INSERT INTO ${target} SELECT * FROM unnest(${select})`, columns);
  }
}

/**
 * Seeds both sample databases with the same options (a convenience over {@link seedPos} and
 * {@link seedWarehouse}); either connection may be omitted.
 */
export async function seedSample(
  targets: { pos?: Connection; warehouse?: Client },
  opts: SampleOptions,
): Promise<{ pos?: PosSeedCounts; warehouse?: WarehouseSeedCounts }> {
  const out: { pos?: PosSeedCounts; warehouse?: WarehouseSeedCounts } = {};
  if (targets.pos) out.pos = await seedPos(targets.pos, opts);
  if (targets.warehouse) out.warehouse = await seedWarehouse(targets.warehouse, opts);
  return out;
}
