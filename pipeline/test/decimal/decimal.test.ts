import { describe, expect, it } from 'vitest';
import { formatAtScale, normalizeDecimal, parseDecimal, roundDouble } from '../../src/decimal/index.ts';

describe('decimal strings', () => {
  it('normalizes', () => {
    expect(normalizeDecimal('012.50')).toBe('12.5');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(normalizeDecimal('1e-7')).toBe('0.0000001');
    expect(normalizeDecimal('-1.5E3')).toBe('-1500');
    expect(normalizeDecimal('123456789012345678.123456789')).toBe('123456789012345678.123456789');
  });

  it('rejects what is not a decimal', () => {
    expect(() => parseDecimal('12,5')).toThrow(/not a decimal/);
    expect(() => parseDecimal('NaN')).toThrow(/not a decimal/);
  });

  it('rounds doubles by the documented rule: shortest round-trip decimal, half away from zero', () => {
    expect(roundDouble(2.9999999, 6)).toBe('3');
    expect(roundDouble(0.1 + 0.2, 6)).toBe('0.3');
    expect(roundDouble(-0.0000005, 6)).toBe('-0.000001');
    expect(roundDouble(1.0000004, 6)).toBe('1');
    expect(roundDouble(7.5, 6)).toBe('7.5');
    expect(() => roundDouble(Number.NaN, 6)).toThrow(/finite/);
  });

  it('formats with exactly `scale` fraction digits, keeping the sign', () => {
    expect(formatAtScale(-12340n, 3)).toBe('-12.340');
    expect(formatAtScale(12345n, 3)).toBe('12.345');
    expect(formatAtScale(-5n, 1)).toBe('-0.5');
    expect(formatAtScale(5n, 3)).toBe('0.005');
    expect(formatAtScale(-5n, 3)).toBe('-0.005');
    expect(formatAtScale(0n, 2)).toBe('0.00');
    expect(formatAtScale(0n, 0)).toBe('0');
    expect(formatAtScale(42n, 0)).toBe('42');
    expect(formatAtScale(12n, -2)).toBe('1200');
    expect(formatAtScale(123456789012345678123456789n, 9)).toBe('123456789012345678.123456789');
  });
});
