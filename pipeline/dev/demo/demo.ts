/**
 * `npm run demo` / `stocksync demo`: the whole flow on the real local stack — stack up, seed both
 * sample sources, apply the connectors, run the pipeline through the snapshot, run a live workload,
 * drain, and print a summary (snapshot rows, live changes, canonical rows, oracle mismatches,
 * end-to-end latency, Redis invalidations).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import pino from 'pino';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { sampleWriters } from '../stack/accounts.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { sourceCaughtUp } from '../../src/connectors/caught-up.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { startPipeline } from '../../src/processor/processor.ts';
import { awaitWorkloads, runWorkload } from '../sample/shared/workload.ts';
import { posWorkload } from '../sample/pos/workload.ts';
import { warehouseWorkload } from '../sample/warehouse/workload.ts';
import { erpnextWorkload } from '../sample/erpnext/workload.ts';
import { stackUp } from '../stack/stack.ts';
import { resetCapture, seedSources } from './environment.ts';
import { LatencyTracker, type LatencyStats } from './latency.ts';
import { checkAgainstOracle, type SampleSourceName } from './oracle-check.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { waitStable } from './quiescence.ts';
import { startChannels } from '../../src/channels/index.ts';
import { resetChannels } from '../../src/channels/index.ts';
import { checkChannels } from '../../src/channels/index.ts';
import { ChannelLatencyRecorder, channelLatencySamples } from './channel-latency.ts';
import { percentiles } from './latency.ts';
import { PIPELINE_GROUP_ID } from '../../src/config/names.ts';

export interface DemoOptions {
  seed: number;
  products: number;
  /** Live workload rate, operations per second (both sources together). */
  rate: number;
  /** Live workload duration, ms. */
  durationMs: number;
  /** Progress lines go here (stderr when --json). */
  progress: (line: string) => void;
}

export interface DemoSummary {
  seed: number;
  products: number;
  snapshotRows: number;
  liveOperations: number;
  liveChangeEvents: number;
  workloadRate: number;
  canonicalRows: number;
  oracleMismatches: number;
  oracleMismatchesBySource: Record<SampleSourceName, number>;
  redisInvalidations: number;
  deadLetters: number;
  /** Per channel: rows and mismatches against the channel rules applied to the canonical table. */
  channels: Array<{ channel: string; rows: number; mismatches: number }>;
  channelMismatches: number;
  latencyMs: {
    commitToCanonical: Record<'all' | SampleSourceName, LatencyStats>;
    commitToRedis: Record<'all' | SampleSourceName, LatencyStats>;
    /** Source commit -> channel database commit, per channel. */
    commitToChannel: Record<string, Record<'all' | SampleSourceName, LatencyStats>>;
  };
  clocks: string;
  durationMs: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const say = options.progress;
  const endpoints = stackEndpoints();

  say('[1/6] stack: starting what is not running');
  await stackUp((line) => say(`      ${line}`));

  say(`[2/6] resetting capture and channels, seeding the POS, warehouse and ERPNext sources (seed ${options.seed}, ${options.products} products)`);
  await resetCapture(endpoints);
  await resetChannels({ endpoints });
  const seeded = await seedSources({ seed: options.seed, products: options.products }, endpoints);
  const expectedSnapshot = await snapshotRowCount(loadMappings());
  say(
    `      POS: ${seeded.pos.products} products, ${seeded.pos.stockcurrent} stockcurrent rows; warehouse: ${seeded.warehouse.products} products, ${seeded.warehouse.quants} quants`,
  );

