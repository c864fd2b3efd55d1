import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthoritative } from '../../../../src/normalize/mapping.ts';
import { placeholderValues } from '../../../../src/connectors/apply.ts';
import { stackEndpoints } from '../../../../src/config/endpoints.ts';
import { skuOf } from '../../../../dev/sample/shared/model.ts';
import { diffStock } from '../../../../dev/sample/shared/oracle.ts';
import { checkErpnextConsistency } from '../../../../dev/sample/erpnext/consistency.ts';
import {
  ERPNEXT_WAREHOUSE,
  addDecimals,
  buildErpnextCatalog,
  erpnextLocationCodes,
  erpnextWarehouses,
  mulDecimals,
  subDecimals,
} from '../../../../dev/sample/erpnext/model.ts';
import { erpnextLedgerOracle, erpnextOracle } from '../../../../dev/sample/erpnext/oracle.ts';
import { ERPNEXT_TABLES } from '../../../../dev/sample/erpnext/schema.ts';
import { seedErpnext } from '../../../../dev/sample/erpnext/seed.ts';
import { dropPosDatabase, freshPosDatabase } from '../databases.ts';

const DB = 'sample_test_erpnext_seed';
const SAMPLE = { seed: 42, products: 300 } as const;
let conn: Connection;

beforeAll(async () => {
  conn = await freshPosDatabase(DB);
});
afterAll(async () => {
  await dropPosDatabase(conn, DB);
});

async function dump(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of ERPNEXT_TABLES) out[t] = (await conn.query(`SELECT * FROM \`${t}\` ORDER BY name`))[0] as unknown[];
  return out;
}

async function rows(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  return (await conn.query<RowDataPacket[]>(sql, params))[0];
}

describe('ERPNext model', () => {
  it('has the default warehouse tree of a company, with codes that overlap no other source', () => {
    const warehouses = erpnextWarehouses();
    expect(warehouses.map((w) => [w.name, w.isGroup, w.parent])).toEqual([
      ['All Warehouses - ABC', true, null],
      ['Stores - ABC', false, 'All Warehouses - ABC'],
      ['Work In Progress - ABC', false, 'All Warehouses - ABC'],
      ['Finished Goods - ABC', false, 'All Warehouses - ABC'],
      ['Goods In Transit - ABC', false, 'All Warehouses - ABC'],
    ]);
    const codes = Object.values(erpnextLocationCodes());
    expect(codes).toEqual(['Stores - ABC', 'Work In Progress - ABC', 'Finished Goods - ABC', 'Goods In Transit - ABC']);
    for (const code of codes) {
      expect(isAuthoritative({ locations: ['* - ABC'] }, code)).toBe(true);
      expect(isAuthoritative({ locations: ['STORE-*', 'WH*/Stock'] }, code)).toBe(false);
    }
    expect(isAuthoritative({ locations: ['* - ABC'] }, 'STORE-01')).toBe(false);
    expect(isAuthoritative({ locations: ['* - ABC'] }, 'WH1/Stock')).toBe(false);
  });

  it('knows most sample SKUs as items, plus ERPNext-only raw materials and services; deterministic per seed', () => {
    const { items, stockItemsByRank } = buildErpnextCatalog(SAMPLE);
    expect(buildErpnextCatalog(SAMPLE)).toEqual({ items, stockItemsByRank });
    const skus = items.filter((i) => i.catalogIndex !== null);
    expect(skus.length / SAMPLE.products).toBeGreaterThan(0.7);
    expect(skus.length / SAMPLE.products).toBeLessThan(0.9);
    for (const i of skus) expect(i.itemCode).toBe(skuOf(i.catalogIndex!));
    expect(items.filter((i) => i.itemCode.startsWith('RM-')).map((i) => i.isStockItem)).toEqual([true, true, true, true, true, true]);
    expect(items.filter((i) => !i.isStockItem).map((i) => i.itemCode)).toEqual(['SVC-GIFT-WRAP', 'SVC-DELIVERY']);
    expect(new Set(items.map((i) => i.itemCode)).size).toBe(items.length);
    expect(stockItemsByRank.map((i) => i.rank)).toEqual([...stockItemsByRank.map((i) => i.rank)].sort((a, b) => a - b));
    expect(items.some((i) => i.stockUom === 'Kg')).toBe(true);
    expect(buildErpnextCatalog({ ...SAMPLE, seed: 43 }).items.map((i) => i.itemCode)).not.toEqual(items.map((i) => i.itemCode));
  });

  it('does exact decimal arithmetic at scale 9', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(subDecimals('12.500000000', '12.5')).toBe('0');
    expect(addDecimals('-1.2', '-0.000000001')).toBe('-1.200000001');
    expect(mulDecimals('2.125', '3.33')).toBe('7.07625');
    expect(() => addDecimals('0.0000000001')).toThrow(/more than 9 decimals/);
  });

  it('puts the sample on the POS server in a database of its own, named alike for the connector', () => {
    const defaults = stackEndpoints({});
    expect(defaults.erpnext).toEqual({ ...defaults.pos, database: 'erpnext' });
    expect(stackEndpoints().erpnext.database).toBe(placeholderValues().STOCKSYNC_ERPNEXT_DATABASE);
  });
});

