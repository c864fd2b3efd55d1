/**
 * The pure description of the ERPNext sample: the company, its warehouses and their canonical
 * location codes, and the item master (which sample SKUs ERPNext knows, plus ERPNext-only items).
 * No database access here, so the seeder, the workload, the oracle and the tests agree on one model.
 *
 * Also exact decimal arithmetic at ERPNext's scale (`decimal(21,9)`), shared by seeder and operations.
 */
import { buildCatalog, remember, resolveSampleOptions, type SampleOptions } from '../shared/model.ts';
import { Rng, deriveSeed } from '../shared/prng.ts';

/** The sample company. ERPNext suffixes warehouse (and account) names with the company abbreviation. */
export const ERPNEXT_COMPANY = { name: 'Acme Retail', abbr: 'ABC' } as const;

/** ERPNext's stock account of the company, set on its warehouses. */
const STOCK_ACCOUNT = `Stock In Hand - ${ERPNEXT_COMPANY.abbr}`;

/** One `tabWarehouse` row of the sample. */
export interface ErpnextWarehouse {
  /** `name`, e.g. `"Stores - ABC"`. */
  name: string;
  /** `warehouse_name`, e.g. `"Stores"`. */
  warehouseName: string;
  /** `is_group`: a group only organises the tree and never holds stock. */
  isGroup: boolean;
  /** `parent_warehouse` (`name` of the group), null for the root. */
  parent: string | null;
  /** Nested-set bounds. */
  lft: number;
  rgt: number;
  /** `warehouse_type`, e.g. `"Transit"`, or null. */
  warehouseType: string | null;
  account: string | null;
  /** Whether the seeder and the workload keep stock here. */
  stocked: boolean;
  /**
   * Canonical location code: the warehouse `name` itself (`"Stores - ABC"`), which overlaps neither
   * the POS's `STORE-*` nor the Odoo warehouses' `WHn/Stock` codes. Null for the group.
   */
  code: string | null;
}

/**
 * The sample's warehouse tree, as ERPNext creates it for a new company: the group
 * `All Warehouses - ABC` with Stores, Work In Progress, Finished Goods and Goods In Transit under it.
 * Goods In Transit exists but holds no stock in the sample.
 */
export function erpnextWarehouses(): ErpnextWarehouse[] {
  const abbr = ERPNEXT_COMPANY.abbr;
  const root = `All Warehouses - ${abbr}`;
  const leaf = (warehouseName: string, n: number, stocked: boolean, warehouseType: string | null = null): ErpnextWarehouse => {
    const name = `${warehouseName} - ${abbr}`;
    return { name, warehouseName, isGroup: false, parent: root, lft: 2 * n, rgt: 2 * n + 1, warehouseType, account: STOCK_ACCOUNT, stocked, code: name };
  };
  return [
    {
      name: root,
      warehouseName: 'All Warehouses',
      isGroup: true,
      parent: null,
      lft: 1,
      rgt: 10,
      warehouseType: null,
      account: null,
      stocked: false,
      code: null,
    },
    leaf('Stores', 1, true),
    leaf('Work In Progress', 2, true),
    leaf('Finished Goods', 3, true),
    leaf('Goods In Transit', 4, false, 'Transit'),
  ];
}

/** Names of the stocked warehouses, by role. */
export const ERPNEXT_WAREHOUSE = {
  group: `All Warehouses - ${ERPNEXT_COMPANY.abbr}`,
  stores: `Stores - ${ERPNEXT_COMPANY.abbr}`,
  wip: `Work In Progress - ${ERPNEXT_COMPANY.abbr}`,
  finished: `Finished Goods - ${ERPNEXT_COMPANY.abbr}`,
  transit: `Goods In Transit - ${ERPNEXT_COMPANY.abbr}`,
} as const;

/** Non-group warehouse `name` → canonical location code (the name itself). */
export function erpnextLocationCodes(): Record<string, string> {
  return Object.fromEntries(
    erpnextWarehouses()
      .filter((w) => w.code !== null)
      .map((w) => [w.name, w.code as string]),
  );
}

// ---------------------------------------------------------------------------------------------
// Items

/** One `tabItem` row of the sample. */
export interface ErpnextItem {
  /** `name` = `item_code`: a sample SKU (`SKU-000123`), or `RM-…`/`SVC-…` for ERPNext-only items. */
  itemCode: string;
  itemName: string;
  itemGroup: string;
  /** `stock_uom`: `Nos` (units) or `Kg` for goods sold by weight (quantities with up to 3 decimals). */
  stockUom: 'Nos' | 'Kg';
  /** `is_stock_item`; services (`SVC-…`) are not, and have no bins nor ledger entries. */
  isStockItem: boolean;
  /** `disabled`; a few disabled items still hold stock. */
  disabled: boolean;
  /** Goods sold by weight (`stock_uom` Kg). */
  byWeight: boolean;
  /** Popularity rank among ERPNext items, 0 = most moved; drives stock levels and workload picks. */
  rank: number;
  /** `valuation_rate` and `standard_rate`: exact decimal strings with 2 decimals. */
  valuationRate: string;
  standardRate: string;
  /** `safety_stock` (item level, in stock_uom): exact decimal string, `"0"` when not set. */
  safetyStock: string;
  brand: string | null;
  /** Catalogue index of the sample product, or null for ERPNext-only items. */
  catalogIndex: number | null;
}

