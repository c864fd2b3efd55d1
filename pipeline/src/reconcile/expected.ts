/**
 * Expected canonical stock of one source, read straight from its database: every mapped table
 * (dimensions first, then the level, movement and safety stock tables) in key order, in pages, in
 * one consistent read, and each row put through the very functions the pipeline uses —
 * `normalizeChange` (quantities, units, rounding, filters, flags) and `resolveLevelRow` (dimension
 * lookups, `where`, constant maps, authoritative locations). Nothing here knows a source by name:
 * the mapping file says everything (docs/reconciliation.md).
 */
import type { DebeziumEnvelope, Row, SourceInfo } from '../decode/index.ts';
import { addDecimal, formatNormalized, parseDecimal } from '../decimal/index.ts';
import {
  NormalizeError,
  normalizeChange,
  resolveLevelRow,
  sourcePosition,
  type DimensionChange,
  type LevelChange,
  type Resolution,
  type SourceMapping,
  type StockTable,
  type TopicRole,
} from '../normalize/index.ts';
import { columnsRead } from '../sources/columns.ts';
import type { ConsistentRead, ReadPosition, SourceDatabase } from '../sources/source-database.ts';

/** One source row that feeds (or was expected to feed) a canonical key. */
export interface SourceRowRef {
  table: string;
  /** JSON array of the row_key values, as `source_row.row_key` stores it. */
  rowKey: string;
  role: StockTable['role'];
  /** Exact decimal strings: on hand / delta / safety stock, and reserved. */
  quantity: string;
  reserved: string;
  /** Source ids in the SKU and location columns (before lookups). */
  productRef: string | null;
  locationRef: string | null;
}

/** Expected canonical values of one (sku, location), with the source rows behind them. */
export interface ExpectedKey {
  sku: string;
  location: string;
  /** Exact decimal strings, normalised. */
  onHand: string;
  reserved: string;
  /** Null when no safety stock row maps here. */
  safetyStock: string | null;
  rows: SourceRowRef[];
}

/** A source row that resolves to no canonical key, by why (the same statuses as `source_row.status`). */
export type RowOutcome = Resolution['status'] | 'rejected';

/** What one consistent read of a source gave. */
export interface ExpectedStock {
  source: string;
  /** Where the read stood in the source's log. */
  position: ReadPosition;
  /** The same position in `stock_level.source_position`'s ordering (normalize/position.ts). */
  positionValue: bigint;
  /** Readable form of the position (`binlog.000003:1234#0`, `lsn:0/2F3BA88`). */
  positionText: string;
  /** Expected values per key (`sku \u001f location`). */
  keys: Map<string, ExpectedKey>;
  /** Rows read per table (dimension and stock tables). */
  rowsRead: Record<string, number>;
  /** Stock rows by outcome (mapped, filtered, parked, unmapped, not-authoritative, rejected). */
  outcomes: Partial<Record<RowOutcome, number>>;
  /** Every stock row read, whatever its outcome, as `table \u001f rowKey`. */
  rowIds: Set<string>;
  /** Stock rows the pipeline would dead-letter (bad or null quantity, missing ids), with why (first 100). */
  rejected: Array<{ table: string; rowKey: string; reason: string }>;
}

/** Rows per page of a source read. */
export const PAGE_ROWS = 2000;

/** The canonical key id of a (sku, location): the two joined by U+001F. */
export function keyOf(sku: string, location: string): string {
  return `${sku}\u001f${location}`;
}

/** A Debezium `source` block standing for the read position (what normalize needs of it). */
function sourceBlock(mapping: SourceMapping, position: ReadPosition): SourceInfo {
  const base = { connector: 'reconcile', name: mapping.source, db: '', ts_ms: Date.now(), snapshot: 'true' };
  return 'lsn' in position ? { ...base, lsn: position.lsn } : { ...base, file: position.file, pos: position.pos, row: 0 };
}

/** The columns the mapping reads of each table (the connector captures the same ones). */
function columnsByTable(mapping: SourceMapping): Map<string, string[]> {
  const byTable = new Map<string, Set<string>>();
  for (const read of columnsRead(mapping)) {
    if (!byTable.has(read.table)) byTable.set(read.table, new Set());
    byTable.get(read.table)!.add(read.column);
  }
  return new Map([...byTable].map(([table, columns]) => [table, [...columns]]));
}

/**
 * Every row of `table`, page by page in `keyColumns` order: keyset paging when the key columns are
 * NOT NULL, offset paging (stable inside the one snapshot) when one may be null.
 */
