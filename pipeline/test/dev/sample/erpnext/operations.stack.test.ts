import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { diffStock } from '../../../../dev/sample/shared/oracle.ts';
import { checkErpnextConsistency } from '../../../../dev/sample/erpnext/consistency.ts';
import { ERPNEXT_WAREHOUSE, addDecimals, subDecimals } from '../../../../dev/sample/erpnext/model.ts';
import {
  ErpnextStateError,
  cancelVoucher,
  deliverStock,
  receiveStock,
  reserveStock,
  sellStock,
  transferStock,
  unreserveStock,
} from '../../../../dev/sample/erpnext/operations.ts';
import { erpnextLedgerOracle, erpnextOracle } from '../../../../dev/sample/erpnext/oracle.ts';
import { seedErpnext } from '../../../../dev/sample/erpnext/seed.ts';
import { dropPosDatabase, freshPosDatabase } from '../databases.ts';

const DB = 'sample_test_erpnext_ops';
const SAMPLE = { seed: 42, products: 300 } as const;
const STORES = ERPNEXT_WAREHOUSE.stores;
let conn: Connection;

beforeAll(async () => {
  conn = await freshPosDatabase(DB);
});
afterAll(async () => {
  await dropPosDatabase(conn, DB);
});
beforeEach(async () => {
  await seedErpnext(conn, SAMPLE);
});

async function rows(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  return (await conn.query<RowDataPacket[]>(sql, params))[0];
}
async function bin(itemCode: string, warehouse: string): Promise<RowDataPacket | undefined> {
  return (await rows('SELECT * FROM `tabBin` WHERE item_code = ? AND warehouse = ?', [itemCode, warehouse]))[0];
}
async function sle(name: string): Promise<RowDataPacket> {
  const r = await rows(
    `SELECT name, item_code, warehouse, voucher_type, voucher_no, voucher_detail_no, actual_qty, qty_after_transaction, is_cancelled, docstatus,
            DATE_FORMAT(posting_datetime, '%Y-%m-%d %H:%i:%s.%f') AS posting, DATE_FORMAT(creation, '%Y-%m-%d %H:%i:%s.%f') AS created,
            DATE_FORMAT(posting_date, '%Y-%m-%d') AS posting_date, CAST(posting_time AS CHAR) AS posting_time
     FROM \`tabStock Ledger Entry\` WHERE name = ?`,
    [name],
  );
  return r[0]!;
}
async function counts(): Promise<string> {
  return JSON.stringify(
    await rows(
      'SELECT (SELECT COUNT(*) FROM `tabBin`) AS bins, (SELECT COUNT(*) FROM `tabStock Ledger Entry`) AS sles, (SELECT SUM(current) FROM `tabSeries`) AS series',
    ),
  );
}
/** A stocked, whole-unit item in Stores. */
async function stockedItem(min = 5): Promise<{ itemCode: string; actual: string }> {
  const [r] = await rows(
    "SELECT b.item_code, b.actual_qty FROM `tabBin` b JOIN `tabItem` i ON i.name = b.item_code WHERE b.warehouse = ? AND b.actual_qty >= ? AND b.reserved_qty = 0 AND i.stock_uom = 'Nos' ORDER BY b.name LIMIT 1",
    [STORES, min],
  );
  return { itemCode: r!.item_code as string, actual: r!.actual_qty as string };
}
/** A whole-unit stock item without a Bin in `warehouse`. */
async function unstockedItem(warehouse: string): Promise<string> {
  const [r] = await rows(
    "SELECT i.name FROM `tabItem` i WHERE i.is_stock_item = 1 AND i.stock_uom = 'Nos' AND NOT EXISTS (SELECT 1 FROM `tabBin` b WHERE b.item_code = i.name AND b.warehouse = ?) ORDER BY i.name LIMIT 1",
    [warehouse],
  );
  return r!.name as string;
}
async function expectConsistent(): Promise<void> {
  expect(await checkErpnextConsistency(conn)).toEqual([]);
  expect(diffStock(await erpnextOracle(conn), await erpnextLedgerOracle(conn))).toEqual([]);
}

