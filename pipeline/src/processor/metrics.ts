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
