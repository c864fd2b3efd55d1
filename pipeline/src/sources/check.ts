/**
 * `stocksync sources check`: validates mapping files against the JSON Schema (via the loader), then
 * against the live source database and the connector config (its tables, key columns, and the
 * columns it captures: `column.include.list` must cover every column the mapping reads), then
 * across files. Every problem
 * names file:line:column, says what is wrong and, where there is one, how to fix it.
 */
import { locate, loadMapping, MappingError, tableTopic, type MappingProblem, type SourceMapping, type StockTable } from '../normalize/index.ts';
import { connectorOf, openSourceDatabase, type SourceColumn } from './source-database.ts';
import { columnsRead, QUANTITY_KEY, SECTION_OF, uncapturedColumns } from './columns.ts';
import { connectorFiles, loadConnector, PlaceholderError, placeholderValues } from '../connectors/apply.ts';
import { patternsOverlap } from '../config/location-patterns.ts';
import { sanitizeAvroName } from '../decode/index.ts';
import { ConnectionError } from '../postgres/connection-errors.ts';

/** Source column types (information_schema data_type) each quantity type accepts. */
const COMPATIBLE: Record<StockTable['quantity']['type'], RegExp> = {
  decimal: /^(decimal|numeric|tinyint|smallint|mediumint|int|integer|bigint)$/,
  double: /^(double|double precision|float|real|decimal|numeric|tinyint|smallint|mediumint|int|integer|bigint)$/,
  integer: /^(tinyint|smallint|mediumint|int|integer|bigint)$/,
};

function problem(file: string, path: Array<string | number>, message: string, hint?: string, atKey = false): MappingProblem {
  return { file, ...locate(file, path, atKey), message, hint };
}

const placeholderHint = 'set the STOCKSYNC_* variable the connector config names to a plain value: it is spliced into the connector config';

/** True when a table is captured by the connector's table.include.list (a comma-separated regex list). */
function connectorIncludes(includeList: string | undefined, qualified: string): boolean {
  if (!includeList) return true;
  return includeList.split(',').some((pattern) => new RegExp(`^${pattern.trim()}$`).test(qualified));
}

