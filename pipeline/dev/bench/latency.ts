/**
 * The `latency` part of `stocksync bench`: end-to-end latency at stepped source-change rates with
 * the product running as in production — the pipeline (`stocksync run`) and the channel fan-out
 * (`stocksync channels run`) as their own processes — and the load generator (pipeline/dev/load)
 * as several processes of its own.
 *
 * Steps: a fresh sample (capture and channels reset, sources seeded, connectors applied, snapshot
 * merged), then per rate: the generator runs for the step's duration while the bench samples the
 * consumer groups' lag and the processes' CPU; then the bench waits until the pipeline and the
 * channels have caught up (so a step starts from an empty backlog). Afterwards it reads what the
 * product recorded — source topic records, `stock.levels` records (`updated_at`, record time),
 * the channels' Redis streams (`committed_at_ms`) and the Redis pub/sub notices it received — and
 * matches them to the generator's transactions (latency-samples.ts). Finally the canonical oracle
 * (demo/oracle-check.ts) and the channel oracle (channels/oracle.ts) must find no mismatch.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadChannelsConfig } from '../../src/channels/index.ts';
import { checkChannels } from '../../src/channels/index.ts';
import { channelGroupIds, resetChannels } from '../../src/channels/index.ts';
import { stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { channelGroupId, channelStream, PIPELINE_GROUP_ID, STOCK_CHANGES_CHANNEL, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { topicRoles } from '../../src/normalize/index.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { resetCapture, seedSources } from '../demo/environment.ts';
import { checkAgainstOracle } from '../demo/oracle-check.ts';
import { waitStable } from '../demo/quiescence.ts';
import { startLoadGenerator, type LoadStepResult } from '../load/generator.ts';
import type { SampleSource } from '../sample/shared/workload.ts';
import { stackUp } from '../stack/stack.ts';
import { readCanonicalEvents } from './canonical-events.ts';
import { readCapturedTransactions, waitForCaptureToSettle } from './captured-changes.ts';
import { LatencyHistogram, type LatencySummary } from './histogram.ts';
import { machineRecorder, type BenchPart } from './report.ts';
import { LatencyMatcher, type ChannelWrite, type TimedTransaction } from './latency-samples.ts';
import { cpuBetween, cpuSeconds, machineBusySeconds, runQueueWaitSeconds, stackServerProcesses, type WatchedProcess } from './process-cpu.ts';
import { logTail, startProductProcess, type ProductProcess } from './product-processes.ts';

/** Options of {@link runLatency}. */
export interface LatencyOptions {
  /** Target source changes per second, one step each (default 500, 1000, 2000, 5000; `short`: 200, 500). */
  rates?: number[];
  /** Seconds per step (default 30; `short`: 10). */
  seconds?: number;
  /** The CI version: 200 and 500 changes/s for 10 s each (explicit `rates`/`seconds` win). */
  short?: boolean;
  /** Sample seed and product count (default 42, 2000). */
  seed?: number;
  products?: number;
  /** Load generator processes and connections per source in each (default 2 and 8). */
  workers?: number;
  connectionsPerSource?: number;
  /** Share of the operations per source (default: the generator's DEFAULT_SHARES). */
  shares?: Partial<Record<SampleSource, number>>;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

export const DEFAULT_RATES = [500, 1000, 2000, 5000];
export const DEFAULT_SECONDS = 30;
export const SHORT_RATES = [200, 500];
export const SHORT_SECONDS = 10;

/** The stages a transaction's latency is measured to, in the order of the table. */
const STAGES = ['kafka', 'canonical', 'redis'] as const;

/** How long catching up after a step, the snapshot and the end may take before the part fails. */
const SETTLE_TIMEOUT_MS = 15 * 60_000;

interface StepRecord {
  rate: number;
  result: LoadStepResult;
  transactions: TimedTransaction[];
  lag: Array<{ atMs: number; pipeline: number; channels: Record<string, number> }>;
  cpu: Record<string, number>;
  /** Seconds each group's threads waited for a core during the step. */
  runQueueWait: Record<string, number>;
  catchUpMs: number;
}

/** Runs the latency part; never throws for a failed check (passed = false and a note), only for a broken environment. */
export async function runLatency(options: LatencyOptions = {}): Promise<BenchPart> {
  const rates = options.rates ?? (options.short ? SHORT_RATES : DEFAULT_RATES);
  const seconds = options.seconds ?? (options.short ? SHORT_SECONDS : DEFAULT_SECONDS);
  const seed = options.seed ?? 42;
  const products = options.products ?? 2000;
  const say = options.progress ?? (() => undefined);
  const finishMachine = machineRecorder();
  const notes: string[] = [];
  const endpoints = stackEndpoints();
  const mappings = loadMappings();
  const channels = loadChannelsConfig();
  const channelNames = channels.channels.map((c) => c.name);

  say('stack: starting what is not running');
  await stackUp((line) => say(`  ${line}`));
  say(`resetting capture and channels, seeding the sources (seed ${seed}, ${products} products)`);
  await resetCapture(endpoints, [PIPELINE_GROUP_ID, ...channelGroupIds(channels)]);
  await resetChannels({ endpoints, config: channels });
  await seedSources({ seed, products }, endpoints);

  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-bench' });
  const redisNotices = new Map<string, number>();
  const subscriber = new Redis(endpoints.redisUrl);
  const redis = new Redis(endpoints.redisUrl);
  const processes: ProductProcess[] = [];
  const steps: StepRecord[] = [];
  let current: TimedTransaction[] | null = null;
  try {
    // Pub/sub is shared by every database of the Redis server: notices are keyed with updated_at too, so other stacks' cannot match.
    subscriber.on('message', (_channel: string, message: string) => {
      const at = Date.now();
      const e = JSON.parse(message) as { sku: string; location: string; version: number; updated_at: number };
      redisNotices.set(`${e.sku}|${e.location}|${e.version}|${e.updated_at}`, at);
    });
    await subscriber.subscribe(STOCK_CHANGES_CHANNEL);

    say('starting the pipeline and the channel fan-out as their own processes');
    processes.push(startProductProcess('pipeline', ['run']), startProductProcess('channels', ['channels', 'run']));
    const pipelineTopics = [...topicRoles(mappings).keys()];
    const lagNow = async (): Promise<{ pipeline: number; channels: Record<string, number> }> => {
      const perChannel: Record<string, number> = {};
      for (const name of channelNames) perChannel[name] = await groupLag(kafka, channelGroupId(name), [STOCK_LEVELS_TOPIC]).catch(() => -1);
      return { pipeline: await groupLag(kafka, PIPELINE_GROUP_ID, pipelineTopics).catch(() => -1), channels: perChannel };
    };
    const alive = (): void => {
      for (const p of processes) {
        if (p.exitCode !== null) throw new Error(`${p.name} process exited (code ${p.exitCode}); its log ${p.log} ends:\n${logTail(p.log)}`);
      }
    };
    const caughtUp = async (): Promise<boolean> => {
      alive();
      const lag = await lagNow();
      return lag.pipeline === 0 && Object.values(lag.channels).every((n) => n === 0) && (await outboxesEmpty(endpoints));
    };

    say('applying the connectors; waiting for the snapshot to be merged');
    for (const file of connectorFiles()) await applyConnector(loadConnector(file));
    const expected = await snapshotRowCount(mappings);
    await waitStable(async () => (await mergedRows(endpoints)) >= expected && (await caughtUp()), {
      stableMs: 2000,
      timeoutMs: SETTLE_TIMEOUT_MS,
      describe: async () => `${await mergedRows(endpoints)}/${expected} snapshot rows merged, lag ${JSON.stringify(await lagNow())}`,
    });

    const generator = await startLoadGenerator({
      seed,
      products,
      workers: options.workers ?? 2,
      connectionsPerSource: options.connectionsPerSource ?? 8,
      shares: options.shares,
      onCommit: (ops) => {
        for (const op of ops) {
          const keys = [...new Set(op.touched.filter((t) => t.sku !== null && t.location !== null).map((t) => `${t.sku}|${t.location}`))];
          current?.push({ source: op.source, kind: op.kind, txId: op.txId, committedAtMs: op.committedAtMs, keys });
        }
      },
    });
    const watched = watchedProcesses(processes, generator.pids);
    watched.push(...(await canonicalBackends(endpoints)), ...(await redisServer(redis)));
    const firstStepAt = Date.now();
    try {
      for (const rate of rates) {
        say(`step: ${rate} source changes/s for ${seconds} s`);
        const transactions: TimedTransaction[] = [];
        current = transactions;
        const lag: StepRecord['lag'] = [];
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const l = await lagNow();
            lag.push({ atMs: Date.now(), ...l });
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        })();
        const cpuBefore = { ...cpuSeconds(watched), machine: machineBusySeconds() };
        const waitBefore = runQueueWaitSeconds(watched);
        const result = await generator.runStep(rate, seconds * 1000);
        const cpu = cpuBetween(cpuBefore, { ...cpuSeconds(watched), machine: machineBusySeconds() });
        const runQueueWait = cpuBetween(waitBefore, runQueueWaitSeconds(watched));
        // What the rest of the machine (other stacks, other work) used meanwhile.
        cpu.others = Math.max(0, (cpu.machine ?? 0) - Object.entries(cpu).reduce((a, [name, s]) => (name === 'machine' ? a : a + s), 0));
        sampling = false;
        await sampler;
        current = null;
        const caughtUpFrom = Date.now();
        await waitStable(caughtUp, {
          stableMs: 1000,
          timeoutMs: SETTLE_TIMEOUT_MS,
          describe: async () => `lag ${JSON.stringify(await lagNow())}`,
        });
        steps.push({ rate, result, transactions, lag, cpu, runQueueWait, catchUpMs: Date.now() - caughtUpFrom });
        say(`  ${result.committed} operations committed; caught up ${((Date.now() - caughtUpFrom) / 1000).toFixed(1)} s after the step`);
      }
    } finally {
      await generator.stop();
    }

