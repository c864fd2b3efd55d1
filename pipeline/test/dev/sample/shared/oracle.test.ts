import { describe, expect, it } from 'vitest';
import { compareStockKeys, diffStock } from '../../../../dev/sample/shared/oracle.ts';

const row = (sku: string, location: string, onHand: string, reserved = '0') => ({ sku, location, onHand, reserved });

describe('compareStockKeys', () => {
  it('orders the rows of several sources by sku, then location, by code unit', () => {
    const rows = [
      row('SKU-B', 'WH2/Stock', '5'),
      row('SKU-A', 'WH1/Stock', '1'),
      row('SKU-D', 'WH1/Stock', '0.001'),
      row('SKU-B', 'STORE-02', '0.3'),
      row('SKU-A', 'STORE-02', '-2'),
      row('SKU-A', 'Stores - ABC', '4'),
      row('SKU-B', 'STORE-01', '0'),
      row('SKU-A', 'STORE-01', '3.8'),
    ];
    expect(rows.sort(compareStockKeys).map((r) => `${r.sku}@${r.location}`)).toEqual([
      'SKU-A@STORE-01',
      'SKU-A@STORE-02',
      'SKU-A@Stores - ABC',
      'SKU-A@WH1/Stock',
      'SKU-B@STORE-01',
      'SKU-B@STORE-02',
      'SKU-B@WH2/Stock',
      'SKU-D@WH1/Stock',
    ]);
  });
});

describe('diffStock', () => {
  it('treats missing rows as zero and compares decimals by value', () => {
    expect(diffStock([row('A', 'S1', '1.50'), row('B', 'S1', '0')], [row('A', 'S1', '1.5'), row('C', 'S1', '0.000')])).toEqual([]);
  });

  it('lists every mismatch with both sides', () => {
    expect(diffStock([row('A', 'S1', '2'), row('B', 'S1', '1', '1')], [row('A', 'S1', '3'), row('C', 'S1', '1')])).toEqual([
      { sku: 'A', location: 'S1', expected: { onHand: '2', reserved: '0' }, actual: { onHand: '3', reserved: '0' } },
      { sku: 'B', location: 'S1', expected: { onHand: '1', reserved: '1' }, actual: null },
      { sku: 'C', location: 'S1', expected: null, actual: { onHand: '1', reserved: '0' } },
    ]);
    expect(() => diffStock([row('A', 'S1', '1'), row('A', 'S1', '2')], [])).toThrow(/duplicate expected row/);
  });
});
