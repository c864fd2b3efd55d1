/**
 * What the independent SQL oracles of the sources share: the row they compute (expected canonical
 * stock per SKU and location), their sort order, and the comparison with actual stock. Each source's
 * oracle lives in its folder (`pos/oracle.ts`, `warehouse/oracle.ts`, `erpnext/oracle.ts`); at
 * quiescence the canonical table must equal their rows together.
 */
import { normalizeDecimal } from './decimal.ts';

/** Expected stock for one (sku, location). Quantities are exact, normalised decimal strings. */
export interface OracleRow {
  /** SKU: POS `products.reference`, Odoo `product_product.default_code` or ERPNext `item_code`. */
  sku: string;
  /** Canonical location code, e.g. `STORE-01`, `WH1/Stock` or `Stores - ABC`. */
  location: string;
  /** Units on hand, e.g. `"12.5"`, `"0"`, `"-3"`. */
  onHand: string;
  /** Units reserved (always `"0"` for the POS, which has no reservations). */
  reserved: string;
}

/** Sorts by sku, then location, by code unit (no locale), so results compare element-wise. */
export function compareStockKeys(a: { sku: string; location: string }, b: { sku: string; location: string }): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  if (a.location !== b.location) return a.location < b.location ? -1 : 1;
  return 0;
}

/** One (sku, location) where the actual stock differs from the oracle. Missing rows show as null. */
export interface StockMismatch {
  sku: string;
  location: string;
  expected: { onHand: string; reserved: string } | null;
  actual: { onHand: string; reserved: string } | null;
}

/**
 * Compares expected (oracle) rows with actual (e.g. canonical table) rows. Quantities compare as
 * normalised decimals; a row missing on one side counts as on hand 0 and reserved 0, so a deleted
 * quant and a canonical row at zero agree.
 *
 * @returns the mismatches sorted by (sku, location); empty means equal.
 * @throws Error on duplicate (sku, location) rows in either input.
 */
export function diffStock(expected: readonly OracleRow[], actual: readonly OracleRow[]): StockMismatch[] {
  const index = (rows: readonly OracleRow[], side: string): Map<string, OracleRow> => {
    const m = new Map<string, OracleRow>();
    for (const row of rows) {
      const key = JSON.stringify([row.sku, row.location]);
      if (m.has(key)) throw new Error(`diffStock: duplicate ${side} row for ${row.sku} @ ${row.location}`);
      m.set(key, row);
    }
    return m;
  };
  const e = index(expected, 'expected');
  const a = index(actual, 'actual');
  const qty = (row: OracleRow | undefined): { onHand: string; reserved: string } =>
    row ? { onHand: normalizeDecimal(row.onHand), reserved: normalizeDecimal(row.reserved) } : { onHand: '0', reserved: '0' };
  const out: StockMismatch[] = [];
  for (const key of new Set([...e.keys(), ...a.keys()])) {
    const [sku, location] = JSON.parse(key) as [string, string];
    const x = qty(e.get(key));
    const y = qty(a.get(key));
    if (x.onHand !== y.onHand || x.reserved !== y.reserved) {
      out.push({ sku, location, expected: e.has(key) ? x : null, actual: a.has(key) ? y : null });
    }
  }
  return out.sort(compareStockKeys);
}
