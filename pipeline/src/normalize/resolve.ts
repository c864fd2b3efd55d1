/**
 * Resolves a level row's source ids to a canonical (sku, location) through the mapping's code
 * rules: dimension lookups (joined against dimension rows read from CDC), `where` filters and
 * constant maps. Pure: the caller supplies the dimension rows.
 */
import type { CodeRule, SourceMapping, StockTable } from './mapping.ts';
import { isAuthoritative } from './mapping.ts';
import { sameValue } from './normalize.ts';

/** Dimension attributes by column; null = the dimension row was deleted; undefined = never seen. */
export type DimensionLookup = (dimension: string, key: string) => Record<string, unknown> | null | undefined;

/**
 * - `mapped`: counts toward canonical stock at (sku, location).
 * - `parked`: a dimension row it needs has not arrived (or was deleted); re-resolved when it does.
 * - `filtered`: excluded by a `where` rule (e.g. a non-internal warehouse location) — by design.
 * - `unmapped`: the ids resolve to no code (empty code, value missing from a constant map).
 * - `not-authoritative`: the location belongs to another source; ignored and counted.
 */
export type Resolution =
  | { status: 'mapped'; sku: string; location: string }
  | {
      status: 'parked' | 'filtered' | 'unmapped' | 'not-authoritative';
      reason: string;
      /** The stock-row column whose code could not be derived (the SKU or location column), or null. */
      field: string | null;
    };

type CodeResult = { ok: true; code: string } | { ok: false; status: 'parked' | 'filtered' | 'unmapped'; reason: string };

function resolveCode(what: string, rule: CodeRule, ref: string, lookup: DimensionLookup): CodeResult {
  let value: unknown = ref;
  if (rule.lookup) {
    const attributes = lookup(rule.lookup.dimension, ref);
    if (attributes === undefined) {
      return { ok: false, status: 'parked', reason: `${rule.lookup.dimension} row ${ref} not seen yet` };
    }
    if (attributes === null) return { ok: false, status: 'parked', reason: `${rule.lookup.dimension} row ${ref} was deleted` };
    for (const [column, expected] of Object.entries(rule.lookup.where ?? {})) {
      if (!sameValue(attributes[column], expected)) {
        return {
          ok: false,
          status: 'filtered',
          reason: `${rule.lookup.dimension} row ${ref}: ${column} is ${JSON.stringify(attributes[column])}, not ${JSON.stringify(expected)}`,
        };
      }
    }
    value = attributes[rule.lookup.field];
  }
  if (value === null || value === undefined || value === '') {
    return {
      ok: false,
      status: rule.if_empty === 'filter' ? 'filtered' : 'unmapped',
      reason: `${what} ${ref}: no code in ${rule.lookup ? `${rule.lookup.dimension}.${rule.lookup.field}` : rule.column}`,
    };
  }
  let code = String(value);
  if (rule.map) {
    const mapped = rule.map[code];
    if (mapped === undefined) return { ok: false, status: 'unmapped', reason: `${what} ${code} is not in the mapping's constant map` };
    code = mapped;
  }
  return { ok: true, code };
}

/**
 * Resolves one stock row (level, movement or safety stock).
 * @param productRef - the SKU column's source id; null when no image of the row carried it (an
 *   unchanged TOAST value in the only image: `LevelChange.keepStored`), which resolves to `unmapped`.
 */
export function resolveLevelRow(
  mapping: SourceMapping,
  level: Pick<StockTable, 'sku' | 'location'>,
  productRef: string | null,
  locationRef: string | null,
  lookup: DimensionLookup,
): Resolution {
  if (productRef === null || locationRef === null) {
    const column = (productRef === null ? level.sku : level.location).column;
    return {
      status: 'unmapped',
      reason: `column ${column} was not in the event (unchanged TOAST value) and no earlier image of the row is stored; set REPLICA IDENTITY FULL on the table`,
      field: column,
    };
  }
  const sku = resolveCode('product', level.sku, productRef, lookup);
  if (!sku.ok) return { status: sku.status, reason: sku.reason, field: level.sku.column };
  const location = resolveCode('location', level.location, locationRef, lookup);
  if (!location.ok) return { status: location.status, reason: location.reason, field: level.location.column };
  if (!isAuthoritative(mapping, location.code)) {
    return {
      status: 'not-authoritative',
      reason: `location ${location.code} is not one of ${mapping.source}'s locations (${mapping.locations.join(', ')})`,
      field: level.location.column,
    };
  }
  return { status: 'mapped', sku: sku.code, location: location.code };
}