    say('reading what the product recorded (source topics, stock.levels, channel streams)');
    await waitForCaptureToSettle(kafka);
    const captured = await readCapturedTransactions(kafka, endpoints.registryUrl, { mappings, since: firstStepAt });
    const events = await readCanonicalEvents(kafka, endpoints.registryUrl);
    const writes: Record<string, ChannelWrite[]> = {};
    for (const name of channelNames) writes[name] = await readChannelWrites(redis, channelStream(name));
    const notices = new Map<string, number>();
    for (const e of events) {
      const at = redisNotices.get(`${e.sku}|${e.location}|${e.version}|${e.updatedAtMs}`);
      if (at !== undefined) notices.set(`${e.sku}|${e.location}|${e.version}`, at);
    }
    const matcher = new LatencyMatcher(captured, events, notices, channels.channels, writes);

    say('checking the canonical table and the channels against their oracles');
    const oracle = await checkAgainstOracle(endpoints);
    const channelReport = await checkChannels({ endpoints, config: channels });

    const rows = steps.map((step) => stepRow(step, matcher, channelNames, notes));
    const perKind = changesPerKind(steps, matcher);
    notes.push(
      `source changes per operation kind (captured by Debezium): ${Object.entries(perKind)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}`,
    );
    let passed = true;
    if (oracle.mismatches.length > 0) {
      passed = false;
      notes.push(`canonical oracle: ${oracle.mismatches.length} mismatches, e.g. ${JSON.stringify(oracle.mismatches.slice(0, 3))}`);
    }
    if (channelReport.mismatches.length > 0) {
      passed = false;
      notes.push(`channel oracle: ${channelReport.mismatches.length} mismatches, e.g. ${JSON.stringify(channelReport.mismatches.slice(0, 3))}`);
    }
    for (const row of rows) {
      if (row.figures.operations === 0) {
        passed = false;
        notes.push(`${row.label}: no operation committed`);
      }
      if (row.figures.uncaptured !== 0) {
        passed = false;
        notes.push(`${row.label}: ${row.figures.uncaptured} committed transactions have no change in the source topics`);
      }
    }
    notes.push(
      `oracles: canonical ${oracle.canonicalRows} rows (${oracle.mismatches.length} mismatches), channels ${channelReport.channels.map((c) => `${c.channel} ${c.channelRows} rows`).join(', ')} (${channelReport.mismatches.length} mismatches)`,
    );
    notes.push(
      'canonical = stock_level.updated_at (the row write inside the merge transaction; its COMMIT follows within the batch); redis = the pub/sub notice reaching the bench; channel = committed_at_ms of the channel stream entry; kafka = the last source topic record of the transaction (one that reached Kafka before the client saw its COMMIT return counts as 0 ms; kafka_before_commit counts them)',
    );
    return {
      part: 'latency',
      machine: finishMachine(),
      rows,
      ratios: matchedRatios(rows),
      passed,
      notes,
    };
  } finally {
    for (const p of processes) await p.stop();
    subscriber.disconnect();
    redis.disconnect();
    await kafka.close();
  }
}