describe('ERPNext stock operations', () => {
  it('a receipt inserts a ledger entry and raises the Bin in one commit', async () => {
    const { itemCode, actual } = await stockedItem();
    const commit = await receiveStock(conn, { itemCode, warehouse: STORES, qty: '12' });
    expect(commit.voucherType).toBe('Purchase Receipt');
    expect(commit.voucherNo).toMatch(/^MAT-PRE-\d{4}-\d{5}$/);
    expect(commit.ledger).toEqual([expect.objectContaining({ itemCode, warehouse: STORES, actualQty: '12', isCancelled: false, action: 'insert' })]);
    expect(commit.bins).toEqual([expect.objectContaining({ itemCode, warehouse: STORES, actualDelta: '12', reservedDelta: '0', action: 'update' })]);
    const after = await bin(itemCode, STORES);
    expect(subDecimals(after!.actual_qty as string, actual)).toBe('12');
    const entry = await sle(commit.ledger[0]!.name);
    expect(entry).toMatchObject({
      voucher_no: commit.voucherNo,
      actual_qty: '12.000000000',
      qty_after_transaction: after!.actual_qty,
      is_cancelled: 0,
      docstatus: 1,
    });
    expect(commit.ledger[0]!.name).toMatch(/^MAT-SLE-\d{4}-\d{5}$/);
    expect(commit.txId === null || /^\d+-\d+-\d+$/.test(commit.txId)).toBe(true);
    await expectConsistent();
  });

  it('creates the Bin on first use (get_or_make_bin) and never lets a Bin go below zero', async () => {
    const item = { itemCode: await unstockedItem(ERPNEXT_WAREHOUSE.finished) };
    expect(await bin(item.itemCode, ERPNEXT_WAREHOUSE.finished)).toBeUndefined();
    const commit = await receiveStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '2.5' });
    expect(commit.bins).toEqual([expect.objectContaining({ actualDelta: '2.5', action: 'insert' })]);
    expect(commit.bins[0]!.name).toMatch(/^MAT-BIN-\d{4}-\d{5}$/);
    const before = await counts();
    await expect(sellStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '2.500000001' })).rejects.toBeInstanceOf(
      ErpnextStateError,
    );
    await expect(receiveStock(conn, { itemCode: 'SVC-GIFT-WRAP', warehouse: STORES, qty: '1' })).rejects.toThrow(/not a stock item/);
    await expect(receiveStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.group, qty: '1' })).rejects.toThrow(/is a group/);
    expect(await counts()).toBe(before); // rolled back, naming series included
    const all = await sellStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '2.5' });
    expect(all.bins[0]!.actualDelta).toBe('-2.5');
    expect((await bin(item.itemCode, ERPNEXT_WAREHOUSE.finished))!.actual_qty).toBe('0.000000000');
    await expectConsistent();
  });

  it('a transfer posts -q and +q under one voucher and one item row', async () => {
    const { itemCode } = await stockedItem();
    const commit = await transferStock(conn, { itemCode, from: STORES, to: ERPNEXT_WAREHOUSE.wip, qty: '3' });
    expect(commit.voucherNo).toMatch(/^MAT-STE-/);
    expect(commit.ledger.map((l) => [l.warehouse, l.actualQty])).toEqual([
      [STORES, '-3'],
      [ERPNEXT_WAREHOUSE.wip, '3'],
    ]);
    const [a, b] = [await sle(commit.ledger[0]!.name), await sle(commit.ledger[1]!.name)];
    expect(a.voucher_detail_no).toBe(b.voucher_detail_no);
    expect(commit.bins.map((x) => [x.warehouse, x.actualDelta])).toEqual([
      [STORES, '-3'],
      [ERPNEXT_WAREHOUSE.wip, '3'],
    ]);
    await expectConsistent();
  });

  it('reservations move reserved_qty and projected_qty only; a delivery ships against them', async () => {
    const { itemCode, actual } = await stockedItem(6);
    const sles = (await rows('SELECT COUNT(*) AS n FROM `tabStock Ledger Entry`'))[0]!.n;
    const so = await reserveStock(conn, { itemCode, warehouse: STORES, qty: '4' });
    expect(so).toMatchObject({ voucherType: 'Sales Order', ledger: [], bins: [expect.objectContaining({ actualDelta: '0', reservedDelta: '4' })] });
    expect(so.voucherNo).toMatch(/^SAL-ORD-\d{4}-\d{5}$/);
    expect((await rows('SELECT COUNT(*) AS n FROM `tabStock Ledger Entry`'))[0]!.n).toBe(sles);
    const b = await bin(itemCode, STORES);
    expect(b!.reserved_qty).toBe('4.000000000');
    expect(addDecimals(b!.projected_qty as string)).toBe(subDecimals(addDecimals(actual, b!.ordered_qty as string), '4'));
    await expect(reserveStock(conn, { itemCode, warehouse: STORES, qty: subDecimals(actual, '3.999') })).rejects.toBeInstanceOf(ErpnextStateError);
    const dn = await deliverStock(conn, { itemCode, warehouse: STORES, qty: '5' });
    expect(dn.voucherNo).toMatch(/^MAT-DN-/);
    expect(dn.bins[0]).toMatchObject({ actualDelta: '-5', reservedDelta: '-4' });
    await reserveStock(conn, { itemCode, warehouse: STORES, qty: '1' });
    expect((await unreserveStock(conn, { itemCode, warehouse: STORES, qty: 'all' })).bins[0]).toMatchObject({ actualDelta: '0', reservedDelta: '-1' });
    await expect(unreserveStock(conn, { itemCode, warehouse: STORES, qty: '1' })).rejects.toBeInstanceOf(ErpnextStateError);
    await expectConsistent();
  });
});

