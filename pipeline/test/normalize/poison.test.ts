/**
 * Issue 16, bad data in normalize: flags that arrive as integers in one path and booleans in
 * another, columns renamed by the Avro converter, and unchanged TOAST columns in the columns a
 * mapping reads. Pure unit tests on hand-built envelopes and the shipped mappings.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMapping, mappingsDir, type StockTable } from '../../src/normalize/mapping.ts';
import { normalizeChange, sameValue, topicRoles, type LevelChange, type TopicRole } from '../../src/normalize/normalize.ts';
import { resolveLevelRow } from '../../src/normalize/resolve.ts';
import type { DebeziumEnvelope, Row } from '../../src/decode/index.ts';

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