/** One table row per rate: achieved rate, percentiles per stage, lag, CPU. */
function stepRow(step: StepRecord, matcher: LatencyMatcher, channelNames: string[], notes: string[]): BenchPart['rows'][number] {
  const histograms: Record<string, LatencyHistogram> = {};
  for (const stage of [...STAGES, ...channelNames]) histograms[stage] = new LatencyHistogram();
  let changes = 0;
  let uncaptured = 0;
  let kafkaBeforeCommit = 0;
  for (const tx of step.transactions) {
    const l = matcher.latency(tx);
    if (l.changes === null) {
      uncaptured++;
      continue;
    }
    changes += l.changes;
    if (l.toKafka !== null) histograms.kafka?.record(l.toKafka);
    // Debezium reads the binlog/WAL as soon as it is written, so a busy client may see its COMMIT return after the record reached Kafka.
    if (l.toKafka !== null && l.toKafka < 0) kafkaBeforeCommit++;
    if (l.toCanonical !== null) histograms.canonical?.record(l.toCanonical);
    if (l.toRedis !== null) histograms.redis?.record(l.toRedis);
    for (const name of channelNames) {
      const ms = l.toChannel[name];
      if (ms !== null && ms !== undefined) histograms[name]?.record(ms);
    }
  }
  const seconds = (step.result.endedAtMs - step.result.startedAtMs) / 1000;
  const figures: Record<string, number | string | null> = {
    target_changes_per_s: step.rate,
    achieved_changes_per_s: Math.round(changes / seconds),
    operations: step.result.committed,
    operations_per_s: Math.round(step.result.committed / seconds),
    uncaptured,
    kafka_before_commit: kafkaBeforeCommit,
  };
  for (const [stage, h] of Object.entries(histograms)) {
    const s: LatencySummary = h.summary();
    figures[`${stage}_n`] = s.n;
    figures[`${stage}_p50_ms`] = s.p50;
    figures[`${stage}_p95_ms`] = s.p95;
    figures[`${stage}_p99_ms`] = s.p99;
    figures[`${stage}_max_ms`] = s.max;
  }
  const growth = lagGrowth(step.lag.map((l) => ({ atMs: l.atMs, lag: l.pipeline })));
  figures.pipeline_lag_end = step.lag.at(-1)?.pipeline ?? null;
  figures.pipeline_lag_slope_per_s = Math.round(growth.slope);
  figures.lag_grows = growth.grows ? 'yes' : 'no';
  for (const name of channelNames) {
    const g = lagGrowth(step.lag.map((l) => ({ atMs: l.atMs, lag: l.channels[name] ?? 0 })));
    figures[`${name}_lag_end`] = step.lag.at(-1)?.channels[name] ?? null;
    figures[`${name}_lag_grows`] = g.grows ? 'yes' : 'no';
  }
  figures.catch_up_s = Math.round(step.catchUpMs / 100) / 10;
  for (const [name, cpuS] of Object.entries(step.cpu)) figures[`cpu_${name}`] = Math.round((cpuS / seconds) * 100) / 100;
  // Thread-seconds spent waiting for a core per second of the step: above 0 the machine held the process back.
  for (const [name, waitS] of Object.entries(step.runQueueWait)) figures[`runqueue_${name}`] = Math.round((waitS / seconds) * 100) / 100;
  const busiest = Object.entries(step.cpu)
    .filter(([name]) => name !== 'machine' && name !== 'others')
    .sort((a, b) => b[1] - a[1])[0];
  if (busiest) figures.busiest = `${busiest[0]} ${(busiest[1] / seconds).toFixed(2)} cores`;
  if (uncaptured > 0) notes.push(`${step.rate}/s: ${uncaptured} of ${step.transactions.length} transactions not found in the source topics`);
  return { label: `${step.rate}/s`, figures };
}

