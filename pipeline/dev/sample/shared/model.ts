/**
 * The pure description of the sample: which stores and warehouses exist, what their canonical
 * location codes are, and which products each source knows. No database access here, so the seeder,
 * the workload, the oracle, mapping files and tests all agree on one model.
 */
import { Rng, deriveSeed } from './prng.ts';

/** Sizes of the sample. `seed` decides every random choice; the rest are counts. */
export interface SampleOptions {
  /** PRNG seed (integer). Equal options give byte-identical data. */
  seed: number;
  /** Number of SKUs (products with a code on at least one side). Default 2000. */
  products?: number;
  /** Number of POS stores (uniCenta locations). Default 3. */
  stores?: number;
  /** Number of Odoo warehouses (each with one internal `WHn/Stock` location). Default 2. */
  warehouses?: number;
}

/** Default sizes used when a {@link SampleOptions} field is omitted. */
export const SAMPLE_DEFAULTS = { products: 2000, stores: 3, warehouses: 2 } as const;

/** {@link SampleOptions} with every field filled in. */
export type ResolvedSampleOptions = Required<SampleOptions>;

/** @returns `opts` with defaults applied; throws on non-integer or out-of-range sizes. */
export function resolveSampleOptions(opts: SampleOptions): ResolvedSampleOptions {
  const r: ResolvedSampleOptions = {
    seed: opts.seed,
    products: opts.products ?? SAMPLE_DEFAULTS.products,
    stores: opts.stores ?? SAMPLE_DEFAULTS.stores,
    warehouses: opts.warehouses ?? SAMPLE_DEFAULTS.warehouses,
  };
  if (!Number.isInteger(r.seed)) throw new Error(`sample seed must be an integer, got ${r.seed}`);
  for (const [k, min, max] of [
    ['products', 1, 1_000_000],
    ['stores', 1, 99],
    ['warehouses', 1, 99],
  ] as const) {
    const v = r[k];
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`sample ${k} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Locations

/** A uniCenta store location and its canonical code. */
export interface SampleStore {
  /** uniCenta `locations.id`: `"0"`, `"1"`, ... (uniCenta's own default location is `"0"`). */
  posLocationId: string;
  /** uniCenta `locations.name`, e.g. `"Store 01 Downtown"`. */
  name: string;
  /** Canonical location code, e.g. `"STORE-01"`. */
  code: string;
}

/** Odoo `stock_location.usage` values. */
export type OdooUsage = 'supplier' | 'view' | 'internal' | 'customer' | 'inventory' | 'production' | 'transit';

/** One Odoo `stock_location` row of the sample. */
export interface SampleOdooLocation {
  /** `stock_location.id` (fixed, so ids are stable across seeds). */
  id: number;
  /** `stock_location.name`, e.g. `"Stock"`. */
  name: string;
  /** `stock_location.complete_name`, e.g. `"WH1/Stock"`. */
  completeName: string;
  usage: OdooUsage;
  /** Parent `stock_location.id`, or null for a root. */
  parentId: number | null;
}

/** An Odoo warehouse of the sample: a view location and its internal stock location. */
export interface SampleWarehouse {
  /** 1-based warehouse number. */
  number: number;
  /** Odoo warehouse short name and view location name, e.g. `"WH1"`. */
  shortName: string;
  /** `stock_location.id` of the internal `WHn/Stock` location. */
  stockLocationId: number;
  /** `complete_name` of the internal location, e.g. `"WH1/Stock"`. */
  completeName: string;
  /** Canonical location code. The warehouse source keeps Odoo's complete_name: `"WH1/Stock"`. */
  code: string;
}

/** Store and warehouse locations of a sample and their canonical codes. */
export interface SampleLocations {
  stores: SampleStore[];
  warehouses: SampleWarehouse[];
  /** POS `locations.id` → canonical code, e.g. `{ "0": "STORE-01" }`. */
  posLocationCodes: Record<string, string>;
  /** Odoo internal `complete_name` → canonical code, e.g. `{ "WH1/Stock": "WH1/Stock" }`. */
  warehouseLocationCodes: Record<string, string>;
  /** Every Odoo `stock_location` row of the sample, ordered by id (standard ones first). */
  odooLocations: SampleOdooLocation[];
  /** Ids of Odoo's standard non-internal locations the workload moves stock to and from. */
  odooSpecial: { vendors: number; customers: number; inventoryAdjustment: number };
}

const STORE_NAMES = ['Downtown', 'Riverside', 'Airport', 'Harbour', 'Old Town', 'Northgate', 'Station', 'Market Square'];

/** Odoo's standard locations, created by the `stock` module before any warehouse. */
const ODOO_STANDARD: SampleOdooLocation[] = [
  { id: 1, name: 'Physical Locations', completeName: 'Physical Locations', usage: 'view', parentId: null },
  { id: 2, name: 'Partners', completeName: 'Partners', usage: 'view', parentId: null },
  { id: 3, name: 'Virtual Locations', completeName: 'Virtual Locations', usage: 'view', parentId: null },
  { id: 4, name: 'Vendors', completeName: 'Partners/Vendors', usage: 'supplier', parentId: 2 },
  { id: 5, name: 'Customers', completeName: 'Partners/Customers', usage: 'customer', parentId: 2 },
  { id: 6, name: 'Inventory adjustment', completeName: 'Virtual Locations/Inventory adjustment', usage: 'inventory', parentId: 3 },
  { id: 7, name: 'Production', completeName: 'Virtual Locations/Production', usage: 'production', parentId: 3 },
  { id: 8, name: 'Inter-warehouse transit', completeName: 'Physical Locations/Inter-warehouse transit', usage: 'transit', parentId: 1 },
];

/**
 * Describes the sample's locations. Pure and deterministic: POS location id `String(i)` is store
 * code `STORE-{i+1, 2 digits}`; warehouse n has view location `WHn` (id 7 + 2n) and internal
 * location `WHn/Stock` (id 8 + 2n).
 *
 * @param opts - `stores` (default 3) and `warehouses` (default 2); the seed plays no part.
 */
export function sampleLocations(opts: { stores?: number; warehouses?: number } = {}): SampleLocations {
  const { stores: storeCount, warehouses: whCount } = resolveSampleOptions({ seed: 0, ...opts });
  const stores: SampleStore[] = [];
  for (let i = 0; i < storeCount; i++) {
    const nn = String(i + 1).padStart(2, '0');
    stores.push({ posLocationId: String(i), name: `Store ${nn} ${STORE_NAMES[i] ?? 'Branch'}`, code: `STORE-${nn}` });
  }
  const odooLocations = ODOO_STANDARD.map((l) => ({ ...l }));
  const warehouses: SampleWarehouse[] = [];
  for (let n = 1; n <= whCount; n++) {
    const shortName = `WH${n}`;
    const viewId = 7 + 2 * n;
    const stockId = 8 + 2 * n;
    // Odoo builds complete_name from the parent unless the location is a view.
    odooLocations.push({ id: viewId, name: shortName, completeName: shortName, usage: 'view', parentId: 1 });
    odooLocations.push({ id: stockId, name: 'Stock', completeName: `${shortName}/Stock`, usage: 'internal', parentId: viewId });
    warehouses.push({ number: n, shortName, stockLocationId: stockId, completeName: `${shortName}/Stock`, code: `${shortName}/Stock` });
  }
  return {
    stores,
    warehouses,
    posLocationCodes: Object.fromEntries(stores.map((s) => [s.posLocationId, s.code])),
    warehouseLocationCodes: Object.fromEntries(warehouses.map((w) => [w.completeName, w.code])),
    odooLocations,
    odooSpecial: { vendors: 4, customers: 5, inventoryAdjustment: 6 },
  };
}

// ---------------------------------------------------------------------------------------------
// Products

/** Which source knows a product. */
export type Presence = 'both' | 'pos' | 'warehouse';

/** One product of the sample catalogue. */
export interface CatalogProduct {
  /** 0-based position in catalogue order (SKU order, then unmapped warehouse products). */
  index: number;
  /**
   * SKU (`SKU-000123`), equal to POS `products.reference` and Odoo `product_product.default_code`;
   * null only for warehouse products that have no default_code (unmapped on purpose).
   */
  sku: string | null;
  presence: Presence;
  /** Popularity rank, 0 = best seller; drives initial stock and workload picks (Zipf). */
  rank: number;
  name: string;
  category: string;
  /** EAN-13 barcode (POS `products.code`). */
  barcode: string;
  /** Purchase and sale prices in currency units, 2 decimals. */
  pricebuy: number;
  pricesell: number;
  /** Sold by weight: POS quantities in halves, warehouse quantities with up to 3 decimals. */
  byWeight: boolean;
  /** POS `products.id` (UUID) or null when the POS does not know the product. */
  posId: string | null;
  /** Odoo `product_product.id` or null when the warehouse does not know the product. */
  warehouseId: number | null;
  /** uniCenta attribute set instances (e.g. clothing sizes) stocked separately; empty for most products. */
  attributeInstances: string[];
  /** Odoo tracks lots for this product: several quants per location. */
  lotTracked: boolean;
  /** Odoo `product_product.active`; a few archived products still hold stock. */
  active: boolean;
}

/** The whole catalogue plus popularity orderings per source. */
export interface SampleCatalog {
  /** All products in `index` order. */
  products: CatalogProduct[];
  /** Products the POS knows, most popular first. */
  posByRank: CatalogProduct[];
  /** Products the warehouse knows (with or without default_code), most popular first. */
  warehouseByRank: CatalogProduct[];
}

const CATEGORIES: { name: string; nouns: string[]; sizes: string[]; byWeight: boolean }[] = [
  {
    name: 'Grocery',
    nouns: ['Pasta', 'Rice', 'Olive Oil', 'Tomato Sauce', 'Flour', 'Lentils', 'Honey'],
    sizes: ['250 g', '500 g', '1 kg', 'Family Size'],
    byWeight: false,
  },
  { name: 'Produce', nouns: ['Apples', 'Bananas', 'Carrots', 'Potatoes', 'Onions', 'Tomatoes'], sizes: ['Loose', 'Organic', 'Local'], byWeight: true },
  { name: 'Dairy', nouns: ['Milk', 'Yogurt', 'Butter', 'Cheddar', 'Cream'], sizes: ['250 g', '500 g', '1 L', '2 L'], byWeight: false },
  {
    name: 'Beverages',
    nouns: ['Orange Juice', 'Sparkling Water', 'Cola', 'Green Tea', 'Coffee Beans'],
    sizes: ['0.5 L', '1 L', '6-pack', '12-pack'],
    byWeight: false,
  },
  { name: 'Household', nouns: ['Dish Soap', 'Paper Towels', 'Sponges', 'Trash Bags', 'Detergent'], sizes: ['Small', 'Large', 'Value Pack'], byWeight: false },
  { name: 'Apparel', nouns: ['T-Shirt', 'Socks', 'Cap', 'Hoodie'], sizes: ['Classic', 'Sport', 'Premium'], byWeight: false },
];
const BRANDS = ['Acme', 'Northwind', 'Contoso', 'Fabrikam', 'Globex', 'Initech', 'Umbrella', 'Hooli'];
const UNMAPPED_NAMES = ['Pallet Wrap Film', 'Shipping Carton', 'Label Roll', 'Packing Tape', 'Cold Pack'];

/** @returns `SKU-` followed by the 1-based number padded to 6 digits, e.g. `SKU-000123`. */
export function skuOf(index: number): string {
  return `SKU-${String(index + 1).padStart(6, '0')}`;
}

/** EAN-13 with the in-store prefix 20 and a valid check digit. */
function ean13(n: number): string {
  const body = `20${String(n).padStart(10, '0')}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Builds the catalogue. Pure and deterministic in (`seed`, `products`); store and warehouse counts
 * do not affect it. About 95 % of SKUs exist on both sides, ~2.5 % on the POS only, ~2.5 % in the
 * warehouse only, and ~0.5 % extra warehouse products (on top of `products`) have no default_code.
 *
 * @param opts - `seed` and `products` (default 2000) are used.
 * @returns the same (shared) catalogue for the same options, built once: do not modify it.
 */
export function buildCatalog(opts: SampleOptions): SampleCatalog {
  const { seed, products: n } = resolveSampleOptions(opts);
  // Every workload run builds it again (the load generator: one run per lane set and step).
  return remember(catalogs, `${seed}|${n}`, () => generateCatalog(seed, n));
}

/** Built catalogues by `seed|products` (a few at most in one process). */
const catalogs = new Map<string, SampleCatalog>();

/** `cache`'s value for `key`, made by `make` on first use. */
export function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make()));
  return value;
}

