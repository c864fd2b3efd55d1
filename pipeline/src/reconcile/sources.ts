/**
 * Reconciles one source: read it (expected.ts), compare with the canonical store (compare.ts),
 * confirm each difference once the pipeline has caught up to the read position (settle.ts), and,
 * when asked, repair through Debezium (repair.ts) and wait until the canonical store agrees.
 *
 * No false drift (docs/reconciliation.md): a difference counts only when, after the pipeline has
 * caught up to the position the source was read at, the canonical key still differs and its last
 * change (`stock_level.source_position`) is at or before that position — so the canonical value is
 * the source's at the read, as far as CDC knows it. A key changed since the read is read again (up
 * to {@link MAX_ROUNDS} times) and otherwise reported as unsettled, not as drift.
 */
import type pg from 'pg';
import type { KafkaClient } from '../kafka/client.ts';
import { PositionError, positionValue, type SourceMapping } from '../normalize/index.ts';
import { openSourceDatabase, type SourceDatabase } from '../sources/source-database.ts';
import { canonicalRowsBehind, compareStock, readCanonical, type StockDifference } from './compare.ts';
import { keyOf, readExpectedStock, type ExpectedStock } from './expected.ts';
import { requestSnapshots, rowsToSnapshot, type RepairSignal } from './repair.ts';
import { keyPositions } from './key-positions.ts';
import { waitForPosition } from './settle.ts';

/** Reads of a source before a key that keeps changing is reported as unsettled. */
export const MAX_ROUNDS = 3;

/** What reconciling one source found and did. */
export interface SourceReconcile {
  source: string;
  /** Where the (last) source read stood. */
  position: string;
  rowsRead: Record<string, number>;
  outcomes: ExpectedStock['outcomes'];
  rejected: ExpectedStock['rejected'];
  expectedKeys: number;
  canonicalKeys: number;
  differences: StockDifference[];
  /** Keys that could not be decided, and why. */
  unsettled: Array<{ sku: string; location: string; reason: string }>;
  /** Signals sent for the repair (empty without `repair`). */
  signals: RepairSignal[];
  /** Differences a snapshot cannot repair (key → why). */
  notRepairable: Record<string, string>;
  /** Keys found agreeing again after the repair. */
  repaired: string[];
}

export interface SourceReconcileOptions {
  canonical: pg.ClientBase;
  kafka: KafkaClient;
  groupId: string;
  repair: boolean;
  /** How long to wait for the pipeline to catch up to a read position. */
  settleTimeoutMs: number;
  /** How long to wait for repairs to show in the canonical store (0: do not wait). */
  repairTimeoutMs: number;
  log: (line: string) => void;
  /** Called once the differences are confirmed, before the repair (to record them). */
  onDifferences?: (report: SourceReconcile) => Promise<void>;
  /** Called after the signals went out. */
  onSignals?: (report: SourceReconcile) => Promise<void>;
}

function changedSince(canonicalPosition: string | undefined, read: bigint): boolean {
  if (canonicalPosition === undefined) return false;
  try {
    return positionValue(canonicalPosition) > read;
  } catch (error) {
    if (error instanceof PositionError) return false;
    throw error;
  }
}

/**
 * Confirms candidate differences: waits until the pipeline caught up to the read, then checks each
 * candidate key again; returns the confirmed ones, and the keys changed since the read (by
 * `stock_level.source_position`, or any source or dimension row behind the key: key-positions.ts).
 */
async function confirm(
  db: SourceDatabase,
  mapping: SourceMapping,
  options: SourceReconcileOptions,
  expected: ExpectedStock,
  candidates: StockDifference[],
): Promise<{ confirmed: StockDifference[]; moved: string[]; unsettled: SourceReconcile['unsettled'] }> {
  void db;
  const settled = await waitForPosition(options.kafka, mapping, expected.position, options.groupId, options.settleTimeoutMs);
  if (!settled.settled) {
    return {
      confirmed: [],
      moved: [],
      unsettled: candidates.map((d) => ({ sku: d.sku, location: d.location, reason: `pipeline not caught up to ${expected.positionText}: ${settled.reason}` })),
    };
  }
  const keys = candidates.map((d) => ({ sku: d.sku, location: d.location }));
  const recheck = await readCanonical(options.canonical, mapping, keys);
  const ids = new Set(candidates.map((d) => keyOf(d.sku, d.location)));
  const still = compareStock(mapping.source, expected.keys, recheck, ids);
  const positions = await keyPositions(options.canonical, mapping, still);
  const moved = still
    .filter(
      (d) =>
        changedSince(recheck.get(keyOf(d.sku, d.location))?.sourcePosition, expected.positionValue) ||
        (positions.get(keyOf(d.sku, d.location)) ?? -1n) > expected.positionValue,
    )
    .map((d) => keyOf(d.sku, d.location));
  const movedSet = new Set(moved);
  return { confirmed: still.filter((d) => !movedSet.has(keyOf(d.sku, d.location))), moved, unsettled: [] };
}

/**
 * Reconciles one source against the canonical store.
 * @throws Error when the source, the canonical store, Kafka or Kafka Connect cannot be reached, or
 *   the signal cannot be inserted.
 */
