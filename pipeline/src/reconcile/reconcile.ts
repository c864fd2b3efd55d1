/**
 * `stocksync reconcile`: every mapped source (or one) against the canonical store, then the channel
 * tables against the channel rules; differences recorded in the audit tables (`reconcile_run`,
 * `reconcile_difference`, migration 006) and the metrics; repairs through the pipeline when asked.
 * Per-source work: sources.ts; channels: channels.ts. docs/reconciliation.md.
 */
import pg from 'pg';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import { PIPELINE_GROUP_ID } from '../config/names.ts';
import { createKafkaClient } from '../kafka/client.ts';
import { prepareCanonicalStore } from '../merge/index.ts';
import { loadMappings, type SourceMapping } from '../normalize/index.ts';
import { reconcileChannels, type ChannelReconcile } from './channels.ts';
import { keyOf } from './expected.ts';
import { differencesFound, lastRunSeconds, repaired, repairsRequested, runs, unsettledKeys } from './metrics.ts';
import { reconcileSource, type SourceReconcile } from './sources.ts';

export interface ReconcileOptions {
  /** Only these sources (mapping `source` names); default every mapping. */
  sources?: string[];
  /** The mappings to reconcile (default: every file in schemas/sources). */
  mappings?: SourceMapping[];
  /** Reconcile the channel tables too (default: when no source is named). */
  channels?: boolean;
  repair?: boolean;
  /** The pipeline's consumer group (default stocksync-pipeline). */
  groupId?: string;
  /** How long to wait for the pipeline to catch up to a read, ms (default 120 000). */
  settleTimeoutMs?: number;
  /** How long to wait for repairs to land, ms (default 180 000; 0 = do not wait). */
  repairTimeoutMs?: number;
  endpoints?: StackEndpoints;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** A whole run's report (`stocksync reconcile --json`). */
export interface ReconcileReport {
  runId: number;
  startedAtMs: number;
  finishedAtMs: number;
  sources: SourceReconcile[];
  channels: ChannelReconcile[];
  /** Confirmed differences over sources and channels. */
  differences: number;
  repairsRequested: number;
  repaired: number;
  unsettled: number;
}

/** JSON.stringify that writes bigints as strings. */
function json(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Runs one reconciliation.
 * @throws Error naming the source when a source name is unknown; connection errors of the parts it reaches.
 */
export async function reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const all = options.mappings ?? loadMappings();
  for (const name of options.sources ?? []) {
    if (!all.some((m) => m.source === name)) throw new Error(`no mapping file for source "${name}" (sources: ${all.map((m) => m.source).join(', ')})`);
  }
  const mappings = options.sources ? all.filter((m) => options.sources!.includes(m.source)) : all;
  const withChannels = options.channels ?? !options.sources;
  const repair = options.repair ?? false;
  const log = options.log ?? (() => undefined);
  const settleTimeoutMs = options.settleTimeoutMs ?? 120_000;
  const repairTimeoutMs = options.repairTimeoutMs ?? 180_000;
  await prepareCanonicalStore(endpoints);
  const pool = new pg.Pool({ ...endpoints.canonical, max: 2 });
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-reconcile' });
  const canonical = await pool.connect();
  const startedAtMs = Date.now();
  const scope = [...mappings.map((m) => m.source), ...(withChannels ? ['channels'] : [])];
  try {
    const run = await canonical.query<{ id: string }>('INSERT INTO reconcile_run (scope, repair) VALUES ($1, $2) RETURNING id::text', [scope, repair]);
    const runId = Number(run.rows[0]!.id);
    const recordDifferences = async (report: SourceReconcile) => {
      for (const d of report.differences) {
        await canonical.query(
          `INSERT INTO reconcile_difference (run_id, scope, sku, location, kind, expected, actual, source_rows, source_position, not_repairable)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            runId,
            d.source,
            d.sku,
            d.location,
            d.kind,
            json(d.expected),
            d.actual === null ? null : json(d.actual),
            json({ source: d.sourceRows, canonical: d.canonicalRows }),
            report.position,
            report.notRepairable[keyOf(d.sku, d.location)] ?? null,
          ],
        );
      }
    };
    const recordSignals = async (report: SourceReconcile) => {
      const ids = report.signals.map((s) => s.id).join(',');
      await canonical.query(`UPDATE reconcile_difference SET repair = $3, repair_requested_at = clock_timestamp() WHERE run_id = $1 AND scope = $2`, [
        runId,
        report.source,
        `debezium execute-snapshot ${ids}`,
      ]);
    };
    const sources: SourceReconcile[] = [];
    for (const mapping of mappings) {
      const report = await reconcileSource(mapping, {
        canonical,
        kafka,
        groupId: options.groupId ?? PIPELINE_GROUP_ID,
        repair,
        settleTimeoutMs,
        repairTimeoutMs,
        log,
        onDifferences: recordDifferences,
        onSignals: recordSignals,
      });
      sources.push(report);
      if (report.repaired.length > 0) {
        await canonical.query(
          `UPDATE reconcile_difference SET repaired_at = clock_timestamp()
           WHERE run_id = $1 AND scope = $2 AND (sku, location) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
          [runId, report.source, report.repaired.map((id) => id.split('\u001f')[0]), report.repaired.map((id) => id.split('\u001f')[1])],
        );
      }
      differencesFound.set({ scope: report.source }, report.differences.length);
      unsettledKeys.set({ scope: report.source }, report.unsettled.length);
      if (report.signals.length > 0) repairsRequested.inc({ scope: report.source }, report.differences.length);
      repaired.inc({ scope: report.source }, report.repaired.length);
      lastRunSeconds.set({ scope: report.source }, Date.now() / 1000);
    }
    const channels = withChannels ? await reconcileChannels({ endpoints, canonical, pool, kafka, repair, settleTimeoutMs, repairTimeoutMs, log }) : [];
    for (const c of channels) {
      const scopeName = `channel:${c.channel}`;
      for (const m of c.differences) {
        await canonical.query(
          `INSERT INTO reconcile_difference (run_id, scope, sku, location, kind, expected, actual, repair, repair_requested_at, repaired_at, not_repairable)
           VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, CASE WHEN $7::text IS NULL THEN NULL ELSE clock_timestamp() END, CASE WHEN $8 THEN clock_timestamp() END, $9)`,
          [
            runId,
            scopeName,
            m.sku,
            m.kind,
            m.expected === null ? null : json(m.expected),
            m.actual === null ? null : json(m.actual),
            c.republished.includes(m.sku) ? 'republish canonical rows through the outbox' : null,
            c.repaired.includes(m.sku),
            c.notRepairable[m.sku] ?? null,
          ],
        );
      }
      differencesFound.set({ scope: scopeName }, c.differences.length);
      unsettledKeys.set({ scope: scopeName }, c.unsettled);
      repairsRequested.inc({ scope: scopeName }, c.republished.length);
      repaired.inc({ scope: scopeName }, c.repaired.length);
      lastRunSeconds.set({ scope: scopeName }, Date.now() / 1000);
    }
    const report: ReconcileReport = {
      runId,
      startedAtMs,
      finishedAtMs: Date.now(),
      sources,
      channels,
      differences: sources.reduce((n, s) => n + s.differences.length, 0) + channels.reduce((n, c) => n + c.differences.length, 0),
      repairsRequested:
        sources.reduce((n, s) => n + (s.signals.length > 0 ? s.differences.length : 0), 0) + channels.reduce((n, c) => n + c.republished.length, 0),
      repaired: sources.reduce((n, s) => n + s.repaired.length, 0) + channels.reduce((n, c) => n + c.repaired.length, 0),
      unsettled: sources.reduce((n, s) => n + s.unsettled.length, 0) + channels.reduce((n, c) => n + c.unsettled, 0),
    };
    await canonical.query(
      `UPDATE reconcile_run SET finished_at = clock_timestamp(), differences = $2, repairs_requested = $3, repaired = $4, unsettled = $5, report = $6 WHERE id = $1`,
      [runId, report.differences, report.repairsRequested, report.repaired, report.unsettled, json(report)],
    );
    runs.inc({ outcome: report.differences > 0 ? 'differences' : 'clean' });
    return report;
  } catch (error) {
    runs.inc({ outcome: 'failed' });
    throw error;
  } finally {
    canonical.release();
    await pool.end();
    await kafka.close();
  }
}
