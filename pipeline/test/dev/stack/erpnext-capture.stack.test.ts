/**
 * Issue 5 (ERPNext as the third source): the ERPNext connector alone, on whatever stack the
 * endpoints name. ERPNext writes — a receipt (Stock Ledger Entry insert + Bin insert/update) and a
 * cancellation (original entry flagged, reversing entry inserted) — arrive on their topics as Avro
 * records that the pipeline's decoder reads with writer schemas from the registry; the table name
 * with a space (`tabStock Ledger Entry`) becomes the topic `erp.<db>.tabStock_Ledger_Entry`, and
 * decimal(21,9) quantities are exact.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { stackEndpoints } from '../../../src/config/endpoints.ts';
import { applyConnector, connectorsDir, loadConnector } from '../../../src/connectors/apply.ts';
import { createDecoder, registrySchemaLookup, type Decoder, type DebeziumEnvelope, type Row } from '../../../src/decode/index.ts';
import type { KafkaRecord } from '../../../src/kafka/client.ts';
import { createSchemaRegistry } from '../../../src/registry/registry.ts';
import { ERPNEXT_WAREHOUSE } from '../../../dev/sample/erpnext/model.ts';
import { cancelVoucher, receiveStock } from '../../../dev/sample/erpnext/operations.ts';
import { openErpnext } from '../../../dev/sample/erpnext/schema.ts';
import { waitForRecord } from '../../helpers/kafka.ts';
import { uniqueToken } from '../../helpers/sources.ts';

const database = stackEndpoints().erpnext.database;
const TOPIC = {
  bin: `erp.${database}.tabBin`,
  ledger: `erp.${database}.tabStock_Ledger_Entry`,
  item: `erp.${database}.tabItem`,
};
const decoder: Decoder = createDecoder({ format: 'avro', registry: registrySchemaLookup(createSchemaRegistry(stackEndpoints().registryUrl)) });
let conn: Connection;
const item = uniqueToken('T-ERP-ITEM');
const warehouse = `${uniqueToken('T-ERP-WH')} - ABC`;

beforeAll(async () => {
  conn = await openErpnext();
  // The facts below are about every column ERPNext writes (the mappings' design rests on them), so
  // the connector captures them all here; the shipped config captures only the columns the mapping
  // files read (column.include.list), and is applied again afterwards.
  const allColumns = loadConnector(path.join(connectorsDir, 'erpnext.json'));
  delete allColumns.config['column.include.list'];
  await applyConnector(allColumns);
  // A fresh item and warehouse of the test's own, so the test needs no seeded data and touches none.
  await conn.query(
    `INSERT INTO \`tabWarehouse\` (name, creation, modified, modified_by, owner, warehouse_name, is_group, parent_warehouse, company)
     VALUES (?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'Administrator', 'Administrator', ?, 0, ?, 'Acme Retail')`,
    [warehouse, warehouse.replace(/ - ABC$/, ''), ERPNEXT_WAREHOUSE.group],
  );
  await conn.query(
    `INSERT INTO \`tabItem\` (name, creation, modified, modified_by, owner, item_code, item_name, item_group, stock_uom, is_stock_item, valuation_rate)
     VALUES (?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'Administrator', 'Administrator', ?, 'capture test', 'Products', 'Kg', 1, 2.5)`,
    [item, item],
  );
  // The new configuration is in effect once a change carries a column the shipped list leaves out
  // (a task restarting under a new config may still write records of the old one for a moment).
  for (let attempt = 1; ; attempt++) {
    const probe = `capture test ${attempt}`;
    await conn.query('UPDATE `tabItem` SET item_name = ? WHERE name = ?', [probe, item]);
    try {
      await waitForChange(TOPIC.item, (e) => e.after?.name === item && e.after?.item_name === probe, 20_000);
      break;
    } catch (error) {
      if (attempt === 6) throw error;
    }
  }
}, 300_000);

afterAll(async () => {
  await conn?.end();
  await applyConnector(loadConnector(path.join(connectorsDir, 'erpnext.json')));
});

/**
 * Waits for a change record on `topic` whose envelope `match` accepts; returns it decoded. Matchers
 * also check the test's own item code: names come from naming series, which a re-seed restarts, so a
 * name alone may match an older record still on the topic.
 */
async function waitForChange(
  topic: string,
  match: (e: DebeziumEnvelope) => boolean,
  timeoutMs?: number,
): Promise<{ key: Row | null; envelope: DebeziumEnvelope }> {
  let found: { key: Row | null; envelope: DebeziumEnvelope } | undefined;
  await waitForRecord(
    topic,
    async (r: KafkaRecord) => {
      const decoded = await decoder.decode(r);
      if (decoded.kind !== 'change' || !match(decoded.envelope)) return false;
      found = { key: decoded.key, envelope: decoded.envelope };
      return true;
    },
    timeoutMs,
  );
  return found!;
}

