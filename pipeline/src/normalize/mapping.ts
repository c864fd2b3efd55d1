/**
 * Source mapping files (`schemas/sources/*.yaml`): the data engineer's interface. A mapping says
 * which CDC topics belong to a source, which tables are dimensions and which hold stock levels, and
 * how SKU, location and quantities are derived. Files are validated against the mapping JSON Schema
 * (mapping-schema.ts; shipped as `schemas/sources/mapping.schema.json`), which also gives the
 * defaults and the types, plus cross-reference checks, and every error names file:line:column.
 */
import fs from 'node:fs';
import type { FromSchema } from 'json-schema-to-ts';
import path from 'node:path';
import { projectRoot } from '../config/project-root.ts';
import { matchesLocation } from '../config/location-patterns.ts';
import { describeSchemaError, errorPath, FileProblemsError, parseYamlFile, schemaValidator, type FileProblem, type ParsedYaml } from '../config/yaml-file.ts';
import type { TruncatePolicy } from '../decode/index.ts';
import { mappingSchema } from './mapping-schema.ts';

/**
 * A mapping file as its schema describes it once validated: with every schema `default` filled in
 * (those keys are then present). Derived from {@link mappingSchema}, so it cannot drift from it.
 */
export type MappingFile = FromSchema<typeof mappingSchema>;

/** A table whose rows hold absolute quantities per product and location. */
export type LevelTable = NonNullable<MappingFile['levels']>[string];

/** A table whose rows are signed movements (deltas), each counted once by its row identity. */
export type MovementTable = NonNullable<MappingFile['movements']>[string];

/** A table of safety stock per product and location. */
export type SafetyStockTable = MappingFile['safety_stock'][string];

/** A dimension table, joined by its key column. */
export type DimensionTable = MappingFile['dimensions'][string];

/** Derivation of a SKU or location code from one column of a stock row (`if_empty`: see the schema). */
export type CodeRule = LevelTable['sku'];

/** A quantity column and how its values become exact decimals (`scale`, `factor`, `if_null`: see the schema). */
export type QuantityRule = LevelTable['on_hand'];

/** Only rows whose columns have these values count (others are kept as filtered). */
export type RowFilter = NonNullable<LevelTable['where']>;

// The schema's on_truncate values are exactly the truncate policies decode knows (tsc checks both ways).
type SchemaTruncatePolicy = NonNullable<DimensionTable['on_truncate']>;
const truncatePoliciesAgree: [SchemaTruncatePolicy, TruncatePolicy] extends [TruncatePolicy, SchemaTruncatePolicy] ? true : never = true;
void truncatePoliciesAgree;

/**
 * What a stock table contributes to the canonical row of its (sku, location): `level` and
 * `movement` rows add to on hand (and reserved), `safety` rows to safety stock.
 */
export type StockRole = 'level' | 'movement' | 'safety';

/** Any stock table of a mapping, with its role: the shape normalize and merge work with. */
export interface StockTable extends Pick<LevelTable, 'on_truncate' | 'row_key' | 'sku' | 'location' | 'reserved' | 'where'> {
  role: StockRole;
  /** on_hand (level), delta (movement) or quantity (safety). */
  quantity: QuantityRule;
  cancelled?: MovementTable['cancelled'];
}

/** A validated mapping file, with every stock table also listed by table name. */
export type SourceMapping = Omit<MappingFile, 'levels' | 'movements'> & {
  /** Level tables by table name (none when the file has no `levels` section). */
  levels: Record<string, LevelTable>;
  /** Movement tables by table name (none when the file has no `movements` section). */
  movements: Record<string, MovementTable>;
  /** Every stock table (levels, movements, safety stock) by table name. */
  tables: Record<string, StockTable>;
  /** The file it was read from. */
  file: string;
};

/** Sections of a mapping that hold stock tables, and the role of their tables. */
const STOCK_SECTIONS = [
  ['levels', 'level'],
  ['movements', 'movement'],
  ['safety_stock', 'safety'],
] as const;

function stockTables(raw: MappingFile): Record<string, StockTable> {
  const tables: Record<string, StockTable> = {};
  for (const [table, t] of Object.entries(raw.levels ?? {})) {
    tables[table] = {
      role: 'level',
      on_truncate: t.on_truncate,
      row_key: t.row_key,
      sku: t.sku,
      location: t.location,
      quantity: t.on_hand,
      reserved: t.reserved,
      where: t.where,
    };
  }
  for (const [table, t] of Object.entries(raw.movements ?? {})) {
    tables[table] = {
      role: 'movement',
      on_truncate: t.on_truncate,
      row_key: t.row_key,
      sku: t.sku,
      location: t.location,
      quantity: t.delta,
      cancelled: t.cancelled,
      where: t.where,
    };
  }
  for (const [table, t] of Object.entries(raw.safety_stock)) {
    tables[table] = { role: 'safety', on_truncate: t.on_truncate, row_key: t.row_key, sku: t.sku, location: t.location, quantity: t.quantity, where: t.where };
  }
  return tables;
}

/** One problem in a mapping file, with its place. */
export type MappingProblem = FileProblem;

/** Thrown by {@link loadMapping} with every problem found; `message` lists them as file:line:col. */
export class MappingError extends FileProblemsError {}

export const mappingsDir = path.join(projectRoot, 'schemas', 'sources');
const validate = schemaValidator(mappingSchema);

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
    const raw = data as MappingFile;
    const dimensions = raw.dimensions;
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
  // Valid, so its schema defaults are filled in. `levels` and `movements` have no schema default:
  // the schema requires at least one of them, non-empty, and a default would satisfy that check.
  const raw = data as MappingFile;
  return {
    ...raw,
    levels: raw.levels ?? {},
    movements: raw.movements ?? {},
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
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
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