function generateCatalog(seed: number, n: number): SampleCatalog {
  const rng = new Rng(deriveSeed(seed, 'catalog'));
  const oneSided = n >= 10 ? Math.max(1, Math.round(n * 0.025)) : 0;
  const unmapped = n >= 10 ? Math.max(1, Math.round(n * 0.005)) : 0;
  const total = n + unmapped;

  const presence: Presence[] = new Array<Presence>(total).fill('both');
  const shuffled = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  for (let k = 0; k < oneSided; k++) presence[shuffled[k] as number] = 'pos';
  for (let k = oneSided; k < 2 * oneSided; k++) presence[shuffled[k] as number] = 'warehouse';
  for (let i = n; i < total; i++) presence[i] = 'warehouse';

  // Popularity is a random permutation so that it is not correlated with SKU numbers.
  const ranks = rng.shuffle(Array.from({ length: total }, (_, i) => i));

  const products: CatalogProduct[] = [];
  let nextWarehouseId = 1;
  for (let i = 0; i < total; i++) {
    const p = presence[i] as Presence;
    const cat = rng.pick(CATEGORIES);
    const name = i < n ? `${rng.pick(BRANDS)} ${rng.pick(cat.nouns)} ${rng.pick(cat.sizes)}` : `${rng.pick(UNMAPPED_NAMES)} #${i - n + 1}`;
    const pricebuy = round2(0.5 + rng.float() * 40);
    const pricesell = round2(pricebuy * (1.2 + rng.float() * 0.8));
    const posId = p !== 'warehouse' ? rng.uuid() : null;
    const variants = posId !== null && cat.name === 'Apparel' && rng.chance(0.25) ? rng.int(2, 3) : 0;
    const attributeInstances = Array.from({ length: variants }, () => rng.uuid());
    products.push({
      index: i,
      sku: i < n ? skuOf(i) : null,
      presence: p,
      rank: ranks[i] as number,
      name,
      category: cat.name,
      barcode: ean13(i + 1),
      pricebuy,
      pricesell,
      byWeight: cat.byWeight,
      posId,
      warehouseId: p !== 'pos' ? nextWarehouseId++ : null,
      attributeInstances,
      lotTracked: p !== 'pos' && rng.chance(0.2),
      active: !rng.chance(0.01),
    });
  }
  const byRank = products.slice().sort((a, b) => a.rank - b.rank);
  return {
    products,
    posByRank: byRank.filter((x) => x.posId !== null),
    warehouseByRank: byRank.filter((x) => x.warehouseId !== null),
  };
}
