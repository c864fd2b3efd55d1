/**
 * Issue 16, bad data in normalize: flags that arrive as integers in one path and booleans in
 * another, columns renamed by the Avro converter, and unchanged TOAST columns in the columns a
 * mapping reads. Pure unit tests on hand-built envelopes and the shipped mappings.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMapping, mappingsDir, type StockTable } from '../../src/normalize/mapping.ts';
import {
  normalizeChange,
  NormalizeError,
  sameValue,
  topicRoles,
  type DimensionChange,
  type LevelChange,
  type TopicRole,
} from '../../src/normalize/normalize.ts';
import { completeDimensionChange, completeLevelChange } from '../../src/normalize/partial.ts';
import { resolveLevelRow } from '../../src/normalize/resolve.ts';
import { UNCHANGED, type ColumnType, type DebeziumEnvelope, type Row } from '../../src/decode/index.ts';

const ledger = loadMapping(path.join(mappingsDir, 'variants/erpnext-ledger.yaml'));
const ledgerRole = topicRoles([ledger]).get('erp.erpnext.tabStock_Ledger_Entry') as Extract<TopicRole, { role: 'stock' }>;

let lsn = 4096n;
function mariadbEnvelope(after: Row, op: DebeziumEnvelope['op'] = 'u'): DebeziumEnvelope {
  lsn += 1n;
  return {
    op,
    before: null,
    after,
    ts_ms: 1_795_000_000_000,
    source: {
      connector: 'mariadb',
      name: 'erp',
      db: 'erpnext',
      table: 'tabStock Ledger Entry',
      ts_ms: 1_795_000_000_000,
      snapshot: 'false',
      file: 'binlog.000002',
      pos: Number(lsn),
      row: 0,
    },
  } as DebeziumEnvelope;
}

/** A ledger entry (a movement of 5) with the given flag columns. */
const entry = (columns: Row): Row => ({
  name: 'SLE-1',
  item_code: 'ITEM-1',
  warehouse: 'Stores - ABC',
  actual_qty: '5.000000000',
  docstatus: 1,
  is_cancelled: 0,
  ...columns,
});

/** The ledger's movement role with its `where` and `cancelled` rules replaced. */
function ledgerWith(rules: Partial<Pick<StockTable, 'where' | 'cancelled'>>): TopicRole {
  return { ...ledgerRole, spec: { ...ledgerRole.spec, ...rules } };
}

const level = (role: TopicRole, row: Row) => normalizeChange(role, null, mariadbEnvelope(row)) as LevelChange;

