import { describe, expect, it } from 'vitest';
import { partOf } from '../../../../dev/sample/shared/part.ts';

describe('partOf', () => {
  it('deals the ranked products out round-robin, so the parts are disjoint and cover them all', () => {
    const ranked = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const parts = [0, 1, 2].map((index) => partOf(ranked, { index, count: 3 }));
    expect(parts[0]).toEqual(['p0', 'p3', 'p6', 'p9']);
    expect(parts[1]).toEqual(['p1', 'p4', 'p7']);
    expect(parts.flat().sort()).toEqual([...ranked].sort());
  });

  it('keeps every product without a part and refuses an impossible part', () => {
    expect(partOf(['a', 'b'])).toEqual(['a', 'b']);
    expect(() => partOf(['a', 'b'], { index: 2, count: 2 })).toThrow(/0 <= index < count/);
    expect(() => partOf(['a'], { index: 1, count: 2 })).toThrow(/holds none/);
  });
});