describe('ERPNext capture (connector stocksync-erpnext)', () => {
  it('streams a Stock Ledger Entry insert and a Bin update as Avro with exact decimal(21,9) values', async () => {
    const first = await receiveStock(conn, { itemCode: item, warehouse, qty: '12.5' });
    const second = await receiveStock(conn, { itemCode: item, warehouse, qty: '0.125' });
    const sle = first.ledger[0]!;
    const bin = second.bins[0]!;
    expect(first.bins[0]).toMatchObject({ action: 'insert', actualDelta: '12.5' });
    expect(bin).toMatchObject({ action: 'update', actualDelta: '0.125' });

    const inserted = await waitForChange(TOPIC.ledger, (e) => e.after?.name === sle.name && e.after?.item_code === item);
    expect(inserted.key).toEqual({ name: sle.name });
    expect(inserted.envelope.op).toBe('c');
    expect(inserted.envelope.before).toBeNull();
    expect(inserted.envelope.after).toMatchObject({
      name: sle.name,
      item_code: item,
      warehouse,
      voucher_type: 'Purchase Receipt',
      voucher_no: first.voucherNo,
      actual_qty: '12.500000000',
      qty_after_transaction: '12.500000000',
      stock_value_difference: '31.250000000',
      is_cancelled: 0,
      docstatus: 1,
    });
    // Debezium keeps the real table name in the source block; only the topic and schema names are sanitised.
    expect(inserted.envelope.source).toMatchObject({ connector: 'mariadb', db: database, table: 'tabStock Ledger Entry', snapshot: 'false' });
    if (first.txId !== null) expect(inserted.envelope.source.gtid).toBe(first.txId);

    // ERPNext's get_or_make_bin inserts the Bin at zero, then the same transaction updates it.
    const created = await waitForChange(TOPIC.bin, (e) => e.op === 'c' && e.after?.name === bin.name && e.after?.item_code === item);
    expect(created.envelope.after).toMatchObject({ actual_qty: '0.000000000', reserved_qty: '0.000000000' });
    const updated = await waitForChange(
      TOPIC.bin,
      (e) => e.op === 'u' && e.after?.name === bin.name && e.after?.item_code === item && e.after?.actual_qty === '12.625000000',
    );
    expect(updated.key).toEqual({ name: bin.name });
    expect(updated.envelope.before).toMatchObject({ item_code: item, warehouse, actual_qty: '12.500000000', projected_qty: '12.500000000' });
    expect(updated.envelope.after).toMatchObject({
      item_code: item,
      warehouse,
      actual_qty: '12.625000000',
      projected_qty: '12.625000000',
      reserved_qty: '0.000000000',
    });
    expect(updated.envelope.source).toMatchObject({ table: 'tabBin' });
  });

  it('streams a cancellation as an update of the original (is_cancelled 0 → 1) and a reversing insert with is_cancelled = 1', async () => {
    const receipt = await receiveStock(conn, { itemCode: item, warehouse, qty: '3.25' });
    const cancel = await cancelVoucher(conn, 'Purchase Receipt', receipt.voucherNo!);
    const original = receipt.ledger[0]!;
    const reversal = cancel.ledger.find((l) => l.action === 'insert')!;

    const flagged = await waitForChange(TOPIC.ledger, (e) => e.op === 'u' && e.after?.name === original.name && e.after?.item_code === item);
    expect(flagged.envelope.before).toMatchObject({ is_cancelled: 0, actual_qty: '3.250000000' });
    expect(flagged.envelope.after).toMatchObject({ is_cancelled: 1, actual_qty: '3.250000000' });

    const reversing = await waitForChange(TOPIC.ledger, (e) => e.op === 'c' && e.after?.name === reversal.name && e.after?.item_code === item);
    expect(reversing.envelope.after).toMatchObject({
      voucher_no: receipt.voucherNo,
      voucher_detail_no: flagged.envelope.after?.voucher_detail_no,
      posting_date: flagged.envelope.after?.posting_date,
      posting_time: flagged.envelope.after?.posting_time,
      actual_qty: '-3.250000000',
      is_cancelled: 1,
    });
    // Both rows changed in one transaction: one GTID.
    expect(reversing.envelope.source.gtid).toBe(flagged.envelope.source.gtid);
    if (cancel.txId !== null) expect(reversing.envelope.source.gtid).toBe(cancel.txId);
  });
});
