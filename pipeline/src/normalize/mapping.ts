/**
 * Source mapping files (`schemas/sources/*.yaml`): the data engineer's interface. A mapping says
 * which CDC topics belong to a source, which tables are dimensions and which hold stock levels, and
 * how SKU, location and quantities are derived. Files are validated against
 * `schemas/sources/mapping.schema.json` (JSON Schema draft-07) plus cross-reference checks, and every
 * error names file:line:column.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root.ts';
import { matchesLocation } from '../config/location-patterns.ts';
import {
  describeSchemaError,
  errorPath,
  FileProblemsError,
  parseYamlFile,
  schemaValidator,
  type FileProblem,
  type ParsedYaml,
} from '../config/yaml-file.ts';
import type { TruncatePolicy } from '../decode/index.ts';

/** Derivation of a SKU or location code from one column of a level row. */
export interface CodeRule {
  column: string;
  /** A code that comes out empty: quarantine the row (default) or filter it (deliberately not synced). */
  if_empty?: 'quarantine' | 'filter';
  lookup?: { dimension: string; field: string; where?: Record<string, string | number | boolean> };
  map?: Record<string, string>;
}

/** A quantity column and how its values become exact decimals. */
export interface QuantityRule {
  column: string;
  /** decimal: exact; double: rounded to `scale` decimals (default 6); integer. */
  type: 'decimal' | 'double' | 'integer';
  scale?: number;
  /** Unit conversion factor, exact (e.g. 12: the column counts cases of 12, the stock unit is each). */
  factor?: number | string;
  /** NULL: quarantine the record (default) or exclude the row from the sums (e.g. safety stock not set). */
  if_null?: 'quarantine' | 'exclude';
}

/** Only rows whose columns have these values count (others are kept as filtered). */
export type RowFilter = Record<string, string | number | boolean | null>;

/** A table whose rows hold absolute quantities per product and location. */
export interface LevelTable {
  /** What a TRUNCATE of the table does (default quarantine). */
  on_truncate?: TruncatePolicy;
  row_key: string[];
  sku: CodeRule;
  location: CodeRule;
  on_hand: QuantityRule;
  reserved?: QuantityRule;
  where?: RowFilter;
}

/** A table whose rows are signed movements (deltas), each counted once by its row identity. */
export interface MovementTable {
  /** What a TRUNCATE of the table does (default quarantine). */
  on_truncate?: TruncatePolicy;
  row_key: string[];
  sku: CodeRule;
  location: CodeRule;
  delta: QuantityRule;
  /** A cancelled movement counts zero. `value` defaults to any non-zero / true value. */
  cancelled?: { column: string; value?: string | number | boolean };
  where?: RowFilter;
}

/** A table of safety stock per product and location. */
export interface SafetyStockTable {
  /** What a TRUNCATE of the table does (default quarantine). */
  on_truncate?: TruncatePolicy;
  row_key: string[];
  sku: CodeRule;
  location: CodeRule;
  quantity: QuantityRule;
  where?: RowFilter;
}

/**
 * What a stock table contributes to the canonical row of its (sku, location): `level` and
 * `movement` rows add to on hand (and reserved), `safety` rows to safety stock.
 */
export type StockRole = 'level' | 'movement' | 'safety';

/** Any stock table of a mapping, with its role: the shape normalize and merge work with. */
export interface StockTable {
  /** What a TRUNCATE of the table does (default quarantine). */
  on_truncate?: TruncatePolicy;
  role: StockRole;
  row_key: string[];
  sku: CodeRule;
  location: CodeRule;
  /** on_hand (level), delta (movement) or quantity (safety). */
  quantity: QuantityRule;
  reserved?: QuantityRule;
  cancelled?: { column: string; value?: string | number | boolean };
  where?: RowFilter;
}

/** A dimension table, joined by its key column. */
export interface DimensionTable {
  table: string;
  key: string;
  /** What a TRUNCATE of the table does (default quarantine). */
  on_truncate?: TruncatePolicy;
}

/** A validated mapping file. */
export interface SourceMapping {
  source: string;
  description?: string;
  connector?: string;
  topic_prefix: string;
  format: 'avro' | 'json';
  /** Canonical location code patterns this source is authoritative for (`*` = any run). */
  locations: string[];
  /** Seconds a stock row may wait for a missing dimension row before it is dead-lettered (default 300). */
  parked_timeout_seconds?: number;
  dimensions: Record<string, DimensionTable>;
  levels: Record<string, LevelTable>;
  movements: Record<string, MovementTable>;
  safety_stock: Record<string, SafetyStockTable>;
  /** Every stock table (levels, movements, safety stock) by table name. */
  tables: Record<string, StockTable>;
  /** The file it was read from. */
  file: string;
}

type RawMapping = Omit<SourceMapping, 'file' | 'tables' | 'dimensions' | 'levels' | 'movements' | 'safety_stock'> &
  Partial<Pick<SourceMapping, 'dimensions' | 'levels' | 'movements' | 'safety_stock'>>;

