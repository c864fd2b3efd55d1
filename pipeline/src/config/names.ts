/**
 * Redis key design shared by the publisher (which invalidates) and channel-app readers (which
 * cache): `stocksync:stock:{sku}:{location}` holds one canonical row, `stocksync:stock:{sku}` a
 * per-SKU summary. Both are deleted after every committed change to that (sku, location).
 */
export function redisKeys(sku: string, location: string): { level: string; sku: string } {
  return { level: `stocksync:stock:${sku}:${location}`, sku: `stocksync:stock:${sku}` };
}

/** Redis pub/sub channel carrying each canonical change as JSON (the stock.levels value fields). */
export const STOCK_CHANGES_CHANNEL = 'stocksync:stock-changes';