/**
 * Whether a consumer group fell behind during a step: the least-squares slope of its lag over the
 * step is above 20 records per second and the lag ended above 200 records (a backlog that a
 * batch or two clears is no growth).
 */
export function lagGrowth(samples: Array<{ atMs: number; lag: number }>): { slope: number; grows: boolean } {
  const valid = samples.filter((s) => s.lag >= 0);
  if (valid.length < 3) return { slope: 0, grows: false };
  const t0 = valid[0]?.atMs ?? 0;
  const xs = valid.map((s) => (s.atMs - t0) / 1000);
  const ys = valid.map((s) => s.lag);
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  const slope = den === 0 ? 0 : num / den;
  return { slope, grows: slope > 20 && (ys.at(-1) ?? 0) > 200 };
}

/** Mean captured changes per operation kind over all steps. */
function changesPerKind(steps: StepRecord[], matcher: LatencyMatcher): Record<string, number> {
  const sums = new Map<string, { ops: number; changes: number }>();
  for (const step of steps) {
    for (const tx of step.transactions) {
      const changes = matcher.latency(tx).changes;
      if (changes === null) continue;
      const s = sums.get(tx.kind) ?? { ops: 0, changes: 0 };
      s.ops++;
      s.changes += changes;
      sums.set(tx.kind, s);
    }
  }
  return Object.fromEntries([...sums.entries()].sort().map(([k, s]) => [k, s.changes / s.ops]));
}

