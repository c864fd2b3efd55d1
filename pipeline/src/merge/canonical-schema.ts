/**
 * The canonical Avro schemas (`schemas/avro/`), loaded once. Every canonical change is validated
 * against the value schema before it is written, and encoded with both when produced to
 * `stock.levels` (Avro spec 1.11, "Schema Declaration").
 */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { projectRoot } from '../config/project-root.ts';
import { formatNormalized, normalizeDecimal, parseDecimal, subtractDecimal } from '../decimal/index.ts';
import { bigintLongType } from '../registry/registry.ts';

const schemaDir = path.join(projectRoot, 'schemas', 'avro');

/** The raw schema JSON of `schemas/avro/<name>.avsc`. */
export function canonicalSchemaJson(name: 'stock_level' | 'stock_level_key'): object {
  return JSON.parse(fs.readFileSync(path.join(schemaDir, `${name}.avsc`), 'utf8')) as object;
}

export const stockLevelKeyType = avro.Type.forSchema(canonicalSchemaJson('stock_level_key') as avro.Schema);
export const stockLevelType = avro.Type.forSchema(canonicalSchemaJson('stock_level') as avro.Schema, {
  registry: { long: bigintLongType },
});

/** A canonical stock change, as the `StockLevel` Avro record (field names from stock_level.avsc). */
export interface StockLevelEvent {
  sku: string;
  location: string;
  on_hand: string;
  reserved: string;
  available: string;
  /** Null when the source states no safety stock for this (sku, location). */
  safety_stock: string | null;
  source: string;
  source_position: string;
  source_ts_ms: number | null;
  version: number;
  updated_at: number;
}

/** Thrown when a canonical change does not fit the Avro schema (a pipeline bug, never bad input). */
export class CanonicalSchemaError extends Error {}

/**
 * The canonical change of a (sku, location) from its stored quantities (decimal text as PostgreSQL
 * gives `numeric::text`): quantities normalized (`1.50` → `1.5`), available = on hand − reserved,
 * validated against stock_level.avsc.
 * @throws CanonicalSchemaError when the result does not fit the schema.
 */
export function stockLevelEvent(
  row: { sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null },
  meta: Pick<StockLevelEvent, 'source' | 'source_position' | 'source_ts_ms' | 'version' | 'updated_at'>,
): StockLevelEvent {
  const onHand = normalizeDecimal(row.on_hand);
  const reserved = normalizeDecimal(row.reserved);
  const event: StockLevelEvent = {
    sku: row.sku,
    location: row.location,
    on_hand: onHand,
    reserved,
    available: formatNormalized(subtractDecimal(parseDecimal(onHand), parseDecimal(reserved))),
    safety_stock: row.safety_stock === null ? null : normalizeDecimal(row.safety_stock),
    ...meta,
  };
  validateStockLevel(event);
  return event;
}

/** Validates against stock_level.avsc. @throws CanonicalSchemaError naming the offending fields. */
export function validateStockLevel(event: StockLevelEvent): void {
  const problems: string[] = [];
  stockLevelType.isValid(event, { errorHook: (fieldPath, value) => problems.push(`${fieldPath.join('.')}=${JSON.stringify(value)}`) });
  if (problems.length > 0) throw new CanonicalSchemaError(`canonical change does not match stock_level.avsc: ${problems.join(', ')}`);
}
