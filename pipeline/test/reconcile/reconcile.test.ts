/** Unit tests of reconciliation's pure parts: comparison, repair conditions, positions, intervals. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadMapping, mappingsDir, positionValue, sourcePosition } from '../../src/normalize/index.ts';
import { compareStock, type StockDifference } from '../../src/reconcile/compare.ts';
import type { ExpectedKey } from '../../src/reconcile/expected.ts';
import { keyOf } from '../../src/reconcile/expected.ts';
import { rowCondition, rowsToSnapshot } from '../../src/reconcile/repair.ts';
import { parseInterval } from '../../src/reconcile/schedule.ts';
import type { CanonicalKey } from '../../src/reconcile/compare.ts';

const expectedKey = (sku: string, location: string, onHand: string, reserved = '0', safetyStock: string | null = null): [string, ExpectedKey] => [
  keyOf(sku, location),
  { sku, location, onHand, reserved, safetyStock, rows: [] },
];
const canonicalKey = (sku: string, location: string, onHand: string, reserved = '0', safetyStock: string | null = null): [string, CanonicalKey] => [
  keyOf(sku, location),
  { sku, location, onHand, reserved, safetyStock, sourcePosition: 'lsn:0/1', version: 1 },
];
const kinds = (d: StockDifference[]) => d.map((x) => `${x.sku}@${x.location}:${x.kind}`);

describe('compareStock', () => {
  it('reports each kind of difference, first differing field first, sorted by key', () => {
    const expected = new Map([
      expectedKey('A', 'S1', '5'),
      expectedKey('B', 'S1', '5', '1'),
      expectedKey('C', 'S1', '5', '0', '2'),
      expectedKey('D', 'S1', '3'),
      expectedKey('F', 'S1', '0'),
    ]);
    const canonical = new Map([
      canonicalKey('A', 'S1', '5'),
      canonicalKey('B', 'S1', '5', '2'),
      canonicalKey('C', 'S1', '5', '0', null),
      canonicalKey('E', 'S1', '4'),
      canonicalKey('G', 'S1', '0'),
    ]);
    expect(kinds(compareStock('pos', expected, canonical))).toEqual(['B@S1:reserved', 'C@S1:safety_stock', 'D@S1:missing', 'E@S1:unexpected']);
  });

  it('takes a key missing on one side as zero with no safety stock', () => {
    const d = compareStock('pos', new Map([expectedKey('A', 'S1', '0')]), new Map([canonicalKey('B', 'S1', '0')]));
    expect(d).toEqual([]);
  });

  it('compares only the keys asked for', () => {
    const expected = new Map([expectedKey('A', 'S1', '1'), expectedKey('B', 'S1', '1')]);
    expect(kinds(compareStock('pos', expected, new Map(), new Set([keyOf('B', 'S1')])))).toEqual(['B@S1:missing']);
  });
});

describe('repair conditions', () => {
  const db = {
    literal: (v: string | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`),
    identifier: (n: string) => `\`${n}\``,
  };

  it('matches exactly the rows by their key columns, NULL with IS NULL, values as escaped literals', () => {
    expect(rowCondition(db, ['location', 'product', 'attributesetinstance_id'], ['["0","p\'1",null]', '["1","p2","x"]'])).toBe(
      "(`location` = '0' AND `product` = 'p''1' AND `attributesetinstance_id` IS NULL) OR (`location` = '1' AND `product` = 'p2' AND `attributesetinstance_id` = 'x')",
    );
    expect(rowCondition(db, ['id'], ['[320]'])).toBe('(`id` = 320)');
  });

  it('snapshots the stock rows on both sides and the dimension rows they look up', () => {
    const mapping = loadMapping(path.join(mappingsDir, 'pos.yaml'));
    const difference: StockDifference = {
      source: 'pos',
      sku: 'SKU-1',
      location: 'STORE-01',
      kind: 'on_hand',
      expected: { onHand: '1', reserved: '0', safetyStock: null },
      actual: { onHand: '2', reserved: '0', safetyStock: null },
      sourceRows: [{ table: 'stockcurrent', rowKey: '["0","p1",null]', role: 'level', quantity: '1', reserved: '0', productRef: 'p1', locationRef: '0' }],
      canonicalRows: [
        { table: 'stockcurrent', rowKey: '["1","p1",null]', role: 'level', quantity: '2', reserved: '0', position: 'x', productRef: 'p1', locationRef: '1' },
      ],
    };
    const rows = rowsToSnapshot(mapping, [difference]);
    expect(Object.fromEntries([...rows].map(([t, keys]) => [t, [...keys].sort()]))).toEqual({
      stockcurrent: ['["0","p1",null]', '["1","p1",null]'],
      products: ['["p1"]'],
      locations: ['["0"]', '["1"]'],
    });
  });
});

describe('source positions', () => {
  it('read back from their text as the same value', () => {
    const binlog = sourcePosition({ connector: 'mariadb', name: 'pos', db: 'pos', ts_ms: 0, snapshot: 'false', file: 'binlog.000003', pos: 1234, row: 2 });
    expect(positionValue(binlog.text)).toBe(binlog.value);
    const lsn = sourcePosition({ connector: 'postgresql', name: 'wms', db: 'wms', ts_ms: 0, snapshot: 'false', lsn: 27547672n });
    expect(lsn.text).toBe('lsn:0/1A45818');
    expect(positionValue(lsn.text)).toBe(27547672n);
  });

  it('of a PostgreSQL incremental snapshot event (lsn null) come from source.sequence', () => {
    const p = sourcePosition({ connector: 'postgresql', name: 'wms', db: 'wms', ts_ms: 0, snapshot: 'incremental', sequence: '["27578184","27578190"]' });
    expect(p.value).toBe(27578190n);
  });
});

describe('parseInterval', () => {
  it('reads s, m, h and d, and refuses anything else or less than 10 s', () => {
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('15m')).toBe(900_000);
    expect(parseInterval('90s')).toBe(90_000);
    expect(parseInterval('1d')).toBe(86_400_000);
    expect(() => parseInterval('5s')).toThrow(/shorter than 10 s/);
    expect(() => parseInterval('1 hour')).toThrow(/not an interval/);
  });
});
