/**
 * Latency histograms (HdrHistogram, 3 significant digits, whole milliseconds): a sample costs the
 * same whatever the count, and percentiles of long runs need no sorted copy.
 */
import * as hdr from 'hdr-histogram-js';

/** Percentiles of a histogram, ms; null when it holds no sample. */
export interface LatencySummary {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** A latency histogram in ms. */
export class LatencyHistogram {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000, numberOfSignificantValueDigits: 3, autoResize: true });

  /** Records one latency, ms; negative values (clock granularity between processes) count as 0. */
  record(ms: number): void {
    this.histogram.recordValue(Math.max(0, Math.round(ms)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** p50, p95, p99 (each the highest value equivalent to it at 3 digits) and the exact maximum. */
  summary(): LatencySummary {
    const n = this.histogram.totalCount;
    if (n === 0) return { n, p50: null, p95: null, p99: null, max: null };
    const max = this.histogram.maxValue;
    const at = (p: number): number => Math.min(max, this.histogram.getValueAtPercentile(p));
    return { n, p50: at(50), p95: at(95), p99: at(99), max };
  }
}
