/**
 * `stocksync bench throughput`: how fast the pipeline turns a Debezium snapshot already in Kafka
 * into canonical rows, beside the tool a user would pick instead (Debezium's JDBC sink) and the
 * ceiling of the database (plain batched upserts of the finished rows). The pipeline and the sink
 * read the same topics in turn, from their earliest offsets, with nothing else of ours running.
 * A pipeline that is fast but wrong fails the part: the canonical table must match the SQL oracle.
 */
import path from 'node:path';
import pg from 'pg';
import pRetry from 'p-retry';
import { stackEndpoints, type DatabaseEndpoint, type StackEndpoints } from '../../src/config/endpoints.ts';
import { deleteConnector, placeholderValues } from '../../src/connectors/apply.ts';
import { connectorPath, connectRequest } from '../../src/connectors/connect-rest.ts';
import { createKafkaClient, type KafkaClient } from '../../src/kafka/client.ts';
import { loadMappings, type SourceMapping } from '../../src/normalize/index.ts';
import { openSourceDatabase, snapshotRowCount } from '../../src/sources/source-database.ts';
import { tableTopic } from '../../src/normalize/index.ts';
import { PIPELINE_GROUP_ID } from '../../src/config/names.ts';
import { emptyCanonicalStore, resetCapture, seedSources } from '../demo/environment.ts';
import { oracleRow } from './oracle-row.ts';
import { isRecordAlive, readPidRecord } from '../stack/processes.ts';
import { stackPaths } from '../stack/paths.ts';
import { applyConnector } from '../../src/connectors/apply.ts';
import { jdbcSinkConnector } from './jdbc-sink.ts';
import { startPipelineProcess } from './pipeline-process.ts';
import { peakRssMiB, processCpuSeconds, processesCpuSeconds } from './proc.ts';
import { machineRecorder, quotient, round, type BenchPart, type BenchRow } from './report.ts';
import { retryWhileKafkaSettles } from '../../src/kafka/settle.ts';
import {
  applyConnectors,
  clusterCpuSeconds,
  lagOf,
  databaseBackends,
  dropDatabase,
  mappedTopics,
  postmasterPid,
  recreateDatabase,
  timeoutFor,
  waitForSnapshotInKafka,
  type Progress,
} from './capture.ts';
import { busiestProfile, readProfile, selfTimes } from './profile.ts';

/** Options of {@link runThroughput}. */
export interface ThroughputOptions {
  /** Sample size: products of the POS, warehouse and ERPNext samples (default 50,000). */
  products: number;
  /** Sample seed. */
  seed: number;
  /** Write a V8 CPU profile of the pipeline process here, and list its top self-time functions in the notes. */
  profileDir?: string;
  progress: Progress;
}

/** Rows per transaction of the ceiling's upserts. */
const CEILING_BATCH = 1000;

