/**
 * End-to-end latency of the live workload: from the wall time at which a source transaction's
 * COMMIT returned (recorded by the workload generator) to (a) the canonical merge transaction that
 * applied its changes committing and (b) the Redis invalidation of the canonical keys it changed.
 * Source transactions are matched by id: the MariaDB GTID / PostgreSQL xid that the workload reads
 * after committing and that Debezium reports as `source.gtid` / `source.txId`.
 * All times are `Date.now()` on this host, so they share one clock.
 */
import type { MergeResult } from '../../src/merge/index.ts';
import type { PublishedChange } from '../../src/serve/index.ts';
import type { SampleSourceName } from './oracle-check.ts';

/** What the tracker needs of a committed source transaction (any sample workload's operation). */
export interface TrackedOperation {
  /** Operation kind, prefixed by its source lane: `pos.`, `wms.` or `erp.`. */
  kind: string;
  /** Source transaction id as Debezium reports it (GTID / xid); null when unknown. */
  txId: string | null;
  /** Wall time when COMMIT returned, ms since epoch. */
  committedAtMs: number;
  /** Canonical keys it changed (null where the row maps to none). */
  touched: Array<{ sku: string | null; location: string | null }>;
}

type PerSource<T> = Record<'all' | SampleSourceName, T>;
const SOURCES: SampleSourceName[] = ['pos', 'warehouse', 'erpnext'];

/** Latency percentiles in ms (nearest-rank), with the sample count. */
export interface LatencyStats {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentiles of a list of durations (ms). */
export function percentiles(values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted.length ? sorted[sorted.length - 1]! : null };
}

const sourceOf = (op: TrackedOperation): SampleSourceName => (op.kind.startsWith('pos.') ? 'pos' : op.kind.startsWith('erp.') ? 'erpnext' : 'warehouse');

export class LatencyTracker {
  private readonly operations: TrackedOperation[] = [];
  /** `${source}|${txId}` -> last merge commit that applied a change of that transaction. */
  private readonly mergedAt = new Map<string, number>();
  /** `${source}|${txId}` -> canonical events (`${sku}|${location}|${version}`) of the merges that applied it. */
  private readonly eventsOfTx = new Map<string, Set<string>>();
  private readonly publishedAt = new Map<string, number>();
  snapshotApplied = 0;
  streamingApplied = 0;
  invalidations = 0;

  addOperation(op: TrackedOperation): void {
    this.operations.push(op);
  }

  get operationCount(): number {
    return this.operations.length;
  }

  onMerged(result: MergeResult): void {
    this.snapshotApplied += result.snapshotApplied;
    this.streamingApplied += result.applied - result.snapshotApplied;
    const events = result.canonical.map((e) => `${e.sku}|${e.location}|${e.version}`);
    for (const level of result.appliedLevels) {
      if (level.snapshot || level.txId === null) continue;
      const tx = `${level.source}|${level.txId}`;
      this.mergedAt.set(tx, Math.max(this.mergedAt.get(tx) ?? 0, result.committedAtMs));
      const set = this.eventsOfTx.get(tx) ?? new Set<string>();
      for (const e of events) set.add(e);
      this.eventsOfTx.set(tx, set);
    }
  }

  onPublished(changes: PublishedChange[]): void {
    for (const { event, invalidatedAtMs } of changes) {
      this.publishedAt.set(`${event.sku}|${event.location}|${event.version}`, invalidatedAtMs);
    }
    this.invalidations += changes.length;
  }

  private txOf(op: TrackedOperation): string | null {
    return op.txId === null ? null : `${sourceOf(op)}|${op.txId}`;
  }

  /** Operations whose transaction the pipeline has not merged yet. */
  pending(): TrackedOperation[] {
    return this.operations.filter((op) => {
      const tx = this.txOf(op);
      return tx !== null && !this.mergedAt.has(tx);
    });
  }

  /**
   * Every merged live transaction with the canonical events it caused on the keys it touched
   * (`sku|location|version`), for later stages (channels) to time themselves against.
   */
  *transactions(): Generator<{ source: SampleSourceName; committedAtMs: number; events: string[] }> {
    for (const op of this.operations) {
      const tx = this.txOf(op);
      if (tx === null || !this.mergedAt.has(tx)) continue;
      const touched = new Set(op.touched.filter((t) => t.sku !== null && t.location !== null).map((t) => `${t.sku}|${t.location}|`));
      const events = [...(this.eventsOfTx.get(tx) ?? [])].filter((e) => touched.has(e.slice(0, e.lastIndexOf('|') + 1)));
      yield { source: sourceOf(op), committedAtMs: op.committedAtMs, events };
    }
  }

  /** Latency figures per stage, overall and per source. */
  summary(): { toCanonical: PerSource<LatencyStats>; toRedis: PerSource<LatencyStats> } {
    const canonical = Object.fromEntries(SOURCES.map((s) => [s, [] as number[]])) as Record<SampleSourceName, number[]>;
    const redis = Object.fromEntries(SOURCES.map((s) => [s, [] as number[]])) as Record<SampleSourceName, number[]>;
    for (const op of this.operations) {
      const tx = this.txOf(op);
      if (tx === null) continue;
      const merged = this.mergedAt.get(tx);
      if (merged === undefined) continue;
      const source = sourceOf(op);
      canonical[source].push(merged - op.committedAtMs);
      // The op's own canonical keys among the events of the merges that applied it.
      const touched = new Set(op.touched.filter((t) => t.sku !== null && t.location !== null).map((t) => `${t.sku}|${t.location}|`));
      let invalidated = 0;
      for (const event of this.eventsOfTx.get(tx) ?? []) {
        const prefix = event.slice(0, event.lastIndexOf('|') + 1);
        const at = this.publishedAt.get(event);
        if (touched.has(prefix) && at !== undefined) invalidated = Math.max(invalidated, at);
      }
      if (invalidated > 0) redis[source].push(invalidated - op.committedAtMs);
    }
    const stats = (samples: Record<SampleSourceName, number[]>): PerSource<LatencyStats> => ({
      all: percentiles(SOURCES.flatMap((s) => samples[s])),
      pos: percentiles(samples.pos),
      warehouse: percentiles(samples.warehouse),
      erpnext: percentiles(samples.erpnext),
    });
    return { toCanonical: stats(canonical), toRedis: stats(redis) };
  }
}
