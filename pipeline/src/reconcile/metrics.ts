/**
 * Reconciliation metrics (Prometheus, prom-client), on the process's one registry: served by
 * `stocksync run --reconcile-every` on its metrics port, and by `stocksync reconcile --metrics-port`.
 * Scope is a source name or `channel:<name>`.
 */
import client from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

export const lastRunSeconds = new client.Gauge({
  name: 'stocksync_reconcile_last_run_timestamp_seconds',
  help: 'When the last reconciliation of a scope finished, seconds since epoch',
  labelNames: ['scope'],
  registers: [metricsRegistry],
});

export const differencesFound = new client.Gauge({
  name: 'stocksync_reconcile_differences',
  help: 'Differences the last reconciliation of a scope found (confirmed after the pipeline caught up to the read position)',
  labelNames: ['scope'],
  registers: [metricsRegistry],
});

export const unsettledKeys = new client.Gauge({
  name: 'stocksync_reconcile_unsettled',
  help: 'Keys the last reconciliation of a scope could not decide because they kept changing or the pipeline did not catch up',
  labelNames: ['scope'],
  registers: [metricsRegistry],
});

export const repairsRequested = new client.Counter({
  name: 'stocksync_reconcile_repairs_requested_total',
  help: 'Differences for which a repair was asked for (a Debezium incremental snapshot signal, or a channel republish)',
  labelNames: ['scope'],
  registers: [metricsRegistry],
});

export const repaired = new client.Counter({
  name: 'stocksync_reconcile_repaired_total',
  help: 'Differences found agreeing with the source again after their repair',
  labelNames: ['scope'],
  registers: [metricsRegistry],
});

export const runs = new client.Counter({
  name: 'stocksync_reconcile_runs_total',
  help: 'Reconciliation runs, by outcome (clean, differences, failed)',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});