/** Checks one loaded mapping against its live source database and connector. */
export async function checkAgainstSource(mapping: SourceMapping): Promise<MappingProblem[]> {
  const problems: MappingProblem[] = [];
  const file = mapping.file;
  let db;
  try {
    db = await openSourceDatabase(mapping);
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof PlaceholderError) return [problem(file, ['connector'], message, placeholderHint)];
    const known = connectorFiles().map((f) => loadConnector(f, placeholderValues('cli')).name);
    const hint =
      mapping.connector && !known.includes(mapping.connector)
        ? `connectors in connectors/debezium/ are: ${known.join(', ')}`
        : 'start the source (npx stocksync stack up) or fix the connector config it is reached through';
    return [problem(file, ['connector'], error instanceof ConnectionError ? message : `cannot reach the source database: ${message}`, hint)];
  }
  try {
    const include = db.connector.config['table.include.list'];
    const keyColumns = db.connector.config['message.key.columns'] ?? '';
    const columnsOf = new Map<string, Map<string, SourceColumn> | null>();
    const columns = async (table: string) => {
      if (!columnsOf.has(table)) columnsOf.set(table, await db!.columns(table));
      return columnsOf.get(table)!;
    };
    const requireColumn = async (table: string, column: string, path: Array<string | number>, what: string) => {
      const cols = await columns(table);
      if (cols && !cols.has(column)) {
        const known = [...cols.keys()].join(', ');
        // The Avro spelling of a SQL column (2nd-qty → _2nd_qty): normalize resolves it from the SQL name.
        const sql = [...cols.keys()].find((c) => sanitizeAvroName(c) === column);
        const hint =
          sql !== undefined
            ? `mapping files name SQL columns: write "${sql}" (the Avro converter delivers it as "${column}", and the pipeline finds it under either name)`
            : `columns of ${table} are: ${known}`;
        problems.push(problem(file, path, `${what}: column "${column}" does not exist in ${db!.namespace}.${table}`, hint));
      }
      return cols?.get(column);
    };
    const requireTable = async (table: string, path: Array<string | number>) => {
      if ((await columns(table)) === null) {
        problems.push(
          problem(
            file,
            path,
            `table "${table}" does not exist in ${db!.kind === 'postgres' ? 'schema' : 'database'} ${db!.namespace}`,
            'check the spelling (names are case-sensitive) and the topic_prefix',
            true,
          ),
        );
        return false;
      }
      if (!connectorIncludes(include, `${db!.namespace}.${table}`)) {
        problems.push(
          problem(
            file,
            path,
            `connector ${db!.connector.name} does not capture ${db!.namespace}.${table} (table.include.list: ${include})`,
            `add ${db!.namespace}.${table} to table.include.list in the connector config`,
            true,
          ),
        );
      }
      return true;
    };

    /**
     * A TINYINT(1) (MySQL/MariaDB BOOLEAN) compared with a number: `1` would not match -1 or 2,
     * which the column holds; flags compare by truthiness only against true/false (docs/sources.md).
     */
    const requireFlagAsBoolean = (column: SourceColumn | undefined, name: string, expected: unknown, path: Array<string | number>, what: string) => {
      if (column?.columnType !== 'tinyint(1)' || typeof expected !== 'number') return;
      problems.push(
        problem(
          file,
          path,
          `${what}: column "${name}" is a TINYINT(1) flag compared with the number ${expected}, which does not match the other nonzero values it holds (-1, 2…)`,
          `write ${expected === 0 ? 'false' : 'true'}: a flag compared with true/false matches by truthiness, however it arrives (integer or boolean)`,
        ),
      );
    };

    const existing = new Set<string>();
    for (const [name, dim] of Object.entries(mapping.dimensions)) {
      if (await requireTable(dim.table, ['dimensions', name])) existing.add(dim.table);
    }
    for (const [table, spec] of Object.entries(mapping.tables)) {
      if (await requireTable(table, [SECTION_OF[spec.role], table])) existing.add(table);
    }
    for (const read of columnsRead(mapping)) {
      if (!existing.has(read.table)) continue;
      const column = await requireColumn(read.table, read.column, read.path, read.what);
      if (read.compared !== undefined) requireFlagAsBoolean(column, read.column, read.compared, read.path, read.what);
    }
    for (const [table, spec] of Object.entries(mapping.tables)) {
      if (!existing.has(table)) continue;
      const section = SECTION_OF[spec.role];
      const base = [section, table];
      const quantities: Array<[string, StockTable['quantity'] | undefined]> = [
        [QUANTITY_KEY[spec.role], spec.quantity],
        ['reserved', spec.reserved],
      ];
      for (const [key, rule] of quantities) {
        if (!rule) continue;
        const column = (await columns(table))?.get(rule.column);
        if (column && !COMPATIBLE[rule.type].test(column.dataType)) {
          problems.push(
            problem(
              file,
              [...base, key, 'type'],
              `${section}.${table}.${key}: type ${rule.type} does not fit column ${rule.column} of SQL type ${column.dataType}`,
              /double|float|real/.test(column.dataType)
                ? 'use type: double with a scale (floating-point values need a rounding rule)'
                : 'use type: decimal for exact DECIMAL/NUMERIC columns',
            ),
          );
        }
      }
      // A table without a primary key has Kafka keys only through message.key.columns: they must be the row key.
      if (db.kind === 'mariadb') {
        const declared = keyColumns
          .split(';')
          .map((e) => e.trim())
          .find((e) => e.startsWith(`${db!.namespace}.${table}:`));
        if (
          declared &&
          declared
            .slice(declared.indexOf(':') + 1)
            .split(',')
            .map((c) => c.trim())
            .join(',') !== spec.row_key.join(',')
        ) {
          problems.push(
            problem(
              file,
              [...base, 'row_key'],
              `${section}.${table}.row_key [${spec.row_key.join(', ')}] differs from the connector's message.key.columns (${declared})`,
              'use the same columns in both, in the same order',
            ),
          );
        }
      }
    }
    const excess = await db.excessPrivileges();
    if (excess.length > 0) {
      const c = db.connector.config;
      problems.push({
        ...problem(
          file,
          ['connector'],
          `connector ${db.connector.name} logs in as ${c['database.user']}, which can do more than Debezium needs: ${excess.join('; ')}`,
          db.kind === 'postgres'
            ? 'give the connector a role with LOGIN and REPLICATION and SELECT on the captured tables only, and create the publication ahead as the tables owner (docs/sources.md)'
            : 'give the connector a user with SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT on *.* only (docs/sources.md)',
        ),
        severity: 'warning',
      });
    }
  } finally {
    await db.close();
  }
  return problems;
}

