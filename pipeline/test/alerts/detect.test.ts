/** Unit tests of the alert rules: median/MAD anomalies, the weighted velocity, cover, thresholds. */
import { describe, expect, it } from 'vitest';
import { anomalyOf, daysOfCover, lowStockThreshold, median, parseDemandSignal, velocityAfter } from '../../src/alerts/index.ts';

const settings = { window: 30, minSamples: 10, thresholdMads: 6, minUnits: 5 };
const sales = [-1, -2, -1, -2, -1, -2, -1, -2, -1, -2, -1, -2];

describe('anomalyOf', () => {
  it('flags a −500 adjustment among sales of −1 and −2, with the statistics in the reason', () => {
    const a = anomalyOf(-500, sales, settings)!;
    expect(a.median).toBe(-1.5);
    expect(a.mad).toBe(0.5);
    expect(a.limit).toBe(5);
    expect(a.reason).toContain('change of -500 units is 498.5 from the median -1.5 of the last 12 decreases (MAD 0.5)');
  });

  it('does not flag ordinary changes, and needs min_samples of history', () => {
    expect(anomalyOf(-3, sales, settings)).toBeNull();
    expect(anomalyOf(3, sales, settings)).toBeNull();
    expect(anomalyOf(-500, sales.slice(0, 9), settings)).toBeNull();
  });

  it('judges decreases against decreases and increases against increases', () => {
    const mixed = [2000, ...sales, 40, 45, 50, 38, 42, 47, 44, 41, 39, 48];
    expect(anomalyOf(6, sales, settings)).toBeNull(); // a restock among sales: no increase history
    expect(anomalyOf(-2, mixed, settings)).toBeNull();
    expect(anomalyOf(-500, mixed, settings)!.median).toBe(-1.5);
    expect(anomalyOf(44, mixed, settings)).toBeNull();
    expect(anomalyOf(1000, mixed, settings)!.reason).toContain('of the last 11 increases');
    expect(median([2000, ...sales])).toBe(-1);
  });
});

describe('velocity and cover', () => {
  it('converges to a steady rate of sales per day', () => {
    let v = 0;
    for (let day = 0; day < 60; day++) v = velocityAfter(v, 86_400_000, 10, 72);
    // Right after each daily sale of 10: 10/τ / (1 − e^(−1/τ)) with τ = 3/ln 2 days, about 11.2;
    // a day later, decayed, about 8.9: the true 10 units/day lies between.
    expect(v).toBeCloseTo(10 / (3 / Math.LN2) / (1 - Math.exp(-Math.LN2 / 3)), 3);
    const dayLater = velocityAfter(v, 86_400_000, 0, 72);
    expect(dayLater).toBeLessThan(10);
    expect(v).toBeGreaterThan(10);
  });

  it('halves without sales over one half-life', () => {
    expect(velocityAfter(10, 72 * 3_600_000, 0, 72)).toBeCloseTo(5, 10);
  });

  it('gives days of cover', () => {
    expect(daysOfCover(30, 10)).toBe(3);
    expect(daysOfCover(0, 10)).toBe(0);
    expect(daysOfCover(5, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('lowStockThreshold', () => {
  const rule = {
    lowStock: {
      skus: { 'SKU-1': '2' },
      patterns: [
        ['SKU-1*', '4'],
        ['SKU-*', '6'],
      ] as Array<[string, string]>,
      default: '1',
    },
  };
  it('takes the SKU, else the first matching pattern, else the default', () => {
    expect(lowStockThreshold(rule, 'SKU-1')).toBe('2');
    expect(lowStockThreshold(rule, 'SKU-12')).toBe('4');
    expect(lowStockThreshold(rule, 'SKU-2')).toBe('6');
    expect(lowStockThreshold(rule, 'OTHER')).toBe('1');
    expect(lowStockThreshold({ lowStock: { skus: {}, patterns: [], default: null } }, 'X')).toBeNull();
  });
});

describe('parseDemandSignal', () => {
  it('reads a signal and refuses what is not one', () => {
    expect(parseDemandSignal(Buffer.from('{"sku":"SKU-1","channel":"webshop","kind":"out_of_stock_view","at_ms":5}'))).toEqual({
      sku: 'SKU-1',
      channel: 'webshop',
      kind: 'out_of_stock_view',
      at_ms: 5,
    });
    expect(() => parseDemandSignal(Buffer.from('{"sku": 42}'))).toThrow(/sku must be a non-empty string/);
    expect(() => parseDemandSignal(Buffer.from('{"sku":"A","channel":"w","kind":"like"}'))).toThrow(/kind must be one of/);
    expect(() => parseDemandSignal(Buffer.from('nope'))).toThrow(/not JSON/);
    expect(() => parseDemandSignal(null)).toThrow(/empty/);
  });
});