/** Share of the transactions with a sample, per stage, over all steps. */
function matchedRatios(rows: BenchPart['rows']): Record<string, number> {
  const ratios: Record<string, number> = {};
  const total = rows.reduce((a, r) => a + Number(r.figures.operations ?? 0), 0);
  if (total === 0) return ratios;
  for (const key of Object.keys(rows[0]?.figures ?? {}).filter((k) => k.endsWith('_n'))) {
    ratios[`${key.slice(0, -2)}_sampled`] = Math.round((rows.reduce((a, r) => a + Number(r.figures[key] ?? 0), 0) / total) * 1000) / 1000;
  }
  return ratios;
}

/** Source and dimension rows merged so far (snapshot progress). */
export async function mergedRows(endpoints: StackEndpoints): Promise<number> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const r = await client.query<{ n: string }>('SELECT (SELECT count(*) FROM source_row) + (SELECT count(*) FROM dimension_row) AS n');
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** True when neither the canonical outbox nor the channel notification outbox holds a row. */
export async function outboxesEmpty(endpoints: StackEndpoints): Promise<boolean> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM canonical_outbox) + COALESCE((SELECT count(*) FROM channel_notification_outbox WHERE to_regclass('channel_notification_outbox') IS NOT NULL), 0) AS n`,
    );
    return Number(r.rows[0]?.n ?? 0) === 0;
  } finally {
    await client.end();
  }
}

/** Every entry of a channel stream: sku, version, committed_at_ms. */
async function readChannelWrites(redis: Redis, stream: string): Promise<ChannelWrite[]> {
  const out: ChannelWrite[] = [];
  let from = '-';
  for (;;) {
    const entries = await redis.xrange(stream, from, '+', 'COUNT', 10_000);
    for (const [, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
      out.push({ sku: f.sku ?? '', version: Number(f.version), committedAtMs: Number(f.committed_at_ms) });
    }
    if (entries.length < 10_000) return out;
    from = `(${entries.at(-1)?.[0]}`;
  }
}

/** The processes whose CPU the bench reports: the product, the generator, this stack's servers. */
function watchedProcesses(processes: ProductProcess[], generatorPids: number[]): WatchedProcess[] {
  const watched: WatchedProcess[] = processes.map((p) => ({ name: p.name, pid: p.pid }));
  for (const pid of generatorPids) watched.push({ name: 'load-generator', pid });
  watched.push({ name: 'bench', pid: process.pid }, ...stackServerProcesses());
  return watched;
}

/** The canonical PostgreSQL server's backends of this stack's canonical database (the product's pools). */
async function canonicalBackends(endpoints: StackEndpoints): Promise<WatchedProcess[]> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const r = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return r.rows.map((row) => ({ name: 'canonical-postgres', pid: row.pid }));
  } finally {
    await client.end();
  }
}

/** The Redis server process (shared with other stacks on this machine). */
async function redisServer(redis: Redis): Promise<WatchedProcess[]> {
  const pid = /process_id:(\d+)/.exec(await redis.info('server'))?.[1];
  return pid ? [{ name: 'redis', pid: Number(pid) }] : [];
}
