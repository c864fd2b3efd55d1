/**
 * `stocksync bench snapshot`: a first sync of a large source. The pipeline runs (as its own
 * process) from the start; the bench applies the connectors and measures the time until Debezium
 * has written its whole snapshot, the pipeline's lag at that moment, and the time until the
 * canonical table is complete (checked against the SQL oracle).
 *
 * The source: the POS and ERPNext samples at 200 products, and a warehouse whose stock table is
 * filled straight with generate_series — N stock_quant rows over 10 internal locations (`WH1/Stock`
 * … `WH10/Stock`), 5 quants per product and location (lot_id left NULL: stock_lot is not captured),
 * so N/50 products and N/5 canonical rows. The sample seeder keeps every row in memory; this does not.
 */
import pg from 'pg';
import { stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { PIPELINE_GROUP_ID } from '../../src/config/names.ts';
import { resetCapture, seedSources } from '../demo/environment.ts';
import { oracleRow } from './oracle-row.ts';
import { startPipelineProcess } from './pipeline-process.ts';
import { peakRssMiB, processCpuSeconds, processesCpuSeconds } from './proc.ts';
import { machineRecorder, quotient, round, type BenchPart, type BenchRow } from './report.ts';
import { sampleWriter } from '../stack/accounts.ts';
import {
  applyConnectors,
  clusterCpuSeconds,
  lagOf,
  databaseBackends,
  endOffsetTotal,
  mappedTopics,
  postmasterPid,
  timeoutFor,
  type Progress,
} from './capture.ts';

/** Options of {@link runSnapshot}. */
export interface SnapshotOptions {
  /** Warehouse stock rows (stock_quant) of the source (default 500,000). */
  rows: number;
  seed: number;
  progress: Progress;
}

/** Internal warehouse locations and quants per product and location of the generated warehouse. */
const WAREHOUSES = 10;
const QUANTS_PER_LOCATION = 5;
/** Products of the POS and ERPNext samples beside the generated warehouse. */
const SAMPLE_PRODUCTS = 200;
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Replaces the warehouse's products and quants with `rows` generated quants (see the module doc);
 * the sample's locations stay. Quantities are whole or with 3 decimals, a quarter of the quants has a
 * reservation. @returns the number of products.
 */
async function fillWarehouse(endpoints: StackEndpoints, rows: number): Promise<number> {
  const products = Math.ceil(rows / (WAREHOUSES * QUANTS_PER_LOCATION));
  const client = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('TRUNCATE stock_quant, stock_lot, product_product RESTART IDENTITY');
    await client.query(
      `INSERT INTO product_product (id, default_code, name, active)
       SELECT g, 'BENCH-' || lpad(g::text, 7, '0'), 'Bench product ' || g, true FROM generate_series(1, $1::int) AS g`,
      [products],
    );
    const locations = await client.query<{ id: number }>(
      `SELECT id FROM stock_location WHERE usage = 'internal' AND complete_name LIKE 'WH%/Stock' ORDER BY id LIMIT $1`,
      [WAREHOUSES],
    );
    if (locations.rows.length < WAREHOUSES)
      throw new Error(`the warehouse sample has ${locations.rows.length} internal WH*/Stock locations, not ${WAREHOUSES}`);
    await client.query(
      `INSERT INTO stock_quant (id, product_id, location_id, lot_id, quantity, reserved_quantity, in_date, write_date)
       SELECT row_number() OVER (ORDER BY p, l, k), p, l, NULL,
              ((p * 7 + l * 13 + k * 3) % 97 + 1) + CASE WHEN p % 5 = 0 THEN 0.125 ELSE 0 END,
              CASE WHEN (p + k) % 4 = 0 THEN 1 ELSE 0 END,
              timestamp '2024-01-01 00:00:00', timestamp '2024-01-01 00:00:00'
       FROM (SELECT p, l, k FROM generate_series(1, $1::int) AS p, unnest($2::int[]) AS l, generate_series(1, $3::int) AS k
             ORDER BY p, l, k LIMIT $4) AS q`,
      [products, locations.rows.map((r) => r.id), QUANTS_PER_LOCATION, rows],
    );
    for (const t of ['product_product', 'stock_quant']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), COALESCE((SELECT max(id) FROM ${t}), 0) + 1, false)`);
    }
    await client.query('COMMIT');
    await client.query('ANALYZE stock_quant');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return products;
}

/** Latest `updated_at` of the canonical table, ms since epoch (the server's clock; same machine), or null when empty. */
async function lastCanonicalWriteMs(endpoints: StackEndpoints): Promise<number | null> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const res = await client.query<{ ms: string | null }>('SELECT (extract(epoch FROM max(updated_at)) * 1000)::bigint::text AS ms FROM stock_level');
    return res.rows[0]!.ms === null ? null : Number(res.rows[0]!.ms);
  } finally {
    await client.end();
  }
}

/** Runs the snapshot part. */
export async function runSnapshot(options: SnapshotOptions): Promise<BenchPart> {
  const say = options.progress;
  const machine = machineRecorder();
  const endpoints = stackEndpoints();
  const mappings = loadMappings();
  const topics = mappedTopics(mappings);
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  let passed = true;
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-bench' });
  try {
    say(`[snapshot 1/4] resetting capture; POS and ERPNext samples at ${SAMPLE_PRODUCTS} products, warehouse with ${options.rows} generated stock rows`);
    await resetCapture(endpoints);
    await seedSources({ seed: options.seed, products: SAMPLE_PRODUCTS, warehouses: WAREHOUSES }, endpoints);
    const products = await fillWarehouse(endpoints, options.rows);
    const expected = await snapshotRowCount(mappings);
    notes.push(
      `source: POS and ERPNext samples (seed ${options.seed}, ${SAMPLE_PRODUCTS} products) and a warehouse filled with generate_series: ` +
        `${options.rows} stock_quant rows = ${products} products × ${WAREHOUSES} locations × ${QUANTS_PER_LOCATION} quants; ${expected} snapshot records on the mapped topics`,
    );

    say('[snapshot 2/4] starting stocksync run (consumer group reset by the capture reset)');
    const postmaster = await postmasterPid(endpoints.canonical);
    const watcher = new pg.Client(endpoints.canonical);
    await watcher.connect();
    const pgBefore = clusterCpuSeconds(postmaster);
    const run = await startPipelineProcess({ output: (line) => say(`      [run] ${line}`) });
    try {
      say('[snapshot 3/4] applying the connectors; watching Kafka end offsets and the pipeline lag');
      const startedAt = Date.now();
      await applyConnectors(say);
      const appliedAt = Date.now();
      let debeziumDoneAt: number | null = null;
      let lagAtDebeziumDone = 0;
      let lag = -1;
      let shownAt = Date.now();
      const deadline = Date.now() + timeoutFor(expected) * 2;
      for (;;) {
        const inKafka = await endOffsetTotal(kafka, topics);
        lag = await lagOf(kafka, PIPELINE_GROUP_ID, topics);
        if (debeziumDoneAt === null && inKafka >= expected) {
          debeziumDoneAt = Date.now();
          lagAtDebeziumDone = lag;
          say(`      Debezium: all ${expected} snapshot records in Kafka after ${round((debeziumDoneAt - startedAt) / 1000)} s; pipeline lag ${lag}`);
        }
        if (debeziumDoneAt !== null && lag === 0) break;
        const failure = run.failure();
        if (failure) throw new Error(`${failure} (pipeline lag ${lag})`);
        if (Date.now() - shownAt > 5000) {
          shownAt = Date.now();
          say(`      ${inKafka}/${expected} snapshot records in Kafka, pipeline lag ${lag}`);
        }
        if (Date.now() > deadline) throw new Error(`snapshot not through: ${inKafka}/${expected} records in Kafka, pipeline lag ${lag}`);
        await sleep(POLL_MS);
      }
      const lagZeroAt = Date.now();
      const metrics = await run.metrics();
      const cpu = processCpuSeconds(run.pid);
      const rss = peakRssMiB(run.pid);
      const backendsCpu = processesCpuSeconds(await databaseBackends(watcher, endpoints.canonical.database));
      const pgAfter = clusterCpuSeconds(postmaster);
      const lastWrite = (await lastCanonicalWriteMs(endpoints)) ?? lagZeroAt;
      const consumed = metrics.stocksync_records_total ?? 0;
      const per10k = (cpuSeconds: number | null) => (cpuSeconds === null ? null : quotient(cpuSeconds * 10_000, consumed, 2));
      const debeziumSeconds = (debeziumDoneAt! - startedAt) / 1000;
      const canonicalSeconds = (lastWrite - startedAt) / 1000;
      rows.push({
        label: 'Debezium',
        figures: {
          records: expected,
          's from apply': round(debeziumSeconds),
          'records/s': quotient(expected, debeziumSeconds, 0),
        },
      });
      rows.push({
        label: 'stocksync',
        figures: {
          records: consumed,
          's from apply': round(canonicalSeconds),
          'records/s': quotient(consumed, canonicalSeconds, 0),
          'lag at Debezium done': lagAtDebeziumDone,
          's after Debezium done': round((lastWrite - debeziumDoneAt!) / 1000),
          'rows written': metrics.stocksync_canonical_changes_total ?? 0,
          'CPU s/10k rec, process': per10k(cpu),
          'CPU s/10k rec, PG cluster': per10k(pgBefore === null || pgAfter === null ? null : pgAfter - pgBefore),
          'CPU s/10k rec, PG backends': per10k(backendsCpu),
          'peak RSS MB': rss === null ? null : round(rss, 0),
        },
      });
      notes.push(
        `times from the first connector PUT (the three connectors RUNNING after ${round((appliedAt - startedAt) / 1000)} s); ` +
          `Debezium done = the mapped topics' end offsets reach the snapshot row count (polled every ${POLL_MS} ms); ` +
          'canonical complete = the last stock_level updated_at once the group lag is 0 (the table is then checked against the oracle)',
      );
    } finally {
      await run.stop();
      await watcher.end();
    }

    say('[snapshot 4/4] canonical table against the SQL oracle');
    const oracle = await oracleRow(endpoints);
    rows.push(oracle.row);
    if (!oracle.passed) {
      passed = false;
      notes.push(oracle.note!);
    }
  } catch (error) {
    passed = false;
    notes.push(`snapshot failed: ${(error as Error).message.split('\n')[0]}`);
    say(`      snapshot FAILED: ${(error as Error).message}`);
  } finally {
    await kafka.close();
  }
  return { part: 'snapshot', machine: machine(), rows, passed, notes };
}