/** The topics both mappings read (by table, `tableTopic`). */
function sharedTopics(a: SourceMapping, b: SourceMapping): string[] {
  const topicsOf = (m: SourceMapping) => [...Object.values(m.dimensions).map((d) => d.table), ...Object.keys(m.tables)].map((t) => tableTopic(m, t));
  const other = new Set(topicsOf(b));
  return [...new Set(topicsOf(a))].filter((t) => other.has(t));
}

/**
 * Checks across files: one source name and one topic prefix per file (no topic read by two
 * sources), one authoritative source per location, no level+movement double counting.
 */
export function checkAcrossFiles(mappings: SourceMapping[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const mapping of mappings) {
    const levels = Object.keys(mapping.levels);
    const movements = Object.keys(mapping.movements);
    if (levels.length > 0 && movements.length > 0) {
      problems.push(
        problem(
          mapping.file,
          ['movements', movements[0]!],
          `levels (${levels.join(', ')}) and movements (${movements.join(', ')}) would both feed on hand at ${mapping.locations.join(', ')}: stock would be counted twice`,
          'keep either the level tables (absolute quantities) or the movement tables (deltas) of this source, not both',
          true,
        ),
      );
    }
  }
  for (let i = 0; i < mappings.length; i++) {
    for (let j = 0; j < i; j++) {
      const [later, earlier] = [mappings[i]!, mappings[j]!];
      if (later.source === earlier.source) {
        problems.push(
          problem(later.file, ['source'], `source name "${later.source}" is already used by ${earlier.file}`, 'give every mapping file its own source name'),
        );
      }
      // Topics are <topic_prefix>.<table>: two files reading one topic would, at run time, leave it to
      // one of them (the pipeline refuses to start, topicRoles), or double the source's stock.
      const shared = sharedTopics(later, earlier);
      if (later.topic_prefix === earlier.topic_prefix || shared.length > 0) {
        const what =
          later.topic_prefix === earlier.topic_prefix
            ? `topic_prefix "${later.topic_prefix}" is also the topic_prefix of`
            : `topics ${shared.join(', ')} are also read by`;
        problems.push(
          problem(
            later.file,
            ['topic_prefix'],
            `${what} source ${earlier.source} (${earlier.file}): one source's topics would be taken for the other's`,
            "give each source its own topic_prefix: its connector's topic.prefix plus its database (MariaDB) or schema (PostgreSQL)",
          ),
        );
      }
      for (const [k, pattern] of later.locations.entries()) {
        const clash = earlier.locations.find((other) => patternsOverlap(pattern, other));
        if (clash !== undefined) {
          problems.push(
            problem(
              later.file,
              ['locations', k],
              `location pattern "${pattern}" overlaps "${clash}" of source ${earlier.source} (${earlier.file}): each location has one authoritative source, and two sources would feed the same (sku, location)`,
              'narrow one of the patterns so that no location code matches both',
            ),
          );
        }
      }
    }
  }
  return problems;
}

/** The full check of a set of mapping files. `offline` skips the live source checks. */
export async function checkSources(files: string[], options: { offline?: boolean } = {}): Promise<MappingProblem[]> {
  const problems: MappingProblem[] = [];
  const mappings: SourceMapping[] = [];
  for (const file of files) {
    try {
      mappings.push(loadMapping(file));
    } catch (error) {
      if (error instanceof MappingError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (!options.offline) for (const mapping of mappings) problems.push(...(await checkAgainstSource(mapping)));
  // Needs only the mapping and its connector config, so it runs offline too; a column already
  // reported (say, one that does not exist in the source) is not reported twice.
  const reported = new Set(problems.map((p) => `${p.file}:${p.line}:${p.column}`));
  for (const mapping of mappings) {
    let connector;
    try {
      connector = mapping.connector ? connectorOf(mapping) : undefined;
    } catch (error) {
      if (!(error instanceof PlaceholderError)) throw error;
      // Reported above when the check went to the source; nothing was connected to or run.
      if (options.offline) problems.push(problem(mapping.file, ['connector'], error.message, placeholderHint));
      continue;
    }
    if (!connector) continue;
    problems.push(...uncapturedColumns(mapping, connector).filter((p) => !reported.has(`${p.file}:${p.line}:${p.column}`)));
  }
  problems.push(...checkAcrossFiles(mappings));
  return problems;
}