  const tracker = new LatencyTracker();
  let deadLetters = 0;
  const pipeline = await startPipeline({
    endpoints,
    logger: pino({ name: 'stocksync', level: 'warn' }, pino.destination(2)),
    hooks: {
      onMerged: (result) => tracker.onMerged(result),
      onPublished: (changes) => tracker.onPublished(changes),
      onDeadLetter: () => deadLetters++,
    },
  });
  const channelLatency = new ChannelLatencyRecorder();
  const channels = await startChannels({
    endpoints,
    logger: pino({ name: 'stocksync-channels', level: 'warn' }, pino.destination(2)),
    hooks: { onCommitted: channelLatency.onCommitted },
  });
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-demo' });
  try {
    say('[3/6] applying connectors (Debezium snapshot starts)');
    for (const file of connectorFiles()) {
      const connector = loadConnector(file);
      await applyConnector(connector);
      say(`      ${connector.name}: RUNNING`);
    }
    const snapshotStart = Date.now();
    let lastShown = 0;
    await waitStable(
      async () => {
        if (Date.now() - lastShown > 1000) {
          lastShown = Date.now();
          say(`      snapshot: ${tracker.snapshotApplied}/${expectedSnapshot} rows merged`);
        }
        return tracker.snapshotApplied >= expectedSnapshot;
      },
      { stableMs: 0, timeoutMs: 300_000, describe: () => `${tracker.snapshotApplied}/${expectedSnapshot} snapshot rows merged` },
    );
    await pipeline.drainOutbox();
    say(`      snapshot merged in ${((Date.now() - snapshotStart) / 1000).toFixed(1)} s`);

    say(`[4/6] live workload: ${options.rate} ops/s for ${(options.durationMs / 1000).toFixed(0)} s`);
    const invalidationsBefore = tracker.invalidations;
    const streamingBefore = tracker.streamingApplied;
    // The workload writes as the sample application, not as the connector users.
    const writers = sampleWriters(endpoints);
    const pos = await mysql.createConnection(connectionOptions(writers.pos));
    const erpnext = await mysql.createConnection(connectionOptions(writers.erpnext));
    const warehouse = new pg.Client(writers.warehouse);
    await warehouse.connect();
    const ticker = setInterval(() => {
      say(
        `      so far: ${tracker.operationCount} source transactions committed, ${tracker.operationCount - tracker.pending().length} merged, ${tracker.invalidations - invalidationsBefore} Redis invalidations`,
      );
    }, 5000);
    let committed = 0;
    let achievedRate = 0;
    try {
      // Two thirds of the rate on the POS and warehouse lanes, one third on ERPNext.
      // One failing stops the other, and both have stopped before the connections close.
      const stop = new AbortController();
      const common = { seed: options.seed, products: options.products, durationMs: options.durationMs, keepOperations: false, signal: stop.signal };
      const [main, erp] = await awaitWorkloads(stop, [
        runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], { ...common, rate: (options.rate * 2) / 3, onCommit: (op) => tracker.addOperation(op) }),
        runWorkload([erpnextWorkload(erpnext)], { ...common, rate: options.rate / 3, onCommit: (op) => tracker.addOperation(op) }),
      ]);
      committed = main.committed + erp.committed;
      achievedRate = main.achievedRate + erp.achievedRate;
    } finally {
      clearInterval(ticker);
      await pos.end();
      await erpnext.end();
      await warehouse.end();
    }

    say('[5/6] draining: waiting until the connectors have read their sources and every committed transaction is merged and published');
    const groupTopics = pipeline.topics;
    const captureConnectors = [
      ...new Set(
        loadMappings()
          .map((m) => m.connector)
          .filter((c): c is string => Boolean(c)),
      ),
    ];
    const capture = () => Promise.all(captureConnectors.map((c) => sourceCaughtUp(c)));
    // Connectors first: a FAILED or lagging connector leaves changes in no topic, and lag 0 then means nothing.
    await waitStable(
      async () => (await capture()).every((c) => c.caughtUp) && tracker.pending().length === 0 && (await groupLag(kafka, PIPELINE_GROUP_ID, groupTopics)) === 0,
      {
        stableMs: 1000,
        timeoutMs: 30_000,
        describe: async () =>
          `${(await capture())
            .filter((c) => !c.caughtUp)
            .map((c) => `${c.connector} not caught up: ${c.reason}; `)
            .join('')}` +
          `${tracker.pending().length} transactions not merged (${tracker
            .pending()
            .slice(0, 5)
            .map((op) => `${op.kind} tx ${op.txId}`)
            .join(', ')}), ` +
          `lag ${await groupLag(kafka, PIPELINE_GROUP_ID, groupTopics)}`,
      },
    );
    await pipeline.drainOutbox();
    await waitStable(async () => Object.values(await channels.lag()).every((n) => n === 0), {
      stableMs: 1000,
      timeoutMs: 60_000,
      describe: async () => `channel lag ${JSON.stringify(await channels.lag())}`,
    });

    say('[6/6] comparing the canonical table with the SQL oracle over the sources, and the channels with their rules');
    const oracle = await checkAgainstOracle(endpoints);
    const channelReport = await checkChannels({ endpoints });
    for (const c of channelReport.channels) {
      for (const m of c.mismatches.slice(0, 5)) say(`      CHANNEL MISMATCH ${c.channel}: ${JSON.stringify(m)}`);
    }
    const channelSamples = channelLatencySamples(channelLatency, tracker.transactions());
    for (const m of oracle.mismatches.slice(0, 10)) {
      say(`      MISMATCH ${m.sku} @ ${m.location}: expected ${JSON.stringify(m.expected)}, canonical ${JSON.stringify(m.actual)}`);
    }
    const latency = tracker.summary();
    return {
      seed: options.seed,
      products: options.products,
      snapshotRows: tracker.snapshotApplied,
      liveOperations: committed,
      liveChangeEvents: tracker.streamingApplied - streamingBefore,
      workloadRate: Math.round(achievedRate * 10) / 10,
      canonicalRows: oracle.canonicalRows,
      oracleMismatches: oracle.mismatches.length,
      oracleMismatchesBySource: oracle.bySource,
      redisInvalidations: tracker.invalidations - invalidationsBefore,
      deadLetters,
      channels: channelReport.channels.map((c) => ({ channel: c.channel, rows: c.channelRows, mismatches: c.mismatches.length })),
      channelMismatches: channelReport.mismatches.length,
      latencyMs: {
        commitToCanonical: latency.toCanonical,
        commitToRedis: latency.toRedis,
        commitToChannel: Object.fromEntries(
          Object.entries(channelSamples).map(([channel, samples]) => [
            channel,
            { all: percentiles(samples.all), pos: percentiles(samples.pos), warehouse: percentiles(samples.warehouse), erpnext: percentiles(samples.erpnext) },
          ]),
        ),
      },
      clocks:
        "start = wall clock (Date.now) when the workload generator's COMMIT returned; canonical = wall clock after the merge transaction's COMMIT returned; " +
        'Redis = wall clock after the invalidation MULTI was acknowledged; channel = wall clock after the channel database write committed; all on this host. Debezium source.ts_ms is not used: MariaDB binlog timestamps have 1 s resolution.',
      durationMs: Date.now() - started,
    };
  } finally {
    await kafka.close();
    await channels.stop();
    await pipeline.stop();
  }
}