describe('ERPNext cancellation (immutable ledger)', () => {
  it('flags the original, inserts a flagged reversal at the original posting time, reposts later balances and lowers the Bin', async () => {
    const { itemCode, actual } = await stockedItem();
    const receipt = await receiveStock(conn, { itemCode, warehouse: STORES, qty: '7' });
    const sale = await sellStock(conn, { itemCode, warehouse: STORES, qty: '2' });
    const original = await sle(receipt.ledger[0]!.name);
    const saleBefore = await sle(sale.ledger[0]!.name);
    expect(addDecimals(saleBefore.qty_after_transaction as string)).toBe(addDecimals(actual, '5'));

    const cancel = await cancelVoucher(conn, 'Purchase Receipt', receipt.voucherNo!);
    expect(cancel.ledger.map((l) => [l.action, l.actualQty, l.isCancelled])).toEqual([
      ['cancel', '7', true],
      ['insert', '-7', true],
    ]);
    expect(cancel.bins).toEqual([expect.objectContaining({ itemCode, warehouse: STORES, actualDelta: '-7', reservedDelta: '0' })]);

    const flagged = await sle(original.name as string);
    expect(flagged).toMatchObject({ ...original, is_cancelled: 1 }); // only the flag changed (and modified)
    const reversal = await sle(cancel.ledger[1]!.name);
    expect(reversal.name).not.toBe(original.name);
    expect(reversal).toMatchObject({
      item_code: itemCode,
      warehouse: STORES,
      voucher_type: 'Purchase Receipt',
      voucher_no: receipt.voucherNo,
      voucher_detail_no: original.voucher_detail_no,
      posting: original.posting,
      posting_date: original.posting_date,
      posting_time: original.posting_time,
      actual_qty: '-7.000000000',
      is_cancelled: 1,
      docstatus: 1,
    });
    expect(reversal.created > original.created).toBe(true);
    // The later sale's balance no longer includes the cancelled receipt.
    expect(addDecimals((await sle(sale.ledger[0]!.name)).qty_after_transaction as string)).toBe(subDecimals(actual, '2'));
    expect(addDecimals((await bin(itemCode, STORES))!.actual_qty as string)).toBe(subDecimals(actual, '2'));
    expect(cancel.txId === null || cancel.txId !== receipt.txId).toBe(true);
    await expectConsistent();
    expect(diffStock(await erpnextOracle(conn), await erpnextLedgerOracle(conn, undefined, { includeCancelled: true }))).toEqual([]);

    await expect(cancelVoucher(conn, 'Purchase Receipt', receipt.voucherNo!)).rejects.toThrow(/already cancelled/);
    await expect(cancelVoucher(conn, 'Purchase Receipt', 'MAT-PRE-1999-00001')).rejects.toThrow(/no stock ledger entries/);
    const dn = await deliverStock(conn, { itemCode, warehouse: STORES, qty: '1' });
    await expect(cancelVoucher(conn, 'Delivery Note', dn.voucherNo!)).rejects.toBeInstanceOf(ErpnextStateError);
  });

  it('refuses a cancellation that would make stock negative at any later point, writing nothing', async () => {
    const item = { itemCode: await unstockedItem(ERPNEXT_WAREHOUSE.finished) };
    const receipt = await receiveStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '10' });
    await sellStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '8' });
    await receiveStock(conn, { itemCode: item.itemCode, warehouse: ERPNEXT_WAREHOUSE.finished, qty: '20' });
    // Now 22 on hand, but cancelling the first receipt would leave -8 after the sale.
    const before = await counts();
    await expect(cancelVoucher(conn, 'Purchase Receipt', receipt.voucherNo!)).rejects.toThrow(/NegativeStockError/);
    expect(await counts()).toBe(before);
    expect((await sle(receipt.ledger[0]!.name)).is_cancelled).toBe(0);
    await expectConsistent();
  });

  it('cancels a transfer line by line and a back-dated seeded voucher with reposting', async () => {
    const { itemCode } = await stockedItem();
    const ste = await transferStock(conn, { itemCode, from: STORES, to: ERPNEXT_WAREHOUSE.finished, qty: '2' });
    const cancel = await cancelVoucher(conn, 'Stock Entry', ste.voucherNo!);
    // Reversed last line first, as ERPNext does for a Stock Entry.
    expect(cancel.ledger.filter((l) => l.action === 'insert').map((l) => [l.warehouse, l.actualQty])).toEqual([
      [ERPNEXT_WAREHOUSE.finished, '-2'],
      [STORES, '2'],
    ]);
    const [seeded] = await rows(
      `SELECT voucher_no FROM \`tabStock Ledger Entry\` s WHERE voucher_type = 'Sales Invoice' AND is_cancelled = 0
       AND EXISTS (SELECT 1 FROM \`tabStock Ledger Entry\` f WHERE f.item_code = s.item_code AND f.warehouse = s.warehouse AND f.is_cancelled = 0 AND f.posting_datetime > s.posting_datetime)
       ORDER BY name LIMIT 1`,
    );
    await cancelVoucher(conn, 'Sales Invoice', seeded!.voucher_no as string);
    await expectConsistent();
  });
});