describe('flags compare by truthiness wherever a mapping compares to a boolean', () => {
  it('where: { active: true } keeps every nonzero TINYINT(1) (1, -1, 2, true) and filters 0 and false', () => {
    const role = ledgerWith({ where: { active: true } });
    for (const active of [1, -1, 2, 127, true, 1n]) expect(level(role, entry({ active })).excluded, String(active)).toBeNull();
    for (const active of [0, false, 0n]) expect(level(role, entry({ active })).excluded, String(active)).toMatch(/^active is /);
  });

  it('where: { active: false } keeps 0 and false only', () => {
    const role = ledgerWith({ where: { active: false } });
    expect(level(role, entry({ active: 0 })).excluded).toBeNull();
    expect(level(role, entry({ active: false })).excluded).toBeNull();
    expect(level(role, entry({ active: 2 })).excluded).not.toBeNull();
  });

  it('where: { active: 1 } keeps a boolean true, and the integer 1', () => {
    const role = ledgerWith({ where: { active: 1 } });
    expect(level(role, entry({ active: true })).excluded).toBeNull();
    expect(level(role, entry({ active: 1 })).excluded).toBeNull();
    expect(level(role, entry({ active: false })).excluded).not.toBeNull();
  });

  it('a number in the mapping compares exactly against numbers: docstatus: 1 does not keep a cancelled document (2)', () => {
    const role = ledgerWith({ where: { docstatus: 1 } });
    expect(level(role, entry({ docstatus: 1 })).excluded).toBeNull();
    expect(level(role, entry({ docstatus: 2 })).excluded).toBe('docstatus is 2, not 1');
  });

  it('cancelled: { value: 1 } cancels the integer 1 and the boolean true alike; value: true cancels any nonzero', () => {
    const byOne = ledgerWith({ cancelled: { column: 'is_cancelled', value: 1 } });
    expect(level(byOne, entry({ is_cancelled: 1 })).onHand).toBe('0');
    expect(level(byOne, entry({ is_cancelled: true })).onHand).toBe('0');
    expect(level(byOne, entry({ is_cancelled: false })).onHand).toBe('5');
    expect(level(byOne, entry({ is_cancelled: 0 })).onHand).toBe('5');
    const byTrue = ledgerWith({ cancelled: { column: 'is_cancelled', value: true } });
    for (const flag of [1, -1, 2, true]) expect(level(byTrue, entry({ is_cancelled: flag })).onHand, String(flag)).toBe('0');
    for (const flag of [0, false]) expect(level(byTrue, entry({ is_cancelled: flag })).onHand, String(flag)).toBe('5');
  });

  it('cancelled without a value: any nonzero or true cancels', () => {
    const role = ledgerWith({ cancelled: { column: 'is_cancelled' } });
    for (const flag of [1, -1, 2, true]) expect(level(role, entry({ is_cancelled: flag })).onHand, String(flag)).toBe('0');
    for (const flag of [0, false]) expect(level(role, entry({ is_cancelled: flag })).onHand, String(flag)).toBe('5');
  });

  it('a dimension lookup where: compares stored attributes the same way', () => {
    expect(sameValue(2, true)).toBe(true);
    expect(sameValue(-1, true)).toBe(true);
    expect(sameValue(0, false)).toBe(true);
    expect(sameValue(true, 1)).toBe(true);
    expect(sameValue(false, 0)).toBe(true);
    expect(sameValue(2, 1)).toBe(false);
    expect(sameValue('internal', true)).toBe(false);
    const mapping = { ...ledger, tables: { ...ledger.tables } };
    const spec = { ...ledgerRole.spec, sku: { ...ledgerRole.spec.sku, lookup: { dimension: 'tabItem', field: 'name', where: { is_stock_item: true } } } };
    const resolved = resolveLevelRow(mapping, spec, 'ITEM-1', 'Stores - ABC', (dimension, key) =>
      dimension === 'tabItem' ? { name: key, is_stock_item: 2 } : { name: key, is_group: 0 },
    );
    expect(resolved).toEqual({ status: 'mapped', sku: 'ITEM-1', location: 'Stores - ABC' });
  });
});

const warehouse = loadMapping(path.join(mappingsDir, 'warehouse.yaml'));
const warehouseRoles = topicRoles([warehouse]);
const quant = warehouseRoles.get('wms.public.stock_quant')!;
const productDimension = warehouseRoles.get('wms.public.product_product')!;

function postgresEnvelope(after: Row, columns: Record<string, ColumnType> = {}): DebeziumEnvelope {
  lsn += 1n;
  return {
    op: 'u',
    before: null,
    after,
    ts_ms: 1_795_000_000_000,
    source: { connector: 'postgresql', name: 'wms', db: 'wms', table: 'stock_quant', ts_ms: 1_795_000_000_000, snapshot: 'false', lsn, txId: 7 },
    schema: { name: null, columns },
  } as DebeziumEnvelope;
}

