/**
 * Pipeline metrics (Prometheus, via prom-client). Counted per process; durable totals shared by
 * all instances are in the canonical store's `pipeline_counter` table.
 */
import client from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

export const recordsConsumed = new client.Counter({
  name: 'stocksync_records_total',
  help: 'Kafka records consumed, by topic and decoded kind (change, tombstone, heartbeat, ...)',
  labelNames: ['topic', 'kind'],
  registers: [metricsRegistry],
});

export const deadLettered = new client.Counter({
  name: 'stocksync_dead_letters_total',
  help: 'Records quarantined to the dead-letter topic, by source and reason',
  labelNames: ['source', 'reason'],
  registers: [metricsRegistry],
});

export const mergeOutcomes = new client.Counter({
  name: 'stocksync_merge_rows_total',
  help: 'Source and dimension rows by merge outcome (applied, skipped_stale) and level resolution status',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

export const canonicalChanges = new client.Counter({
  name: 'stocksync_canonical_changes_total',
  help: 'Canonical stock_level rows changed',
  registers: [metricsRegistry],
});

export const publishErrors = new client.Counter({
  name: 'stocksync_publish_errors_total',
  help: 'Failed outbox publication rounds (Redis or stock.levels unavailable); rows are retried',
  registers: [metricsRegistry],
});

export const retries = new client.Counter({
  name: 'stocksync_pipeline_retries_total',
  help: 'Batch steps retried after a transient failure (Kafka, schema registry, canonical store), by step; offsets stay uncommitted meanwhile',
  labelNames: ['step'],
  registers: [metricsRegistry],
});

export const mergesIsolated = new client.Counter({
  name: 'stocksync_merge_rejected_total',
  help: 'Records the canonical store rejected for good, isolated by splitting their batch and dead-lettered (merge-rejected)',
  registers: [metricsRegistry],
});
export const mergeBatches = new client.Counter({
  name: 'stocksync_merge_batches_total',
  help: 'Merge calls (one per Kafka batch with changes; a call retried after a deadlock counts once)',
  registers: [metricsRegistry],
});

export const mergeStatements = new client.Counter({
  name: 'stocksync_merge_statements_total',
  help: 'SQL statements (database round trips) the merge sent, BEGIN/COMMIT/ROLLBACK and retried attempts included',
  registers: [metricsRegistry],
});

export const stageSeconds = new client.Histogram({
  name: 'stocksync_batch_stage_duration_seconds',
  help: 'Time one Kafka batch spent in each stage: decode (decode and normalize every record), dead_letter (producing its dead letters), merge (the merge transaction, retries and isolation included)',
  labelNames: ['stage'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const batchRecords = new client.Histogram({
  name: 'stocksync_batch_records',
  help: 'Records per Kafka batch handled (one partition, one merge transaction)',
  buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000],
  registers: [metricsRegistry],
});

export const freshnessSeconds = new client.Histogram({
  name: 'stocksync_freshness_seconds',
  help: "Time from the source's commit (Debezium source.ts_ms) of the change that last moved a canonical row to that row's canonical commit (stage=canonical) and to its publication to Redis and stock.levels (stage=published), by source; a snapshot read counts from when it was read",
  labelNames: ['source', 'stage'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [metricsRegistry],
});

export const consumerLag = new client.Gauge({
  name: 'stocksync_consumer_lag_records',
  help: "Records between the pipeline group's committed offsets and the end of each source topic (summed over partitions), read from Kafka at each scrape",
  labelNames: ['topic'],
  registers: [metricsRegistry],
});

export const outboxBacklog = new client.Gauge({
  name: 'stocksync_outbox_backlog_rows',
  help: 'Canonical changes committed but not yet published to Redis and stock.levels (rows in canonical_outbox), read every 10 s',
  registers: [metricsRegistry],
});

/** Observes one canonical change's time from its source commit to `atMs` (ms since epoch) in `stage`. */
export function observeFreshness(stage: 'canonical' | 'published', event: { source: string; source_ts_ms: number | null }, atMs: number): void {
  if (event.source_ts_ms === null) return;
  freshnessSeconds.observe({ source: event.source, stage }, Math.max(0, atMs - event.source_ts_ms) / 1000);
}