describe('seedErpnext', () => {
  it('writes identical rows, names and timestamps included, for the same options, and other rows for another seed', async () => {
    const counts = await seedErpnext(conn, SAMPLE);
    const first = await dump();
    expect(await seedErpnext(conn, SAMPLE)).toEqual(counts);
    expect(await dump()).toEqual(first);
    expect(counts).toMatchObject({
      items: first.tabItem!.length,
      warehouses: 5,
      bins: first.tabBin!.length,
      stockLedgerEntries: first['tabStock Ledger Entry']!.length,
    });
    expect(counts.cancelledVouchers).toBeGreaterThan(0);
    await seedErpnext(conn, { ...SAMPLE, seed: 43 });
    expect((await dump()).tabBin).not.toEqual(first.tabBin);
  });

  it('keeps Bins and the stock ledger consistent, so that both oracles agree', async () => {
    await seedErpnext(conn, SAMPLE);
    expect(await checkErpnextConsistency(conn)).toEqual([]);
    const bins = await erpnextOracle(conn);
    expect(bins.length).toBeGreaterThan(300);
    expect(diffStock(bins, await erpnextLedgerOracle(conn))).toEqual([]);
    // Reversals cancel their originals: summing every entry gives the same on hand.
    expect(diffStock(bins, await erpnextLedgerOracle(conn, undefined, { includeCancelled: true }))).toEqual([]);
    expect(bins.some((r) => r.reserved !== '0')).toBe(true);
    expect(bins.some((r) => /\.\d{1,3}$/.test(r.onHand))).toBe(true); // goods by weight, exact
    expect(new Set(bins.map((r) => r.location))).toEqual(new Set([ERPNEXT_WAREHOUSE.stores, ERPNEXT_WAREHOUSE.finished, ERPNEXT_WAREHOUSE.wip]));
  });

  it('shapes rows like ERPNext: naming series, flags, group warehouse and services without Bins, cancelled pairs', async () => {
    await seedErpnext(conn, SAMPLE);
    const names = await rows('SELECT name FROM `tabBin` UNION ALL SELECT name FROM `tabStock Ledger Entry`');
    for (const r of names) expect(r.name).toMatch(/^MAT-(BIN|SLE)-2026-\d{5}$/);
    expect((await rows('SELECT COUNT(*) AS n FROM `tabBin` WHERE warehouse IN (?, ?)', [ERPNEXT_WAREHOUSE.group, ERPNEXT_WAREHOUSE.transit]))[0]!.n).toBe(0);
    expect((await rows("SELECT COUNT(*) AS n FROM `tabBin` WHERE item_code LIKE 'SVC-%'"))[0]!.n).toBe(0);
    expect((await rows('SELECT name, is_group FROM `tabWarehouse` WHERE is_group = 1')).map((r) => r.name)).toEqual([ERPNEXT_WAREHOUSE.group]);
    expect((await rows('SELECT DISTINCT voucher_type FROM `tabStock Ledger Entry` ORDER BY 1')).map((r) => r.voucher_type)).toEqual([
      'Purchase Receipt',
      'Sales Invoice',
      'Stock Entry',
      'Stock Reconciliation',
    ]);
    expect((await rows('SELECT COUNT(*) AS n FROM `tabStock Ledger Entry` WHERE voucher_type = ? ', ['Stock Reconciliation']))[0]!.n).toBeGreaterThan(300);
    // A cancelled voucher: its original and its reversal are both flagged, on the same posting date and time.
    const pairs = await rows(
      `SELECT voucher_no, voucher_detail_no, warehouse, COUNT(*) AS n, SUM(actual_qty) AS total, COUNT(DISTINCT posting_datetime) AS postings,
              MIN(is_cancelled) AS flagged
       FROM \`tabStock Ledger Entry\` WHERE is_cancelled = 1 GROUP BY voucher_no, voucher_detail_no, warehouse`,
    );
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect([Number(p.n), Number(p.total), Number(p.postings), Number(p.flagged)]).toEqual([2, 0, 1, 1]);
    const [series] = await rows("SELECT current FROM `tabSeries` WHERE name = 'MAT-SLE-2026-'");
    expect(Number(series!.current)).toBe(names.length - (await rows('SELECT name FROM `tabBin`')).length);
  });
});
