/**
 * Repairs through the pipeline: for the source rows behind each difference, Debezium is asked for an
 * incremental snapshot of exactly those rows — an `execute-snapshot` signal with
 * `additional-conditions`, inserted into the connector's signal table (`signal.data.collection`).
 * The rows then arrive as snapshot events (`op = r`) on the source's topics, at a position after
 * everything the pipeline has seen, and are merged like any change: position check, dimension
 * joins, canonical recompute, outbox, channels. Nothing writes canonical rows behind the pipeline's
 * back (docs/reconciliation.md, "Repair").
 *
 * Debezium documents the signal in "Sending signals to a Debezium connector" (signal table
 * structure `id, type, data`) and the ad hoc incremental snapshot with `additional-conditions`
 * (`[{ "data-collection": "<db or schema>.<table>", "filter": "<SQL condition>" }]`). The filter is
 * SQL that Debezium splices into its chunk query, so every value in it is a literal quoted and
 * escaped by the source's driver (docs/design.md invariant 8).
 */
import crypto from 'node:crypto';
import type { SourceMapping } from '../normalize/index.ts';
import type { SourceDatabase } from '../sources/source-database.ts';
import type { StockDifference } from './compare.ts';

/** Rows per signal: keeps each snapshot query's condition short. */
export const ROWS_PER_SIGNAL = 200;

/** One signal sent: its id (the signal row's `id`), and the rows it asks for per table. */
export interface RepairSignal {
  id: string;
  /** Table → row keys (JSON arrays of the row_key values). */
  rows: Record<string, string[]>;
  /** The signal's `data`, as inserted. */
  data: string;
}

/** A SQL condition matching exactly the rows whose `columns` have one of the `keys` (JSON arrays of values). */
export function rowCondition(db: Pick<SourceDatabase, 'literal' | 'identifier'>, columns: string[], keys: string[]): string {
  const terms = keys.map((json) => {
    const values = JSON.parse(json) as Array<string | number | boolean | null>;
    return `(${columns
      .map((column, i) => {
        const value = values[i] ?? null;
        return value === null
          ? `${db.identifier(column)} IS NULL`
          : `${db.identifier(column)} = ${db.literal(typeof value === 'boolean' ? Number(value) : value)}`;
      })
      .join(' AND ')})`;
  });
  return terms.join(' OR ');
}

/**
 * The rows to snapshot again for `differences`, per table: every source row behind each key on
 * either side (in the source, and in the canonical store's `source_row` — a row that moved to
 * another key is snapshotted once and fixes both), and the dimension rows they look up (a
 * dimension row changed behind the pipeline's back re-resolves its stock rows when it arrives).
 */
export function rowsToSnapshot(mapping: SourceMapping, differences: StockDifference[]): Map<string, Set<string>> {
  const rows = new Map<string, Set<string>>();
  const add = (table: string, key: string) => {
    if (!rows.has(table)) rows.set(table, new Set());
    rows.get(table)!.add(key);
  };
  for (const d of differences) {
    for (const r of [...d.sourceRows, ...d.canonicalRows]) {
      const spec = mapping.tables[r.table];
      if (!spec) continue;
      add(r.table, r.rowKey);
      for (const [rule, ref] of [
        [spec.sku, r.productRef],
        [spec.location, r.locationRef],
      ] as const) {
        const dimension = rule.lookup ? mapping.dimensions[rule.lookup.dimension] : undefined;
        if (dimension && ref !== null) add(dimension.table, JSON.stringify([ref]));
      }
    }
  }
  return rows;
}

/**
 * Sends the signals for `rows` (table → row keys), dimensions' tables included when given, at most
 * {@link ROWS_PER_SIGNAL} rows each.
 * @throws Error from {@link SourceDatabase.signal} (no signal table configured, insert refused).
 */
export async function requestSnapshots(db: SourceDatabase, mapping: SourceMapping, rows: Map<string, Set<string>>): Promise<RepairSignal[]> {
  const keyColumns = (table: string): string[] => {
    const dimension = Object.values(mapping.dimensions).find((d) => d.table === table);
    return mapping.tables[table]?.row_key ?? (dimension ? [dimension.key] : []);
  };
  const entries: Array<{ table: string; key: string }> = [];
  // Dimension tables first: their rows arrive before the stock rows that look them up.
  const isDimension = (table: string) => !(table in mapping.tables);
  const tables = [...rows.keys()].sort((a, b) => Number(isDimension(b)) - Number(isDimension(a)));
  for (const table of tables) for (const key of rows.get(table)!) entries.push({ table, key });
  const signals: RepairSignal[] = [];
  for (let i = 0; i < entries.length; i += ROWS_PER_SIGNAL) {
    const chunk = entries.slice(i, i + ROWS_PER_SIGNAL);
    const byTable = new Map<string, string[]>();
    for (const { table, key } of chunk) {
      if (!byTable.has(table)) byTable.set(table, []);
      byTable.get(table)!.push(key);
    }
    const collections = [...byTable.keys()].map((table) => `${db.namespace}.${table}`);
    const data = JSON.stringify({
      type: 'incremental',
      'data-collections': collections,
      'additional-conditions': [...byTable].map(([table, keys]) => {
        return { 'data-collection': `${db.namespace}.${table}`, filter: rowCondition(db, keyColumns(table), keys) };
      }),
    });
    const id = `stocksync-reconcile-${crypto.randomUUID()}`;
    await db.signal(id, 'execute-snapshot', data);
    signals.push({ id, rows: Object.fromEntries(byTable), data });
  }
  return signals;
}