async function* tableRows(db: SourceDatabase, read: ConsistentRead, table: string, columns: string[], keyColumns: string[]): AsyncGenerator<Row> {
  const types = await db.columns(table);
  if (!types) throw new Error(`table ${db.namespace}.${table} does not exist (npx stocksync sources check)`);
  const nullableKey = keyColumns.some((c) => types.get(c)?.nullable !== false);
  let after: unknown[] | null = null;
  let offset = 0;
  for (;;) {
    const page = await read.page(table, columns, keyColumns, nullableKey ? null : after, PAGE_ROWS, nullableKey ? offset : undefined);
    for (const row of page) yield row as Row;
    if (page.length < PAGE_ROWS) return;
    offset += page.length;
    const last = page[page.length - 1]!;
    after = keyColumns.map((c) => last[c]);
  }
}

function envelopeOf(row: Row, source: SourceInfo): DebeziumEnvelope {
  return { before: null, after: row, source, op: 'r', ts_ms: source.ts_ms };
}

/**
 * Reads a source through one consistent read and computes its expected canonical stock by the
 * mapping, exactly as the pipeline would from a snapshot taken at the same position.
 * @throws Error when a mapped table is missing; the driver's error when a read fails.
 */
export async function readExpectedStock(db: SourceDatabase, mapping: SourceMapping): Promise<ExpectedStock> {
  const columns = columnsByTable(mapping);
  const read = await db.consistentRead();
  try {
    const source = sourceBlock(mapping, read.position);
    const position = sourcePosition(source);
    const rowsRead: Record<string, number> = {};
    // Dimension rows by dimension name, then key: their attributes as the merge stores them.
    const dimensions = new Map<string, Map<string, Record<string, unknown>>>();
    for (const [name, spec] of Object.entries(mapping.dimensions)) {
      const role: TopicRole = { role: 'dimension', mapping, dimension: name, table: spec.table, key: spec.key };
      const rows = new Map<string, Record<string, unknown>>();
      dimensions.set(name, rows);
      for await (const row of tableRows(db, read, spec.table, columns.get(spec.table) ?? [spec.key], [spec.key])) {
        rowsRead[spec.table] = (rowsRead[spec.table] ?? 0) + 1;
        const change = normalizeChange(role, null, envelopeOf(row, source)) as DimensionChange;
        if (change.attributes) rows.set(change.key, change.attributes);
      }
    }
    const lookup = (dimension: string, key: string) => dimensions.get(dimension)?.get(key);
    const keys = new Map<string, ExpectedKey>();
    const outcomes: ExpectedStock['outcomes'] = {};
    const rejected: ExpectedStock['rejected'] = [];
    const rowIds = new Set<string>();
    for (const [table, spec] of Object.entries(mapping.tables)) {
      const role: TopicRole = { role: 'stock', mapping, table, spec };
      for await (const row of tableRows(db, read, table, columns.get(table) ?? spec.row_key, spec.row_key)) {
        rowsRead[table] = (rowsRead[table] ?? 0) + 1;
        let change: LevelChange;
        try {
          change = normalizeChange(role, null, envelopeOf(row, source)) as LevelChange;
        } catch (error) {
          if (!(error instanceof NormalizeError)) throw error;
          outcomes.rejected = (outcomes.rejected ?? 0) + 1;
          if (rejected.length < 100) rejected.push({ table, rowKey: JSON.stringify(spec.row_key.map((c) => row[c] ?? null)), reason: error.message });
          continue;
        }
        rowIds.add(`${table}\u001f${change.rowKey}`);
        const resolution: Resolution =
          change.excluded !== null
            ? { status: 'filtered', reason: change.excluded, field: null }
            : resolveLevelRow(mapping, spec, change.productRef, change.locationRef, lookup);
        outcomes[resolution.status] = (outcomes[resolution.status] ?? 0) + 1;
        if (resolution.status !== 'mapped') continue;
        const id = keyOf(resolution.sku, resolution.location);
        let key = keys.get(id);
        if (!key) keys.set(id, (key = { sku: resolution.sku, location: resolution.location, onHand: '0', reserved: '0', safetyStock: null, rows: [] }));
        const add = (a: string, b: string) => formatNormalized(addDecimal(parseDecimal(a), parseDecimal(b)));
        if (spec.role === 'safety') key.safetyStock = add(key.safetyStock ?? '0', change.onHand);
        else {
          key.onHand = add(key.onHand, change.onHand);
          key.reserved = add(key.reserved, change.reserved);
        }
        key.rows.push({
          table,
          rowKey: change.rowKey,
          role: spec.role,
          quantity: change.onHand,
          reserved: change.reserved,
          productRef: change.productRef,
          locationRef: change.locationRef,
        });
      }
    }
    return {
      source: mapping.source,
      position: read.position,
      positionValue: position.value,
      positionText: position.text,
      keys,
      rowsRead,
      outcomes,
      rowIds,
      rejected,
    };
  } finally {
    await read.end();
  }
}