const fmt = (v: number | null) => (v === null ? '-' : String(v)).padStart(6);

/** The summary as a table for people. */
export function formatSummary(s: DemoSummary): string {
  const row = (label: string, l: LatencyStats) => `    ${label.padEnd(28)}${fmt(l.p50)}${fmt(l.p95)}${fmt(l.p99)}${fmt(l.max)}${String(l.n).padStart(7)}`;
  return [
    '',
    'stocksync demo — summary',
    `  snapshot rows merged        ${s.snapshotRows}`,
    `  live operations             ${s.liveOperations} source transactions (${s.workloadRate}/s), ${s.liveChangeEvents} change events merged`,
    `  canonical rows              ${s.canonicalRows}`,
    `  oracle mismatches           ${s.oracleMismatches} (pos ${s.oracleMismatchesBySource.pos}, warehouse ${s.oracleMismatchesBySource.warehouse}, erpnext ${s.oracleMismatchesBySource.erpnext})  ${s.oracleMismatches === 0 ? 'PASS' : 'FAIL'}`,
    `  Redis invalidations         ${s.redisInvalidations} (live phase)`,
    `  dead letters                ${s.deadLetters}`,
    `  channel mismatches          ${s.channelMismatches} (${s.channels.map((c) => `${c.channel} ${c.mismatches} of ${c.rows} rows`).join(', ')})  ${s.channelMismatches === 0 ? 'PASS' : 'FAIL'}`,
    '  end-to-end latency, ms        p50   p95   p99   max      n',
    row('source commit -> canonical', s.latencyMs.commitToCanonical.all),
    row('  pos', s.latencyMs.commitToCanonical.pos),
    row('  warehouse', s.latencyMs.commitToCanonical.warehouse),
    row('  erpnext', s.latencyMs.commitToCanonical.erpnext),
    row('source commit -> Redis', s.latencyMs.commitToRedis.all),
    row('  pos', s.latencyMs.commitToRedis.pos),
    row('  warehouse', s.latencyMs.commitToRedis.warehouse),
    row('  erpnext', s.latencyMs.commitToRedis.erpnext),
    ...Object.entries(s.latencyMs.commitToChannel).flatMap(([channel, l]) => [
      row(`source commit -> ${channel}`, l.all),
      row('  pos', l.pos),
      row('  warehouse', l.warehouse),
      row('  erpnext', l.erpnext),
    ]),
    `  clocks: ${s.clocks}`,
    `  demo took ${(s.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
