import { describe, expect, it } from 'vitest';
import { countInWindow, findDuplicates, type PublishedVersion } from '../../../dev/chaos/duplicates.ts';

const v = (version: number, sourcePosition: string, updatedAtMs: number, sku = 'A', location = 'L1'): PublishedVersion => ({
  sku,
  location,
  version,
  source: 'pos',
  sourcePosition,
  updatedAtMs,
});

describe('findDuplicates', () => {
  it('finds nothing in versions each produced by its own source change', () => {
    expect(findDuplicates([v(1, 'b.1:10#0', 100), v(2, 'b.1:20#0', 200), v(1, 'b.1:10#0', 100, 'B')])).toEqual({ appliedTwice: [], republished: [] });
  });

  it('counts a later version produced by the same source change as applied twice, whatever the record order', () => {
    const dup = v(3, 'b.1:10#0', 300);
    const found = findDuplicates([v(2, 'b.1:20#0', 200), dup, v(1, 'b.1:10#0', 100)]);
    expect(found.appliedTwice).toEqual([dup]);
    expect(found.republished).toEqual([]);
  });

  it('counts a version published twice apart, once per extra copy', () => {
    const found = findDuplicates([v(1, 'b.1:10#0', 100), v(1, 'b.1:10#0', 100), v(1, 'b.1:10#0', 100)]);
    expect(found.republished).toHaveLength(2);
    expect(found.appliedTwice).toEqual([]);
  });

  it('keeps rows apart: the same position on two rows is no duplicate', () => {
    expect(findDuplicates([v(1, 'b.1:10#0', 100, 'A'), v(1, 'b.1:10#0', 100, 'B')]).appliedTwice).toEqual([]);
  });

  it('counts in a half-open window of updated_at', () => {
    const versions = [v(1, 'x', 100), v(2, 'y', 200), v(3, 'z', 300)];
    expect(countInWindow(versions, 100, 300)).toBe(2);
    expect(countInWindow(versions, 301, 400)).toBe(0);
  });
});