describe('columns renamed by the Avro converter', () => {
  const renamed = (spec: Partial<StockTable>): TopicRole => ({
    ...(quant as Extract<TopicRole, { role: 'stock' }>),
    spec: { ...(quant as Extract<TopicRole, { role: 'stock' }>).spec, ...spec },
  });

  it('a mapping naming the SQL column finds the field under its Avro name (leading digit, hyphen)', () => {
    const role = renamed({
      row_key: ['id'],
      sku: { column: 'product-id', if_empty: 'quarantine' },
      location: { column: 'location_id', if_empty: 'quarantine' },
      quantity: { column: '2nd-qty', type: 'decimal', scale: 6, if_null: 'quarantine' },
      reserved: undefined,
      where: { 'is-active': true },
    });
    const change = normalizeChange(
      role,
      { id: 5 },
      postgresEnvelope({ id: 5, product_id: 12, location_id: 10, _2nd_qty: '4.50', is_active: 1 }),
    ) as LevelChange;
    expect(change).toMatchObject({ productRef: '12', locationRef: '10', onHand: '4.5', excluded: null });
  });

  it('…and by the source name the connector propagated (column.propagate.source.type)', () => {
    const role = renamed({ quantity: { column: 'qty on hand', type: 'decimal', scale: 6, if_null: 'quarantine' }, reserved: undefined });
    const columns: Record<string, ColumnType> = {
      qty_on_hand_v: { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', optional: false, sourceName: 'qty on hand' },
    };
    const change = normalizeChange(role, { id: 5 }, postgresEnvelope({ id: 5, product_id: 12, location_id: 10, qty_on_hand_v: '7' }, columns)) as LevelChange;
    expect(change.onHand).toBe('7');
  });

  it('a quantity column the event does not have at all is a mapping error (bad-quantity naming the columns), not a null quantity', () => {
    const role = renamed({ quantity: { column: 'qty', type: 'decimal', scale: 6, if_null: 'exclude' }, reserved: undefined });
    const error = (() => {
      try {
        normalizeChange(role, { id: 5 }, postgresEnvelope({ id: 5, product_id: 12, location_id: 10, quantity: '1' }));
      } catch (e) {
        return e as NormalizeError;
      }
      throw new Error('normalized');
    })();
    expect(error).toBeInstanceOf(NormalizeError);
    expect(error.reason).toBe('bad-quantity');
    expect(error.field).toBe('qty');
    expect(error.message).toContain('its columns: id, product_id, location_id, quantity');
  });

  it('dimension attributes are also stored under the SQL names the lookups use', () => {
    const mapping = {
      ...warehouse,
      tables: {
        stock_quant: {
          ...warehouse.tables.stock_quant!,
          sku: { column: 'product_id', if_empty: 'quarantine' as const, lookup: { dimension: 'product_product', field: 'default-code' } },
        },
      },
    };
    const role = { ...(productDimension as Extract<TopicRole, { role: 'dimension' }>), mapping };
    const change = normalizeChange(role, { id: 12 }, postgresEnvelope({ id: 12, default_code: 'SKU-12', name: 'Bolt' })) as DimensionChange;
    expect(change.attributes).toMatchObject({ 'default-code': 'SKU-12', default_code: 'SKU-12' });
  });
});

describe('unchanged TOAST columns are completed from the stored row, never used as a value', () => {
  it('a dimension column not in the event is left out and marked, not stored as {"$unchanged":true}', () => {
    const change = normalizeChange(
      productDimension,
      { id: 12 },
      postgresEnvelope({ id: 12, default_code: UNCHANGED, name: 'Bolt, renamed', active: true }),
    ) as DimensionChange;
    expect(change.attributes).toEqual({ id: 12, name: 'Bolt, renamed', active: true });
    expect(change.unchanged).toEqual(['default_code']);
    expect(JSON.stringify(change.attributes)).not.toContain('$unchanged');
  });

  it("completing a dimension change takes the column from the batch's earlier image, else the stored row", () => {
    const partial = normalizeChange(
      productDimension,
      { id: 12 },
      postgresEnvelope({ id: 12, default_code: UNCHANGED, name: 'Renamed', active: true }),
    ) as DimensionChange;
    expect(completeDimensionChange(partial, [], { id: 12, default_code: 'SKU-12', name: 'Bolt', active: true }).attributes).toEqual({
      id: 12,
      default_code: 'SKU-12',
      name: 'Renamed',
      active: true,
    });
    const earlier = {
      ...partial,
      attributes: { id: 12, default_code: 'SKU-12-NEW', name: 'Bolt', active: true },
      unchanged: undefined,
      position: { value: partial.position.value - 1n, text: 'earlier' },
    };
    const completed = completeDimensionChange(partial, [earlier], { id: 12, default_code: 'SKU-12', name: 'Bolt', active: true });
    expect(completed.attributes!.default_code).toBe('SKU-12-NEW');
    expect(completed.unchanged).toBeUndefined();
    // No earlier image at all: the column stays unknown (a lookup of it finds no code), never the placeholder.
    const alone = completeDimensionChange(partial, [], undefined);
    expect(alone.attributes).toEqual({ id: 12, name: 'Renamed', active: true });
    expect(alone.unchanged).toEqual(['default_code']);
  });

  it('a SKU or location column not in the event keeps the stored id', () => {
    const change = normalizeChange(
      quant,
      { id: 5 },
      postgresEnvelope({ id: 5, product_id: UNCHANGED, location_id: 10, quantity: '3', reserved_quantity: '0' }),
    ) as LevelChange;
    expect(change).toMatchObject({ productRef: null, locationRef: '10', onHand: '3', keepStored: ['productRef'], excluded: null });
    const completed = completeLevelChange(change, [], { product_ref: '12', location_ref: '9', excluded: null });
    expect(completed).toMatchObject({ productRef: '12', locationRef: '10', excluded: null });
    expect(completed.keepStored).toBeUndefined();
    // Without any earlier image the row resolves to unmapped, naming the column (dead-lettered), never to a SKU.
    const alone = completeLevelChange(change, [], undefined);
    expect(alone.productRef).toBeNull();
    expect(resolveLevelRow(warehouse, warehouse.tables.stock_quant!, alone.productRef, alone.locationRef, () => undefined)).toMatchObject({
      status: 'unmapped',
      field: 'product_id',
    });
  });

  it('a row filter on a column not in the event keeps the stored decision instead of evaluating the placeholder', () => {
    const role: TopicRole = {
      ...(quant as Extract<TopicRole, { role: 'stock' }>),
      spec: { ...(quant as Extract<TopicRole, { role: 'stock' }>).spec, where: { note: 'count me' } },
    };
    const change = normalizeChange(
      role,
      { id: 5 },
      postgresEnvelope({ id: 5, product_id: 12, location_id: 10, quantity: '3', reserved_quantity: '0', note: UNCHANGED }),
    ) as LevelChange;
    expect(change.keepStored).toEqual(['excluded']);
    expect(completeLevelChange(change, [], { product_ref: '12', location_ref: '10', excluded: null }).excluded).toBeNull();
    expect(completeLevelChange(change, [], { product_ref: '12', location_ref: '10', excluded: 'note is "skip", not "count me"' }).excluded).toBe(
      'note is "skip", not "count me"',
    );
    // No stored decision: the row cannot count, and says why.
    expect(completeLevelChange(change, [], undefined).excluded).toMatch(/^filter column note not in the event \(unchanged TOAST value\)/);
    // A filter column the event carries still decides on its own.
    const failing = normalizeChange(
      role,
      { id: 5 },
      postgresEnvelope({ id: 5, product_id: 12, location_id: 10, quantity: '3', reserved_quantity: '0', note: 'skip' }),
    ) as LevelChange;
    expect(failing.excluded).toBe('note is "skip", not "count me"');
    expect(failing.keepStored).toBeUndefined();
  });

  it('a cancelled column not in the event is quarantined (whether the movement counts is unknown)', () => {
    const role = ledgerWith({ cancelled: { column: 'is_cancelled', value: true } });
    expect(() => level(role, entry({ is_cancelled: UNCHANGED }))).toThrow(expect.objectContaining({ reason: 'unchanged-quantity', field: 'is_cancelled' }));
  });
});
