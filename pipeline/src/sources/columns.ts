/**
 * The source columns a mapping file reads, and whether its connector captures them. The shipped
 * connectors capture only these columns (`column.include.list`): a column no mapping reads (a
 * product image, a 10 MB note) never reaches Kafka, so it can neither make a record too large
 * for the producer nor carry data the pipeline has no use for.
 */
import { locate, type MappingProblem, type SourceMapping, type StockTable } from '../normalize/index.ts';
import type { ConnectorFile } from '../connectors/apply.ts';

/** One column a mapping reads, with where in the file it is named. */
export interface ColumnRead {
  table: string;
  column: string;
  /** Path of the YAML node that names the column (for file:line:column). */
  path: Array<string | number>;
  /** What reads it, e.g. `levels.stockcurrent.row_key`. */
  what: string;
  /** The value the mapping compares the column with (`where`, `lookup.where`, `cancelled.value`), if it does. */
  compared?: unknown;
}

/** The mapping section of each stock table role. */
export const SECTION_OF: Record<StockTable['role'], string> = { level: 'levels', movement: 'movements', safety: 'safety_stock' };
/** The key of each role's quantity rule. */
export const QUANTITY_KEY: Record<StockTable['role'], string> = { level: 'on_hand', movement: 'delta', safety: 'quantity' };

/**
 * Every column the mapping reads: dimension keys; each stock table's row key, SKU and location
 * columns (and the lookup fields and `where` columns of the dimensions they look up), quantity,
 * reserved, cancelled and `where` columns. A lookup into an undeclared dimension is left out (the
 * loader reports it).
 */
export function columnsRead(mapping: SourceMapping): ColumnRead[] {
  const reads: ColumnRead[] = [];
  const read = (table: string, column: string, path: Array<string | number>, what: string, compared?: unknown) =>
    reads.push(compared === undefined ? { table, column, path, what } : { table, column, path, what, compared });
  for (const [name, dim] of Object.entries(mapping.dimensions)) read(dim.table, dim.key, ['dimensions', name, 'key'], `dimensions.${name}.key`);
  for (const [table, spec] of Object.entries(mapping.tables)) {
    const section = SECTION_OF[spec.role];
    const base = [section, table];
    for (const [i, column] of spec.row_key.entries()) read(table, column, [...base, 'row_key', i], `${section}.${table}.row_key`);
    for (const which of ['sku', 'location'] as const) {
      const rule = spec[which];
      read(table, rule.column, [...base, which, 'column'], `${section}.${table}.${which}`);
      const dim = rule.lookup ? mapping.dimensions[rule.lookup.dimension] : undefined;
      if (rule.lookup && dim) {
        read(dim.table, rule.lookup.field, [...base, which, 'lookup', 'field'], `${section}.${table}.${which}.lookup.field`);
        for (const [column, expected] of Object.entries(rule.lookup.where ?? {})) {
          read(dim.table, column, [...base, which, 'lookup', 'where', column], `${section}.${table}.${which}.lookup.where`, expected);
        }
      }
    }
    read(table, spec.quantity.column, [...base, QUANTITY_KEY[spec.role], 'column'], `${section}.${table}.${QUANTITY_KEY[spec.role]}`);
    if (spec.reserved) read(table, spec.reserved.column, [...base, 'reserved', 'column'], `${section}.${table}.reserved`);
    if (spec.cancelled) read(table, spec.cancelled.column, [...base, 'cancelled', 'column'], `${section}.${table}.cancelled`, spec.cancelled.value);
    for (const [column, expected] of Object.entries(spec.where ?? {})) read(table, column, [...base, 'where', column], `${section}.${table}.where`, expected);
  }
  return reads;
}

/**
 * Tests a fully-qualified name against a Debezium include/exclude list: comma-separated regular
 * expressions, each matched against the whole name, case-insensitively (as Debezium matches
 * column filters). An empty or missing list matches nothing.
 */
export function inRegexList(list: string | undefined, name: string): boolean {
  if (!list) return false;
  return list.split(',').some((pattern) => pattern.trim() !== '' && new RegExp(`^(?:${pattern.trim()})$`, 'i').test(name));
}

/**
 * The columns the mapping reads that its connector does not capture: a `column.include.list` that
 * lacks one (or a `column.exclude.list` that names one) would deliver rows without it. Tables the
 * connector does not capture at all are left to the table check. The connector's placeholders must
 * be filled already (names are `<database or schema>.<table>.<column>`, the namespace taken from
 * the mapping's topic_prefix after the connector's topic.prefix).
 */
export function uncapturedColumns(mapping: SourceMapping, connector: ConnectorFile): MappingProblem[] {
  const config = connector.config;
  const include = config['column.include.list'];
  const exclude = config['column.exclude.list'];
  if (!include && !exclude) return [];
  const namespace = mapping.topic_prefix.slice(`${config['topic.prefix']}.`.length);
  const tables = config['table.include.list'];
  const problems: MappingProblem[] = [];
  const seen = new Set<string>();
  for (const read of columnsRead(mapping)) {
    if (tables && !inRegexList(tables, `${namespace}.${read.table}`)) continue;
    const name = `${namespace}.${read.table}.${read.column}`;
    const captured = (!include || inRegexList(include, name)) && !inRegexList(exclude, name);
    // One problem per column, at the first place that reads it.
    if (captured || seen.has(name)) continue;
    seen.add(name);
    problems.push({
      file: mapping.file,
      ...locate(mapping.file, read.path),
      message: `${read.what}: column "${read.column}" of ${namespace}.${read.table} is not captured by connector ${connector.name} (${include ? 'not in its column.include.list' : 'in its column.exclude.list'})`,
      hint: include ? `add ${name} to column.include.list in the connector config` : `remove ${name} from column.exclude.list in the connector config`,
    });
  }
  return problems;
}