/** Sections of a mapping that hold stock tables, and the role of their tables. */
const STOCK_SECTIONS = [
  ['levels', 'level'],
  ['movements', 'movement'],
  ['safety_stock', 'safety'],
] as const;

function stockTables(raw: RawMapping): Record<string, StockTable> {
  const tables: Record<string, StockTable> = {};
  for (const [table, t] of Object.entries(raw.levels ?? {})) {
    tables[table] = { role: 'level', on_truncate: t.on_truncate, row_key: t.row_key, sku: t.sku, location: t.location, quantity: t.on_hand, reserved: t.reserved, where: t.where };
  }
  for (const [table, t] of Object.entries(raw.movements ?? {})) {
    tables[table] = { role: 'movement', on_truncate: t.on_truncate, row_key: t.row_key, sku: t.sku, location: t.location, quantity: t.delta, cancelled: t.cancelled, where: t.where };
  }
  for (const [table, t] of Object.entries(raw.safety_stock ?? {})) {
    tables[table] = { role: 'safety', on_truncate: t.on_truncate, row_key: t.row_key, sku: t.sku, location: t.location, quantity: t.quantity, where: t.where };
  }
  return tables;
}

/** One problem in a mapping file, with its place. */
export type MappingProblem = FileProblem;

/** Thrown by {@link loadMapping} with every problem found; `message` lists them as file:line:col. */
export class MappingError extends FileProblemsError {}

export const mappingsDir = path.join(projectRoot, 'schemas', 'sources');
const schemaFile = path.join(mappingsDir, 'mapping.schema.json');

const validate = schemaValidator(schemaFile);

/**
 * Reads and validates one mapping file.
 * @throws MappingError listing every problem (YAML syntax, schema, unknown dimensions) with file:line:column.
 */
export function loadMapping(file: string): SourceMapping {
  let parsed: ParsedYaml;
  try {
    parsed = parseYamlFile(file);
  } catch (error) {
    if (error instanceof FileProblemsError) throw new MappingError(error.problems);
    throw error;
  }
  const { data, locate } = parsed;
  const problems: MappingProblem[] = validate(data).map((error) => {
    const at = errorPath(error);
    return { file, ...locate(at.path, at.atKey), message: describeSchemaError(error, 'mapping.schema.json') };
  });
  if (problems.length === 0) {
    const raw = data as RawMapping;
    const dimensions = raw.dimensions ?? {};
    const seen = new Map<string, string>();
    for (const [section] of STOCK_SECTIONS) {
      for (const [table, spec] of Object.entries(raw[section] ?? {})) {
        const other = seen.get(table);
        if (other !== undefined) {
          problems.push({
            file,
            ...locate([section, table], true),
            message: `table "${table}" is listed under both ${other} and ${section}; a table has one role (a level table and a movement table feeding the same quantity would double count)`,
          });
        }
        seen.set(table, section);
        for (const which of ['sku', 'location'] as const) {
          const dimension = spec[which].lookup?.dimension;
          if (dimension !== undefined && !(dimension in dimensions)) {
            problems.push({
              file,
              ...locate([section, table, which, 'lookup', 'dimension']),
              message: `${section}.${table}.${which}.lookup: dimension "${dimension}" is not declared under dimensions (declared: ${Object.keys(dimensions).join(', ') || 'none'})`,
            });
          }
        }
      }
    }
  }
  if (problems.length > 0) throw new MappingError(problems);
  const raw = data as RawMapping;
  return {
    ...raw,
    dimensions: raw.dimensions ?? {},
    levels: raw.levels ?? {},
    movements: raw.movements ?? {},
    safety_stock: raw.safety_stock ?? {},
    tables: stockTables(raw),
    file,
  };
}

/**
 * Line and column (1-based) of the node at `pathInFile` in a mapping file, or of its nearest existing
 * parent; with `atKey`, of the last segment's key. For reporting problems found after loading.
 */
export function locate(file: string, pathInFile: Array<string | number>, atKey = false): { line: number; column: number } {
  // A check reports many problems per file: parse each file once (again only if it changed).
  const mtimeMs = fs.statSync(file).mtimeMs;
  let cached = located.get(file);
  if (!cached || cached.mtimeMs !== mtimeMs) located.set(file, (cached = { mtimeMs, parsed: parseYamlFile(file) }));
  return cached.parsed.locate(pathInFile, atKey);
}

const located = new Map<string, { mtimeMs: number; parsed: ParsedYaml }>();

/** Loads every `*.yaml` mapping in a folder (default `schemas/sources`). @throws MappingError */
export function loadMappings(dir = mappingsDir): SourceMapping[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const problems: MappingProblem[] = [];
  const mappings: SourceMapping[] = [];
  for (const f of files) {
    try {
      mappings.push(loadMapping(path.join(dir, f)));
    } catch (error) {
      if (error instanceof MappingError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new MappingError(problems);
  return mappings;
}

/** True when a canonical location code matches one of the mapping's authoritative patterns. */
export function isAuthoritative(mapping: Pick<SourceMapping, 'locations'>, location: string): boolean {
  return matchesLocation(mapping.locations, location);
}
