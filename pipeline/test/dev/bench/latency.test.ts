import { describe, expect, it } from 'vitest';
import { lagGrowth } from '../../../dev/bench/latency.ts';

const series = (lags: number[]) => lags.map((lag, i) => ({ atMs: i * 1000, lag }));

describe('lagGrowth', () => {
  it('calls a backlog that keeps growing growth, and a flat or small one not', () => {
    expect(lagGrowth(series([0, 300, 600, 900, 1200]))).toEqual({ slope: 300, grows: true });
    expect(lagGrowth(series([150, 20, 180, 40, 160])).grows).toBe(false);
    expect(lagGrowth(series([0, 30, 60, 90, 120])).grows).toBe(false); // still under 200 records
    expect(lagGrowth(series([5, 9])).grows).toBe(false); // too few samples
  });

  it('ignores failed readings (-1)', () => {
    expect(lagGrowth(series([0, -1, 600, -1, 1200, 1800])).grows).toBe(true);
  });
});