/** The ERPNext item master plus the stock items in popularity order. */
export interface ErpnextCatalog {
  /** All items: catalogue SKUs in SKU order, then raw materials, then services. */
  items: ErpnextItem[];
  /** Stock items, most moved first. */
  stockItemsByRank: ErpnextItem[];
}

const RAW_MATERIALS = ['Shipping Carton', 'Pallet Wrap Film', 'Label Roll', 'Packing Tape', 'Gift Box', 'Tissue Paper', 'Cold Pack', 'Twine'];
const SERVICES: [string, string][] = [
  ['SVC-GIFT-WRAP', 'Gift Wrapping'],
  ['SVC-DELIVERY', 'Home Delivery'],
];

/**
 * Builds the ERPNext item master. Pure and deterministic in (`seed`, `products`): about 80 % of the
 * catalogue's SKUs are ERPNext items with `item_code` = SKU (independently of whether the POS or
 * the warehouse also knows them); ERPNext-only raw materials `RM-00001`… (about 2 % of `products`,
 * at least 2) are stock items too; two services are not stock items. About 1 % of stock items are
 * disabled. The same (shared) item master for the same options, built once: do not modify it.
 */
export function buildErpnextCatalog(opts: SampleOptions): ErpnextCatalog {
  const o = resolveSampleOptions(opts);
  return remember(erpnextCatalogs, `${o.seed}|${o.products}`, () => generateErpnextCatalog(o));
}

/** Built item masters by `seed|products`. */
const erpnextCatalogs = new Map<string, ErpnextCatalog>();

function generateErpnextCatalog(o: ReturnType<typeof resolveSampleOptions>): ErpnextCatalog {
  const catalog = buildCatalog(o);
  const rng = new Rng(deriveSeed(o.seed, 'erpnext-items'));
  const items: Omit<ErpnextItem, 'rank'>[] = [];
  for (const p of catalog.products) {
    if (p.sku === null || !rng.chance(0.8)) continue;
    items.push({
      itemCode: p.sku,
      itemName: p.name,
      itemGroup: p.category,
      stockUom: p.byWeight ? 'Kg' : 'Nos',
      isStockItem: true,
      disabled: rng.chance(0.01),
      byWeight: p.byWeight,
      valuationRate: p.pricebuy.toFixed(2),
      standardRate: p.pricesell.toFixed(2),
      safetyStock: rng.chance(0.25) ? String(rng.int(1, 20)) : '0',
      brand: p.name.split(' ')[0] ?? null,
      catalogIndex: p.index,
    });
  }
  const rawCount = Math.max(2, Math.round(o.products * 0.02));
  for (let i = 0; i < rawCount; i++) {
    const rate = (0.05 + rng.float() * 3).toFixed(2);
    items.push({
      itemCode: `RM-${String(i + 1).padStart(5, '0')}`,
      itemName: `${RAW_MATERIALS[i % RAW_MATERIALS.length]} ${Math.floor(i / RAW_MATERIALS.length) + 1}`,
      itemGroup: 'Raw Material',
      stockUom: 'Nos',
      isStockItem: true,
      disabled: false,
      byWeight: false,
      valuationRate: rate,
      standardRate: rate,
      safetyStock: rng.chance(0.5) ? String(rng.int(10, 100)) : '0',
      brand: null,
      catalogIndex: null,
    });
  }
  for (const [code, name] of SERVICES) {
    items.push({
      itemCode: code,
      itemName: name,
      itemGroup: 'Services',
      stockUom: 'Nos',
      isStockItem: false,
      disabled: false,
      byWeight: false,
      valuationRate: '0.00',
      standardRate: '4.50',
      safetyStock: '0',
      brand: null,
      catalogIndex: null,
    });
  }
  // Popularity: a random permutation, so it is not correlated with item codes.
  const ranks = rng.shuffle(Array.from({ length: items.length }, (_, i) => i));
  const ranked: ErpnextItem[] = items.map((it, i) => ({ ...it, rank: ranks[i] as number }));
  return {
    items: ranked,
    stockItemsByRank: ranked.filter((it) => it.isStockItem).sort((a, b) => a.rank - b.rank),
  };
}

// ---------------------------------------------------------------------------------------------
// Naming

/**
 * Naming series of the sample's documents, as ERPNext names them: `<prefix><year>-<5 digits>`,
 * e.g. `MAT-SLE-2026-00001`. The counter of each `<prefix><year>-` lives in `tabSeries`.
 */
