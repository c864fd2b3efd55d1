/**
 * Deterministic seeder for the sample POS database (uniCenta-like, MariaDB). Same options ⇒
 * identical rows, ids included.
 *
 * Seeding wipes the POS tables (TRUNCATE), which Debezium does not turn into row deletes: seed
 * before the connector takes its snapshot, not under live capture.
 */
import type { Connection } from 'mysql2/promise';
import { createPosSchema, POS_REASON, POS_TABLES } from './schema.ts';
import { buildCatalog, resolveSampleOptions, sampleLocations, type SampleOptions } from '../shared/model.ts';
import { Rng, deriveSeed } from '../shared/prng.ts';
import { DAY_MS, SEED_BASE_MS, initialUnits, popularityPositions } from '../shared/seed.ts';

/** Row counts written by {@link seedPos}. */
export interface PosSeedCounts {
  locations: number;
  products: number;
  stockcurrent: number;
  stockdiary: number;
  stocklevel: number;
}

/** Rows per INSERT statement; large enough to be fast, small enough for max_allowed_packet. */
const BATCH = 2000;

/** @returns `YYYY-MM-DD HH:MM:SS` (UTC) for MariaDB DATETIME. */
function mysqlDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

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
  const popularity = popularityPositions(catalog.posByRank);
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

        const when = SEED_BASE_MS - rng.int(1, 90) * DAY_MS + rng.int(0, DAY_MS / 1000 - 1) * 1000;
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
