/**
 * Available to sell, by a channel's rules, from the canonical rows of one SKU. Exact decimal
 * arithmetic on scaled bigints (decimal/decimal.ts; quantities may be fractional, e.g. POS DOUBLE
 * units at scale 6):
 *
 *   per location l of the channel:  a(l) = max(0, on_hand − reserved − safety_stock(l))
 *   total = Σ a(l);  buffered = total − units  |  total × (100 − percent) / 100
 *   available to sell = max(0, floor(min(buffered, cap)))
 *
 * safety_stock(l) is the canonical row's safety_stock when the channel takes it from the source and
 * the source states one, else the channel's per-location value, else its default.
 */
import { addDecimal, floorDecimal, minDecimal, multiplyDecimal, parseDecimal, subtractDecimal, type ScaledDecimal } from '../decimal/index.ts';
import { matchesLocation, type ChannelRule } from './config.ts';

/** A canonical stock_level row as the channel stage reads it (quantities as decimal strings). */
export interface CanonicalRow {
  sku: string;
  location: string;
  onHand: string;
  reserved: string;
  safetyStock: string | null;
  version: number;
}

/** A channel's view of one SKU. */
export interface ChannelAvailability {
  sku: string;
  /** Whole units the channel may sell, >= 0. */
  quantity: number;
  /** Sum of the canonical versions of the SKU's rows at the channel's locations (only grows). */
  version: number;
  /** The canonical version of each of those rows, by location. */
  canonicalVersions: Record<string, number>;
}

const ZERO: ScaledDecimal = { unscaled: 0n, scale: 0 };
const maxZero = (a: ScaledDecimal): ScaledDecimal => (a.unscaled < 0n ? ZERO : a);

/** The safety stock the channel applies to one canonical row. */
export function safetyStockOf(rule: ChannelRule, row: Pick<CanonicalRow, 'location' | 'safetyStock'>): string {
  if (rule.safetyStock.fromSource && row.safetyStock !== null) return row.safetyStock;
  return rule.safetyStock.byLocation[row.location] ?? rule.safetyStock.default;
}

/**
 * Available to sell of one SKU on a channel from the SKU's canonical rows (rows at locations the
 * channel does not sell from are ignored). Null when the SKU has no row at any of its locations.
 */
export function availableToSell(rule: ChannelRule, sku: string, rows: readonly CanonicalRow[]): ChannelAvailability | null {
  let total = ZERO;
  let version = 0;
  const canonicalVersions: Record<string, number> = {};
  let any = false;
  for (const row of rows) {
    if (row.sku !== sku || !matchesLocation(rule.locations, row.location)) continue;
    any = true;
    const free = subtractDecimal(subtractDecimal(parseDecimal(row.onHand), parseDecimal(row.reserved)), parseDecimal(safetyStockOf(rule, row)));
    total = addDecimal(total, maxZero(free));
    version += row.version;
    canonicalVersions[row.location] = row.version;
  }
  if (!any) return null;
  let exposed = total;
  if (rule.buffer && 'units' in rule.buffer) {
    exposed = subtractDecimal(exposed, parseDecimal(rule.buffer.units));
  } else if (rule.buffer && 'percent' in rule.buffer) {
    const keep = subtractDecimal({ unscaled: 100n, scale: 0 }, parseDecimal(rule.buffer.percent));
    const kept = multiplyDecimal(exposed, keep);
    exposed = { unscaled: kept.unscaled, scale: kept.scale + 2 }; // ÷ 100
  }
  if (rule.cap !== null) exposed = minDecimal(exposed, parseDecimal(rule.cap));
  const units = floorDecimal(exposed);
  return { sku, quantity: units < 0n ? 0 : Number(units), version, canonicalVersions };
}