export async function reconcileSource(mapping: SourceMapping, options: SourceReconcileOptions): Promise<SourceReconcile> {
  const db = await openSourceDatabase(mapping);
  try {
    let expected = await readExpectedStock(db, mapping);
    const canonical = await readCanonical(options.canonical, mapping);
    const report: SourceReconcile = {
      source: mapping.source,
      position: expected.positionText,
      rowsRead: expected.rowsRead,
      outcomes: expected.outcomes,
      rejected: expected.rejected,
      expectedKeys: expected.keys.size,
      canonicalKeys: canonical.size,
      differences: [],
      unsettled: [],
      signals: [],
      notRepairable: {},
      repaired: [],
    };
    let candidates = compareStock(mapping.source, expected.keys, canonical);
    options.log(
      `${mapping.source}: read ${Object.values(expected.rowsRead).reduce((a, b) => a + b, 0)} rows at ${expected.positionText}, ${candidates.length} candidate difference(s)`,
    );
    for (let round = 1; candidates.length > 0; round++) {
      const { confirmed, moved, unsettled } = await confirm(db, mapping, options, expected, candidates);
      report.differences.push(...confirmed);
      report.unsettled.push(...unsettled);
      if (moved.length === 0) break;
      if (round >= MAX_ROUNDS) {
        for (const id of moved) {
          const [sku, location] = id.split('\u001f') as [string, string];
          report.unsettled.push({ sku, location, reason: `changed after each of ${MAX_ROUNDS} reads (last at ${expected.positionText})` });
        }
        break;
      }
      // Keys changed since the read: read the source again and look at those keys only.
      expected = await readExpectedStock(db, mapping);
      report.position = expected.positionText;
      const only = new Set(moved);
      const keys = moved.map((id) => id.split('\u001f') as [string, string]).map(([sku, location]) => ({ sku, location }));
      candidates = compareStock(mapping.source, expected.keys, await readCanonical(options.canonical, mapping, keys), only);
    }
    await canonicalRowsBehind(options.canonical, report.differences);
    // A row the canonical store counts that the source no longer has: CDC missed its delete, and an
    // incremental snapshot emits no deletes.
    const present = new Set<string>();
    for (const key of expected.keys.values()) for (const r of key.rows) present.add(`${r.table}\u001f${r.rowKey}`);
    for (const d of report.differences) {
      const gone = d.canonicalRows.filter((r) => !present.has(`${r.table}\u001f${r.rowKey}`) && !rowExistsUnmapped(expected, r.table, r.rowKey));
      if (gone.length > 0) {
        report.notRepairable[keyOf(d.sku, d.location)] =
          `source row(s) ${gone.map((r) => `${r.table} ${r.rowKey}`).join(', ')} no longer in the source (a delete CDC did not see): an incremental snapshot emits no deletes; re-snapshot the table (docs/reconciliation.md)`;
      }
    }
    await options.onDifferences?.(report);
    if (!options.repair || report.differences.length === 0) return report;
    const rows = rowsToSnapshot(mapping, report.differences);
    report.signals = await requestSnapshots(db, mapping, rows);
    options.log(
      `${mapping.source}: asked ${mapping.connector} for an incremental snapshot of ${[...rows.values()].reduce((n, s) => n + s.size, 0)} row(s) (${report.signals.map((s) => s.id).join(', ')})`,
    );
    await options.onSignals?.(report);
    if (options.repairTimeoutMs > 0) report.repaired = await awaitRepairs(db, mapping, options, report.differences);
    return report;
  } finally {
    await db.close();
  }
}

function rowExistsUnmapped(expected: ExpectedStock, table: string, rowKey: string): boolean {
  return expected.rowIds.has(`${table}\u001f${rowKey}`);
}

/**
 * Waits until the repaired keys agree with the source (each check: a fresh read, the pipeline caught
 * up to it, the keys compared), up to `repairTimeoutMs`. Returns the keys that agree.
 */
async function awaitRepairs(db: SourceDatabase, mapping: SourceMapping, options: SourceReconcileOptions, differences: StockDifference[]): Promise<string[]> {
  const pending = new Set(differences.map((d) => keyOf(d.sku, d.location)));
  const repairedKeys: string[] = [];
  const deadline = Date.now() + options.repairTimeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    const expected = await readExpectedStock(db, mapping);
    const settled = await waitForPosition(options.kafka, mapping, expected.position, options.groupId, Math.max(1000, deadline - Date.now()));
    if (!settled.settled) break;
    const keys = [...pending].map((id) => id.split('\u001f') as [string, string]).map(([sku, location]) => ({ sku, location }));
    const left = new Set(
      compareStock(mapping.source, expected.keys, await readCanonical(options.canonical, mapping, keys), pending).map((d) => keyOf(d.sku, d.location)),
    );
    for (const id of [...pending]) {
      if (!left.has(id)) {
        pending.delete(id);
        repairedKeys.push(id);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  options.log(
    `${mapping.source}: ${repairedKeys.length} of ${differences.length} difference(s) repaired${pending.size > 0 ? `, ${pending.size} not (yet)` : ''}`,
  );
  return repairedKeys;
}