/** How often the bench looks at consumer group lag, ms. */
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `lag()` until it is 0; `check()` may throw to give up (a failed tool). Returns when 0 was seen, ms since epoch. */
async function untilLagZero(lag: () => Promise<number>, what: string, timeoutMs: number, progress: Progress, check?: () => Promise<void>): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let shownAt = Date.now();
  for (;;) {
    const left = await lag();
    if (left === 0) return Date.now();
    await check?.();
    if (Date.now() - shownAt > 5000) {
      shownAt = Date.now();
      progress(`      ${what}: lag ${left} records`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: lag still ${left} records after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** Runs the throughput part: seed, snapshot into Kafka, then (a) stocksync, (d) oracle, (b) JDBC sink, (c) ceiling. */
export async function runThroughput(options: ThroughputOptions): Promise<BenchPart> {
  const say = options.progress;
  const machine = machineRecorder();
  const endpoints = stackEndpoints();
  const mappings = loadMappings();
  const topics = mappedTopics(mappings);
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  let passed = true;
  const fail = (step: string, error: unknown) => {
    passed = false;
    notes.push(`${step} failed: ${(error as Error).message.split('\n')[0]}`);
    say(`      ${step} FAILED: ${(error as Error).message}`);
  };
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-bench' });
  const scratch = `${endpoints.canonical.database}_bench`;
  try {
    say(`[throughput 1/6] resetting capture, seeding the samples (seed ${options.seed}, ${options.products} products)`);
    await resetCapture(endpoints);
    const seeded = await seedSources({ seed: options.seed, products: options.products }, endpoints);
    const expected = await snapshotRowCount(mappings);
    notes.push(
      `sample seed ${options.seed}, ${options.products} products: POS ${seeded.pos.stockcurrent} stockcurrent rows, warehouse ${seeded.warehouse.quants} quants, ERPNext ${seeded.erpnext.bins} bins; ${expected} snapshot records on ${topics.length} mapped topics`,
    );

    say('[throughput 2/6] applying the connectors; waiting until Debezium has written the snapshot');
    await applyConnectors(say);
    const records = await waitForSnapshotInKafka(kafka, topics, expected, say);

    say('[throughput 3/6] (a) stocksync run, from the earliest offsets until its consumer group lag is 0');
    const ours = await measurePipeline(endpoints, kafka, topics, records, options).catch((error: unknown) => {
      fail('stocksync pipeline', error);
      return undefined;
    });
    if (ours) {
      rows.push(ours.row);
      notes.push(...ours.notes);
    }

    say('[throughput 4/6] (d) canonical table against the SQL oracle');
    try {
      const oracle = await oracleRow(endpoints);
      rows.push(oracle.row);
      if (!oracle.passed) {
        passed = false;
        notes.push(oracle.note!);
      }
    } catch (error) {
      fail('oracle check', error);
    }

    await recreateDatabase(endpoints.canonical, scratch);
    say(`[throughput 5/6] (b) Debezium JDBC sink into database ${scratch}, from the earliest offsets until its consumer groups' lag is 0`);
    const sink = await measureJdbcSink(endpoints, kafka, mappings, records, scratch, say).catch((error: unknown) => {
      fail('JDBC sink', error);
      return undefined;
    });
    if (sink) {
      rows.push(sink.row);
      notes.push(...sink.notes);
    }

    say(`[throughput 6/6] (c) ceiling: batched INSERT … ON CONFLICT DO UPDATE of the canonical rows, ${CEILING_BATCH} per transaction, one connection`);
    const ceiling = await measureCeiling(endpoints, scratch).catch((error: unknown) => {
      fail('ceiling', error);
      return undefined;
    });
    if (ceiling) rows.push(...ceiling);

    const figure = (label: string, name: string) => {
      const value = rows.find((r) => r.label === label)?.figures[name];
      return typeof value === 'number' ? value : null;
    };
    const overSink = quotient(figure('stocksync', 'records/s'), figure('JDBC sink', 'records/s'), 2);
    if (overSink !== null) ratios['stocksync/JDBC sink records/s'] = overSink;
    const overCeiling = quotient(figure('stocksync', 'rows/s'), figure('ceiling insert', 'rows/s'), 3);
    if (overCeiling !== null) ratios['stocksync/ceiling canonical rows/s'] = overCeiling;
  } catch (error) {
    fail('throughput', error);
  } finally {
    await dropDatabase(endpoints.canonical, scratch).catch(() => undefined);
    await kafka.close();
  }
  notes.push(
    'CPU s per 10k records: the process (utime+stime from /proc); "PostgreSQL cluster" = the canonical server\'s postmaster and every descendant, ' +
      'before/after — shared with every other stack and client on this machine; "PostgreSQL backends" = the backends connected to the database written, at the end',
  );
  return { part: 'throughput', machine: machine(), rows, ratios, passed, notes };
}

/** (a) The pipeline process from the earliest offsets to lag 0. */
async function measurePipeline(
  endpoints: StackEndpoints,
  kafka: KafkaClient,
  topics: string[],
  records: number,
  options: ThroughputOptions,
): Promise<{ row: BenchRow; notes: string[] }> {
  // As the demo's reset does: empty canonical tables, and the group starting over from the earliest offsets.
  await emptyCanonicalStore(endpoints);
  await pRetry(() => kafka.deleteGroups([PIPELINE_GROUP_ID]), { retries: 15, minTimeout: 1000, maxTimeout: 2000 });
  for (const topic of topics) await retryWhileKafkaSettles(() => kafka.resetGroupToEarliest(PIPELINE_GROUP_ID, topic));

  const postmaster = await postmasterPid(endpoints.canonical);
  const watcher = new pg.Client(endpoints.canonical);
  await watcher.connect();
  const pgBefore = clusterCpuSeconds(postmaster);
  const startedAt = Date.now();
  const run = await startPipelineProcess({ profileDir: options.profileDir, output: (line) => options.progress(`      [run] ${line}`) });
  try {
    const doneAt = await untilLagZero(
      () => lagOf(kafka, PIPELINE_GROUP_ID, topics),
      'stocksync',
      timeoutFor(records),
      options.progress,
      async () => {
        const failure = run.failure();
        if (failure) throw new Error(failure);
      },
    );
    // Sampled before the process stops: its counters, CPU and memory, and its database backends' CPU.
    const metrics = await run.metrics();
    const cpu = processCpuSeconds(run.pid);
    const rss = peakRssMiB(run.pid);
    const backendsCpu = processesCpuSeconds(await databaseBackends(watcher, endpoints.canonical.database));
    const pgAfter = clusterCpuSeconds(postmaster);
    const seconds = (doneAt - run.readyAtMs) / 1000;
    const consumed = metrics.stocksync_records_total ?? 0;
    const written = metrics.stocksync_canonical_changes_total ?? 0;
    const batches = metrics.stocksync_merge_batches_total ?? 0;
    const statements = metrics.stocksync_merge_statements_total ?? 0;
    const per10k = (cpuSeconds: number | null) => (cpuSeconds === null ? null : quotient(cpuSeconds * 10_000, consumed, 2));
    const notes = [
      `stocksync: consumer group ${PIPELINE_GROUP_ID} reset to earliest; wall time from joining the group (${round((run.readyAtMs - startedAt) / 1000)} s after spawn) to lag 0 (polled every ${POLL_MS} ms)`,
    ];
    if (options.profileDir) {
      await run.stop();
      const file = busiestProfile(options.profileDir, startedAt);
      if (file) {
        const times = selfTimes(readProfile(file));
        const idle = times.find((f) => f.function === '(idle)');
        const busy = times.filter((f) => f !== idle);
        const busyMs = busy.reduce((sum, f) => sum + f.selfMs, 0);
        notes.push(
          `profile of the stocksync process (main thread; its figures above were measured with the profiler on): ${file}; ${round(busyMs / 1000)} s busy, ${idle?.percent ?? 0}% of the samples idle; ` +
            'top 15 self time, % of busy time (line:column of the code tsx compiled):',
        );
        for (const f of busy.slice(0, 15))
          notes.push(`  ${String(round((f.selfMs / busyMs) * 100)).padStart(5)}%  ${String(round(f.selfMs, 0)).padStart(7)} ms  ${f.function}`);
      }
    }
    return {
      row: {
        label: 'stocksync',
        figures: {
          records: consumed,
          'wall s': round(seconds),
          'records/s': quotient(consumed, seconds, 0),
          'rows written': written,
          'rows/s': quotient(written, seconds, 0),
          'CPU s/10k rec, process': per10k(cpu),
          'CPU s/10k rec, PG cluster': per10k(pgBefore === null || pgAfter === null ? null : pgAfter - pgBefore),
          'CPU s/10k rec, PG backends': per10k(backendsCpu),
          'peak RSS MB': rss === null ? null : round(rss, 0),
          batches,
          'records/batch': quotient(consumed, batches, 1),
          'round trips/1k rec': quotient(statements * 1000, consumed, 1),
          'round trips/batch': quotient(statements, batches, 1),
        },
      },
      notes,
    };
  } finally {
    await run.stop();
    await watcher.end();
  }
}

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: Array<{ state: string; trace?: string }>;
}

/** Throws with the trace when the connector or a task has FAILED. */
async function assertNotFailed(name: string): Promise<void> {
  const { status: code, json } = await connectRequest('GET', connectorPath(name, '/status'), undefined, 10_000);
  if (code !== 200) return;
  const status = json as ConnectorStatus;
  const failed = [status.connector, ...status.tasks].find((t) => t.state === 'FAILED');
  if (failed) throw new Error(`connector ${name} FAILED: ${failed.trace ?? '(no trace)'}`);
}

/** (b) Debezium's JDBC sink over the same topics: one connector per topic format, both at once. */
async function measureJdbcSink(
  endpoints: StackEndpoints,
  kafka: KafkaClient,
  mappings: SourceMapping[],
  records: number,
  database: string,
  progress: Progress,
): Promise<{ row: BenchRow; notes: string[] }> {
  // The database as Kafka Connect reaches it (STOCKSYNC_CONNECT_* overrides apply).
  const seen = placeholderValues('connect');
  const target: DatabaseEndpoint = {
    ...endpoints.canonical,
    host: seen.STOCKSYNC_CANONICAL_HOST ?? endpoints.canonical.host,
    port: Number(seen.STOCKSYNC_CANONICAL_PORT ?? endpoints.canonical.port),
    database,
  };
  const sinks = (['json', 'avro'] as const)
    .map((format) => ({ format, topics: mappedTopics(mappings.filter((m) => m.format === format)) }))
    .filter((s) => s.topics.length > 0)
    .map(({ format, topics }) =>
      jdbcSinkConnector({
        name: `stocksync-bench-jdbc-sink-${format}`,
        topics,
        target,
        converter: format === 'json' ? { kind: 'json' } : { kind: 'avro', apicurioUrl: seen.STOCKSYNC_APICURIO_URL ?? endpoints.apicurioUrl },
      }),
    );
  const groups = sinks.map((s) => ({ name: s.name, group: `connect-${s.name}`, topics: s.config.topics!.split(',') }));
  for (const { name, group } of groups) {
    await deleteConnector(name);
    // The deleted connector's consumer leaves its group within a session timeout.
    await pRetry(() => kafka.deleteGroups([group]), { retries: 30, minTimeout: 1000, maxTimeout: 2000 });
  }

  const prepared = await prepareSinkTables(mappings, { ...endpoints.canonical, database });
  if (prepared.length > 0)
    progress(`      created ${prepared.join(', ')} beforehand: a key column may be NULL (UNIQUE NULLS NOT DISTINCT instead of a primary key)`);

  const connect = readPidRecord(path.join(stackPaths().run, 'kafka-connect.pid'));
  const connectPid = isRecordAlive(connect) ? connect.pid : null;
  const postmaster = await postmasterPid(endpoints.canonical);
  const watcher = new pg.Client(endpoints.canonical);
  await watcher.connect();
  try {
    const connectBefore = connectPid === null ? null : processCpuSeconds(connectPid);
    const pgBefore = clusterCpuSeconds(postmaster);
    const startedAt = Date.now();
    for (const sink of sinks) {
      await applyConnector(sink);
      progress(`      ${sink.name}: RUNNING (${sink.config.topics})`);
    }
    const totalLag = async () => {
      let lag = 0;
      for (const g of groups) lag += await lagOf(kafka, g.group, g.topics);
      return lag;
    };
    const doneAt = await untilLagZero(totalLag, 'JDBC sink', timeoutFor(records), progress, async () => {
      for (const { name } of groups) await assertNotFailed(name);
    });
    const connectAfter = connectPid === null ? null : processCpuSeconds(connectPid);
    const backendsCpu = processesCpuSeconds(await databaseBackends(watcher, database));
    const pgAfter = clusterCpuSeconds(postmaster);
    const seconds = (doneAt - startedAt) / 1000;

    const targetClient = new pg.Client({ ...endpoints.canonical, database });
    await targetClient.connect();
    let written = 0;
    try {
      const tables = await targetClient.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      for (const { table_name } of tables.rows) {
        const count = await targetClient.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table_name.replace(/"/g, '""')}"`);
        written += Number(count.rows[0]!.n);
      }
    } finally {
      await targetClient.end();
    }
    const per10k = (cpuSeconds: number | null) => (cpuSeconds === null ? null : quotient(cpuSeconds * 10_000, records, 2));
    const notes = [
      `JDBC sink: ${sinks.map((s) => s.name).join(' and ')} at once (upsert, primary.key.mode=record_key, delete.enabled), from the earliest offsets; wall time from the first PUT to lag 0 of their groups; CPU of the whole Connect JVM (the idle source connectors included)`,
    ];
    if (prepared.length > 0) {
      notes.push(
        `JDBC sink: ${prepared.join(', ')} created beforehand with UNIQUE NULLS NOT DISTINCT on the record key: a key column may be NULL, which the sink's own primary key cannot hold`,
      );
    }
    const row: BenchRow = {
      label: 'JDBC sink',
      figures: {
        records,
        'wall s': round(seconds),
        'records/s': quotient(records, seconds, 0),
        'rows written': written,
        'rows/s': quotient(written, seconds, 0),
        'CPU s/10k rec, process': per10k(connectBefore === null || connectAfter === null ? null : connectAfter - connectBefore),
        'CPU s/10k rec, PG cluster': per10k(pgBefore === null || pgAfter === null ? null : pgAfter - pgBefore),
        'CPU s/10k rec, PG backends': per10k(backendsCpu),
      },
    };
    return { row, notes };
  } finally {
    for (const { name, group } of groups) {
      await deleteConnector(name).catch(() => undefined);
      await pRetry(() => kafka.deleteGroups([group]), { retries: 30, minTimeout: 1000, maxTimeout: 2000 }).catch(() => undefined);
    }
    await watcher.end();
  }
}

/** Source column types (information_schema, lower case) the bench can give the sink's tables, and their PostgreSQL type. */
const SINK_COLUMN_TYPES: Record<string, string> = {
  varchar: 'text',
  char: 'text',
  text: 'text',
  'character varying': 'text',
  character: 'text',
  double: 'double precision',
  'double precision': 'double precision',
  float: 'real',
  real: 'real',
  int: 'integer',
  integer: 'integer',
  mediumint: 'integer',
  smallint: 'smallint',
  tinyint: 'smallint',
  bigint: 'bigint',
  decimal: 'numeric',
  numeric: 'numeric',
  boolean: 'boolean',
};

/**
 * Creates the sink's table of every stock table whose row key has a column the source allows to be
 * NULL (the POS's stockcurrent, keyed by location, product and attributesetinstance_id). The sink
 * would make the record key its primary key, and a primary key column cannot hold NULL: its insert
 * fails. A user does what this does — creates the table first, every column as in the source and the
 * key as a UNIQUE NULLS NOT DISTINCT constraint (PostgreSQL 15) that the sink's ON CONFLICT uses.
 * @returns the tables created.
 * @throws Error when such a table has a column type this does not map.
 */
async function prepareSinkTables(mappings: SourceMapping[], target: DatabaseEndpoint): Promise<string[]> {
  const statements: Array<{ table: string; sql: string }> = [];
  for (const mapping of mappings) {
    const source = await openSourceDatabase(mapping);
    try {
      for (const [table, spec] of Object.entries(mapping.tables)) {
        const columns = await source.columns(table);
        if (!columns || !spec.row_key.some((c) => columns.get(c)?.nullable)) continue;
        const name = tableTopic(mapping, table).replace(/\./g, '_');
        const definitions = [...columns].map(([column, { dataType, nullable }]) => {
          const type = SINK_COLUMN_TYPES[dataType];
          if (!type) throw new Error(`${mapping.source}.${table}.${column}: type ${dataType} has no sink column type in the bench`);
          return `"${column}" ${type}${nullable ? '' : ' NOT NULL'}`;
        });
        statements.push({
          table: name,
          sql: `CREATE TABLE "${name}" (${definitions.join(', ')}, UNIQUE NULLS NOT DISTINCT (${spec.row_key.map((c) => `"${c}"`).join(', ')}))`,
        });
      }
    } finally {
      await source.close();
    }
  }
  if (statements.length === 0) return [];
  const client = new pg.Client(target);
  await client.connect();
  try {
    for (const { sql } of statements) await client.query(sql);
  } finally {
    await client.end();
  }
  return statements.map((s) => s.table);
}

/** (c) The database's ceiling: the finished canonical rows upserted in batches, inserted then updated. */
async function measureCeiling(endpoints: StackEndpoints, database: string): Promise<BenchRow[]> {
  const canonical = new pg.Client(endpoints.canonical);
  await canonical.connect();
  let source: string[][];
  try {
    const res = await canonical.query<Record<string, string | null>>(
      `SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, source, source_position, source_ts_ms::text, version::text, updated_at::text
       FROM stock_level`,
    );
    const columns = ['sku', 'location', 'on_hand', 'reserved', 'safety_stock', 'source', 'source_position', 'source_ts_ms', 'version', 'updated_at'];
    source = columns.map((c) => res.rows.map((r) => r[c] as string));
  } finally {
    await canonical.end();
  }
  const total = source[0]!.length;
  const client = new pg.Client({ ...endpoints.canonical, database });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ceiling_stock_level (
      sku text NOT NULL, location text NOT NULL, on_hand numeric NOT NULL, reserved numeric NOT NULL DEFAULT 0,
      available numeric GENERATED ALWAYS AS (on_hand - reserved) STORED, safety_stock numeric,
      source text NOT NULL, source_position text NOT NULL, source_ts_ms bigint, version bigint NOT NULL, updated_at timestamptz NOT NULL,
      PRIMARY KEY (sku, location))`);
    const pass = async (label: string, versionBump: number): Promise<BenchRow> => {
      const startedAt = Date.now();
      for (let i = 0; i < total; i += CEILING_BATCH) {
        const slice = source.map((column) => column.slice(i, i + CEILING_BATCH));
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO ceiling_stock_level (sku, location, on_hand, reserved, safety_stock, source, source_position, source_ts_ms, version, updated_at)
           SELECT sku, location, oh, rs, ss, src, pos, ts, v + $11, at
           FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::timestamptz[])
                AS e(sku, location, oh, rs, ss, src, pos, ts, v, at)
           ON CONFLICT (sku, location) DO UPDATE SET
             on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, safety_stock = EXCLUDED.safety_stock, source = EXCLUDED.source,
             source_position = EXCLUDED.source_position, source_ts_ms = EXCLUDED.source_ts_ms, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
          [...slice, versionBump],
        );
        await client.query('COMMIT');
      }
      const seconds = (Date.now() - startedAt) / 1000;
      return { label, figures: { 'wall s': round(seconds, 2), 'rows written': total, 'rows/s': quotient(total, seconds, 0) } };
    };
    return [await pass('ceiling insert', 0), await pass('ceiling update', 1)];
  } finally {
    await client.end();
  }
}