export const ERPNEXT_SERIES = {
  bin: 'MAT-BIN-',
  stockLedgerEntry: 'MAT-SLE-',
  stockReconciliation: 'MAT-RECO-',
  purchaseReceipt: 'MAT-PRE-',
  deliveryNote: 'MAT-DN-',
  salesInvoice: 'ACC-SINV-',
  stockEntry: 'MAT-STE-',
  salesOrder: 'SAL-ORD-',
} as const;

/** `tabSeries.name` for a series prefix and year, e.g. `MAT-SLE-2026-`. */
export function seriesKey(prefix: string, year: number): string {
  return `${prefix}${year}-`;
}

/** The document name for a counter value, e.g. `MAT-SLE-2026-00042`. */
export function seriesName(key: string, n: number): string {
  return `${key}${String(n).padStart(5, '0')}`;
}

/** The voucher types the sample posts to the stock ledger. */
export const ERPNEXT_VOUCHER = {
  stockReconciliation: 'Stock Reconciliation',
  purchaseReceipt: 'Purchase Receipt',
  deliveryNote: 'Delivery Note',
  salesInvoice: 'Sales Invoice',
  stockEntry: 'Stock Entry',
} as const;

/** One of the {@link ERPNEXT_VOUCHER} values. */
export type ErpnextVoucherType = (typeof ERPNEXT_VOUCHER)[keyof typeof ERPNEXT_VOUCHER];

/** The naming series of each voucher type. */
export const VOUCHER_SERIES: Record<ErpnextVoucherType, string> = {
  'Stock Reconciliation': ERPNEXT_SERIES.stockReconciliation,
  'Purchase Receipt': ERPNEXT_SERIES.purchaseReceipt,
  'Delivery Note': ERPNEXT_SERIES.deliveryNote,
  'Sales Invoice': ERPNEXT_SERIES.salesInvoice,
  'Stock Entry': ERPNEXT_SERIES.stockEntry,
};

/**
 * Voucher types the sample cancels. Delivery Notes (delivered against Sales Orders, consuming
 * reservations) and the opening Stock Reconciliation are never cancelled, so a cancellation only
 * ever changes `actual_qty`.
 */
export const CANCELLABLE_VOUCHERS: readonly ErpnextVoucherType[] = ['Purchase Receipt', 'Sales Invoice', 'Stock Entry'];

// ---------------------------------------------------------------------------------------------
// Exact decimals at ERPNext's scale

/** Scale of ERPNext's Float and Currency columns (`decimal(21,9)`). */
export const ERP_SCALE = 9;
const ONE = 10n ** BigInt(ERP_SCALE);

/**
 * Parses a decimal string (as mysql2 returns DECIMAL, e.g. `"-12.500000000"`) into an integer
 * scaled by 10^9. @throws Error for more than 9 decimals or a non-decimal string.
 */
export function toScaled(value: string | number): bigint {
  const s = typeof value === 'number' ? String(value) : value.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal literal: ${JSON.stringify(value)}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > ERP_SCALE) throw new Error(`more than ${ERP_SCALE} decimals: ${JSON.stringify(value)}`);
  const abs = BigInt(m[2] || '0') * ONE + BigInt(frac.padEnd(ERP_SCALE, '0') || '0');
  return m[1] === '-' ? -abs : abs;
}

/** Formats an integer scaled by 10^9 as a normalised decimal string (`12.5`, `-3`, `0`). */
export function fromScaled(value: bigint): string {
  const neg = value < 0n;
  const abs = neg ? -value : value;
  const frac = (abs % ONE).toString().padStart(ERP_SCALE, '0').replace(/0+$/, '');
  const body = `${abs / ONE}${frac ? `.${frac}` : ''}`;
  return neg && body !== '0' ? `-${body}` : body;
}

/** Exact sum of decimal strings, normalised. */
export function addDecimals(...values: (string | number)[]): string {
  return fromScaled(values.reduce<bigint>((a, v) => a + toScaled(v), 0n));
}

/** Exact difference `a - b`, normalised. */
export function subDecimals(a: string | number, b: string | number): string {
  return fromScaled(toScaled(a) - toScaled(b));
}

/** Exact negation, normalised (`"2.5"` gives `"-2.5"`, `"-3"` gives `"3"`). */
export function negDecimal(a: string | number): string {
  return fromScaled(-toScaled(a));
}

/** Exact product of two decimal strings rounded half away from zero to 9 decimals (DECIMAL(21,9) storage). */
export function mulDecimals(a: string, b: string): string {
  const p = toScaled(a) * toScaled(b); // scale 18
  const neg = p < 0n;
  const abs = neg ? -p : p;
  const q = (abs + ONE / 2n) / ONE;
  return fromScaled(neg ? -q : q);
}

/** Compares two decimal strings: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): number {
  const x = toScaled(a);
  const y = toScaled(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
