import { describe, expect, it } from 'vitest';
import { formatUnits, negateDecimal, normalizeDecimal } from '../../../../dev/sample/shared/decimal.ts';
import { buildCatalog, sampleLocations } from '../../../../dev/sample/shared/model.ts';
import { Rng, ZipfSampler, deriveSeed, mulberry32 } from '../../../../dev/sample/shared/prng.ts';

describe('prng', () => {
  it('repeats a sequence for a seed and separates named streams', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(deriveSeed(42, 'pos')).not.toBe(deriveSeed(42, 'warehouse'));
    expect(deriveSeed(42, 'pos')).toBe(deriveSeed(42, 'pos'));
    expect(new Rng(1).uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('draws Zipf ranks with the expected skew (exponent 1.1)', () => {
    const zipf = new ZipfSampler(1000, 1.1);
    const rng = new Rng(7);
    const hits = new Array<number>(1000).fill(0);
    for (let i = 0; i < 200_000; i++) hits[zipf.sample(rng)]!++;
    // P(rank 0) / P(rank 1) = 2^1.1 ≈ 2.14; P(rank 0) = 1 / H(1000, 1.1) ≈ 0.177.
    expect((hits[0] as number) / (hits[1] as number)).toBeGreaterThan(2.0);
    expect((hits[0] as number) / (hits[1] as number)).toBeLessThan(2.3);
    expect((hits[0] as number) / 200_000).toBeGreaterThan(0.16);
    expect((hits[0] as number) / 200_000).toBeLessThan(0.19);
  });
});

describe('decimal strings', () => {
  it('normalises, negates and formats POS doubles', () => {
    expect(normalizeDecimal('012.500')).toBe('12.5');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(normalizeDecimal('100')).toBe('100');
    expect(normalizeDecimal('-3.')).toBe('-3');
    expect(() => normalizeDecimal('1e5')).toThrow(/not a decimal/);
    expect(negateDecimal('2.125')).toBe('-2.125');
    expect(negateDecimal('-7')).toBe('7');
    expect(formatUnits(0.1 + 0.2)).toBe('0.3');
    expect(formatUnits(-0.0000001)).toBe('0');
  });
});

describe('sample model', () => {
  it('maps POS location ids and Odoo locations to canonical codes', () => {
    const locs = sampleLocations();
    expect(locs.posLocationCodes).toEqual({ '0': 'STORE-01', '1': 'STORE-02', '2': 'STORE-03' });
    expect(locs.stores.map((s) => s.name)).toEqual(['Store 01 Downtown', 'Store 02 Riverside', 'Store 03 Airport']);
    expect(locs.warehouseLocationCodes).toEqual({ 'WH1/Stock': 'WH1/Stock', 'WH2/Stock': 'WH2/Stock' });
    expect(locs.warehouses.map((w) => w.stockLocationId)).toEqual([10, 12]);
    const byName = new Map(locs.odooLocations.map((l) => [l.completeName, l]));
    expect(byName.get('Partners/Vendors')?.usage).toBe('supplier');
    expect(byName.get('Partners/Customers')?.usage).toBe('customer');
    expect(byName.get('Virtual Locations/Inventory adjustment')?.usage).toBe('inventory');
    expect(byName.get('WH2')?.usage).toBe('view');
    expect(locs.odooLocations.filter((l) => l.usage === 'internal').map((l) => l.completeName)).toEqual(['WH1/Stock', 'WH2/Stock']);
    expect(sampleLocations({ stores: 5 }).posLocationCodes['4']).toBe('STORE-05');
  });

  it('builds a deterministic catalogue with ~95 % of SKUs on both sides', () => {
    const c = buildCatalog({ seed: 42 });
    expect(buildCatalog({ seed: 42 })).toEqual(c);
    expect(buildCatalog({ seed: 43 }).products.map((p) => p.name)).not.toEqual(c.products.map((p) => p.name));

    const count = (pred: (p: (typeof c.products)[number]) => boolean): number => c.products.filter(pred).length;
    expect(count((p) => p.sku !== null)).toBe(2000);
    expect(count((p) => p.presence === 'both')).toBe(1900);
    expect(count((p) => p.presence === 'pos')).toBe(50);
    expect(count((p) => p.presence === 'warehouse' && p.sku !== null)).toBe(50);
    expect(count((p) => p.sku === null)).toBe(10);
    expect(c.posByRank).toHaveLength(1950);
    expect(c.warehouseByRank).toHaveLength(1960);
    expect(c.products[122]?.sku).toBe('SKU-000123');
    expect(c.posByRank[0]?.rank).toBeLessThan(c.posByRank[1]?.rank as number);
    expect(new Set(c.products.map((p) => p.barcode)).size).toBe(2010);
    expect(c.warehouseByRank.map((p) => p.warehouseId).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 1960 }, (_, i) => i + 1));
  });
});
