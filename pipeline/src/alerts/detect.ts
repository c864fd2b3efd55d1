/**
 * The alert rules as pure functions (docs/alerts.md): robust anomaly detection (median and MAD),
 * an exponentially weighted sales velocity, days of cover, and low stock thresholds.
 */
import { matchesLocation } from '../config/location-patterns.ts';
import type { AlertSettings, ChannelRule } from '../channels/index.ts';

/** The median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Scale of the normal distribution from a MAD: σ ≈ 1.4826 × MAD. */
export const MAD_TO_SIGMA = 1.4826;

/** An anomaly verdict: `reason` says why in words, with the statistics. */
export interface Anomaly {
  median: number;
  mad: number;
  /** The deviation limit: max(threshold_mads × 1.4826 × MAD, min_units). */
  limit: number;
  reason: string;
}

/**
 * Whether `change` (a change of on hand, units) is far outside the key's recent changes of the same
 * direction — decreases (sales, breakage) are judged against decreases, increases (receipts)
 * against increases, as they are different processes (a restock of 6 among sales of 1 and 2 is
 * ordinary): |change − median| > max(threshold_mads × 1.4826 × MAD, min_units), once there are at
 * least `min_samples` changes of that direction in `history`. Null when it is not (or there is too
 * little history).
 */
export function anomalyOf(change: number, history: readonly number[], settings: AlertSettings['anomaly']): Anomaly | null {
  const same = history.filter((x) => (change < 0 ? x < 0 : x > 0));
  if (change === 0 || same.length < settings.minSamples) return null;
  const m = median(same);
  const mad = median(same.map((x) => Math.abs(x - m)));
  const limit = Math.max(settings.thresholdMads * MAD_TO_SIGMA * mad, settings.minUnits);
  const deviation = Math.abs(change - m);
  if (deviation <= limit) return null;
  return {
    median: m,
    mad,
    limit,
    reason: `change of ${change} units is ${deviation} from the median ${m} of the last ${same.length} ${change < 0 ? 'decreases' : 'increases'} (MAD ${mad}); the limit is ${limit} (${settings.thresholdMads} × 1.4826 × MAD, at least ${settings.minUnits})`,
  };
}

/**
 * The sales velocity (units/day) after a decrease of `sold` units `elapsedMs` after the previous
 * update: an exponentially weighted rate with half-life `halfLifeHours` — the old rate decays by
 * 2^(−elapsed/half-life), and the sale adds sold/τ (τ = half-life/ln 2, in days), so a steady s
 * units/day converges to s.
 */
export function velocityAfter(rate: number, elapsedMs: number, sold: number, halfLifeHours: number): number {
  const tauDays = halfLifeHours / 24 / Math.LN2;
  const decayed = rate * 2 ** (-Math.max(0, elapsedMs) / 3_600_000 / halfLifeHours);
  return decayed + sold / tauDays;
}

/** Days of cover: available / velocity (Infinity without sales, 0 when nothing is available). */
export function daysOfCover(available: number, velocity: number): number {
  if (available <= 0) return 0;
  return velocity > 0 ? available / velocity : Number.POSITIVE_INFINITY;
}

/** A channel's low stock threshold for a SKU (units), or null: per SKU, else the first matching pattern, else the default. */
export function lowStockThreshold(rule: Pick<ChannelRule, 'lowStock'>, sku: string): string | null {
  const own = rule.lowStock.skus[sku];
  if (own !== undefined) return own;
  for (const [pattern, threshold] of rule.lowStock.patterns) if (matchesLocation([pattern], sku)) return threshold;
  return rule.lowStock.default;
}
