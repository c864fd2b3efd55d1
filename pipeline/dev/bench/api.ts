/**
 * The `api` part of `stocksync bench`: the availability API (`stocksync api`) as its own process,
 * beside the pipeline (`stocksync run`) and the channel fan-out (`stocksync channels run`), on a
 * fresh sample.
 *
 * 1. **Cached GET**: autocannon (in this process) against `GET /v1/channels/webshop/availability/{sku}`
 *    over a set of SKUs that are all in Redis: requests/s and latency percentiles.
 * 2. **Batch**: autocannon POSTing 1,000 SKUs a request to `availability:batch` (cached after the
 *    first round, as a channel app polling its catalogue would see it): requests/s and percentiles.
 * 3. **Commit → SSE**: `--sse-clients` (default 1,000) event streams on the web shop's events route
 *    while the load generator commits source changes at `--sse-rate` (default 1,000/s); then each
 *    source transaction is matched (latency-samples.ts) to the first stream entry covering it, and
 *    its latency is taken to the moment the *last* client received that entry (all clients had it)
 *    and to the first client (and to the channel database write, the stream entry's own time).
 *
 * Figures are printed, never asserted; the part fails only when a step could not run, a request
 * failed, or a client missed an entry.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import pg from 'pg';
import { hashApiKey } from '../../src/api/index.ts';
import { channelGroupIds, loadChannelsConfig, resetChannels } from '../../src/channels/index.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { channelGroupId, PIPELINE_GROUP_ID, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { loadMappings, topicRoles } from '../../src/normalize/index.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { openSse, type SseClient } from '../api/sse-client.ts';
import { resetCapture, seedSources } from '../demo/environment.ts';
import { waitStable } from '../demo/quiescence.ts';
import { startLoadGenerator } from '../load/generator.ts';
import { stackUp } from '../stack/stack.ts';
import { readCanonicalEvents } from './canonical-events.ts';
import { readCapturedTransactions, waitForCaptureToSettle } from './captured-changes.ts';
import { LatencyHistogram } from './histogram.ts';
import { mergedRows, outboxesEmpty } from './latency.ts';
import { LatencyMatcher, type ChannelWrite, type TimedTransaction } from './latency-samples.ts';
import { freePort } from './proc.ts';
import { cpuBetween, cpuSeconds, runQueueWaitSeconds, type WatchedProcess } from './process-cpu.ts';
import { logTail, startProductProcess, type ProductProcess } from './product-processes.ts';
import { machineRecorder, round, type BenchPart, type BenchRow } from './report.ts';

/** Options of {@link runApiBench}. */
export interface ApiBenchOptions {
  /** The CI version: 3 s load runs, 100 SSE clients, 5 s of changes. */
  short?: boolean;
  seed?: number;
  /** Sample products (default 2000). */
  products?: number;
  /** Seconds of each autocannon run (default 10; short 3). */
  seconds?: number;
  /** Connections of the GET run (default 16). */
  connections?: number;
  /** SSE clients connected during the change run (default 1000; short 100). */
  sseClients?: number;
  /** Source changes per second during the SSE run (default 1000; short 200). */
  sseRate?: number;
  /** Seconds of the SSE run (default 20; short 5). */
  sseSeconds?: number;
  progress?: (line: string) => void;
}

const SETTLE_TIMEOUT_MS = 15 * 60_000;
const BENCH_KEY = 'bench-api-key';
const CHANNEL = 'webshop';

/** Waits until `url` answers 200. */
async function untilReady(url: string, process: ProductProcess): Promise<void> {
  await waitStable(
    async () => {
      if (process.exitCode !== null) throw new Error(`api process exited (code ${process.exitCode}); its log ends:\n${logTail(process.log)}`);
      return (await fetch(url).catch(() => null))?.status === 200;
    },
    { stableMs: 0, timeoutMs: 120_000, describe: async () => `${url} not ready` },
  );
}

/** What one autocannon run measured. */
interface LoadFigures extends Record<string, number> {
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  non_2xx: number;
  errors: number;
  connections: number;
}

/** Runs autocannon and turns its result into figures. */
async function load(options: autocannon.Options): Promise<LoadFigures> {
  const r = await autocannon(options);
  return {
    requests: r.requests.total,
    requests_per_s: round(r.requests.total / r.duration, 0),
    p50_ms: r.latency.p50,
    p90_ms: r.latency.p90,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    non_2xx: r.non2xx,
    errors: r.errors,
    connections: r.connections,
  };
}

/** Runs the api part. Never throws for a failed figure; throws for a broken environment. */
export async function runApiBench(options: ApiBenchOptions = {}): Promise<BenchPart> {
  const short = options.short ?? false;
  const seed = options.seed ?? 42;
  const products = options.products ?? 2000;
  const seconds = options.seconds ?? (short ? 3 : 10);
  const sseClients = options.sseClients ?? (short ? 100 : 1000);
  const sseRate = options.sseRate ?? (short ? 200 : 1000);
  const sseSeconds = options.sseSeconds ?? (short ? 5 : 20);
  const say = options.progress ?? (() => undefined);
  const finishMachine = machineRecorder();
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  const endpoints = stackEndpoints();
  const mappings = loadMappings();
  const channels = loadChannelsConfig();

  say('stack: starting what is not running');
  await stackUp((line) => say(`  ${line}`));
  say(`resetting capture and channels, seeding the sources (seed ${seed}, ${products} products)`);
  await resetCapture(endpoints, [PIPELINE_GROUP_ID, ...channelGroupIds(channels)]);
  await resetChannels({ endpoints, config: channels });
  await seedSources({ seed, products }, endpoints);

  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-bench-api' });
  const processes: ProductProcess[] = [];
  const sse: SseClient[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const keys = JSON.stringify([{ id: 'bench', sha256: hashApiKey(BENCH_KEY), channels: ['*'], rate_limit_per_minute: 1_000_000_000 }]);
    say(`starting the pipeline, the channel fan-out and the API (${base}) as their own processes`);
    processes.push(
      startProductProcess('pipeline', ['run']),
      startProductProcess('channels', ['channels', 'run']),
      startProductProcess('api', ['api', '--port', String(port)], { env: { STOCKSYNC_API_KEYS: keys, STOCKSYNC_API_KEYS_FILE: '' } }),
    );
    const pipelineTopics = [...topicRoles(mappings).keys()];
    const caughtUp = async (): Promise<boolean> => {
      for (const p of processes) if (p.exitCode !== null) throw new Error(`${p.name} process exited (code ${p.exitCode}); its log ends:\n${logTail(p.log)}`);
      if ((await groupLag(kafka, PIPELINE_GROUP_ID, pipelineTopics)) !== 0) return false;
      for (const c of channels.channels) if ((await groupLag(kafka, channelGroupId(c.name), [STOCK_LEVELS_TOPIC])) !== 0) return false;
      return outboxesEmpty(endpoints);
    };
    say('applying the connectors; waiting for the snapshot to be merged and fanned out');
    for (const file of connectorFiles()) await applyConnector(loadConnector(file));
    const expected = await snapshotRowCount(mappings);
    await waitStable(async () => (await mergedRows(endpoints)) >= expected && (await caughtUp()), {
      stableMs: 2000,
      timeoutMs: SETTLE_TIMEOUT_MS,
      describe: async () => `${await mergedRows(endpoints)}/${expected} snapshot rows merged`,
    });
    await untilReady(`${base}/readyz`, processes[2]!);

    const skus = await channelSkus(endpoints.canonical, 500);
    const headers = { authorization: `Bearer ${BENCH_KEY}` };
    const batchBody = JSON.stringify({ skus: Array.from({ length: 1000 }, (_, i) => skus[i % skus.length]) });
    say(`warming the cache: ${skus.length} SKUs of the ${CHANNEL} channel`);
    const warm = await fetch(`${base}/v1/channels/${CHANNEL}/availability:batch`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ skus }),
    });
    if (warm.status !== 200) throw new Error(`warming the cache: HTTP ${warm.status} ${await warm.text()}`);
    await waitStable(
      async () => {
        const r = await fetch(`${base}/v1/channels/${CHANNEL}/availability/${encodeURIComponent(skus.at(-1)!)}`, { headers });
        return r.headers.get('x-cache') === 'hit';
      },
      { stableMs: 0, timeoutMs: 30_000, describe: async () => 'the cache was not filled' },
    );

    const watched: WatchedProcess[] = [
      { name: 'api', pid: processes[2]!.pid },
      { name: 'bench', pid: process.pid },
    ];
    /** Runs `work` and adds the API process's CPU per request and its wait for a core to its figures. */
    const measured = async (work: () => Promise<LoadFigures>): Promise<LoadFigures> => {
      const cpu0 = cpuSeconds(watched);
      const wait0 = runQueueWaitSeconds(watched);
      const figures = await work();
      const cpu = cpuBetween(cpu0, cpuSeconds(watched));
      const wait = cpuBetween(wait0, runQueueWaitSeconds(watched));
      return {
        ...figures,
        api_cpu_ms_per_request: round(((cpu.api ?? 0) * 1000) / Math.max(1, figures.requests), 3),
        api_cores: round((cpu.api ?? 0) / seconds, 2),
        api_runqueue_wait_s_per_s: round((wait.api ?? 0) / seconds, 2),
        bench_cores: round((cpu.bench ?? 0) / seconds, 2),
      };
    };

    say(`cached GET: autocannon, ${options.connections ?? 16} connections, ${seconds} s`);
    const get = await measured(() =>
      load({
        url: base,
        connections: options.connections ?? 16,
        duration: seconds,
        headers,
        requests: skus.map((sku) => ({ method: 'GET', path: `/v1/channels/${CHANNEL}/availability/${encodeURIComponent(sku)}` })),
      }),
    );
    rows.push({ label: 'cached GET', figures: get });

    say(`batch of 1,000 SKUs: autocannon, 4 connections, ${seconds} s`);
    const batch = await measured(() =>
      load({
        url: `${base}/v1/channels/${CHANNEL}/availability:batch`,
        method: 'POST',
        connections: 4,
        duration: seconds,
        headers: { ...headers, 'content-type': 'application/json' },
        body: batchBody,
      }),
    );
    rows.push({ label: 'batch 1000', figures: batch });

    say(`commit → SSE: ${sseClients} clients on ${CHANNEL}, ${sseRate} source changes/s for ${sseSeconds} s`);
    const firstAt = new Map<string, number>();
    const lastAt = new Map<string, number>();
    const perClient = new Array<number>(sseClients).fill(0);
    const entries = new Map<string, ChannelWrite>();
    for (let i = 0; i < sseClients; i++) {
      const client = openSse(`${base}/v1/channels/${CHANNEL}/events`, {
        headers,
        agent,
        keep: false,
        onEvent: (e) => {
          if (e.event !== 'availability' || e.id === undefined) return;
          perClient[i] = (perClient[i] ?? 0) + 1;
          if (!firstAt.has(e.id)) {
            firstAt.set(e.id, e.receivedAtMs);
            const d = JSON.parse(e.data) as { sku: string; version: number; committedAtMs: number };
            entries.set(e.id, { sku: d.sku, version: d.version, committedAtMs: d.committedAtMs });
          }
          lastAt.set(e.id, e.receivedAtMs);
        },
      });
      sse.push(client);
    }
    await Promise.all(sse.map((c) => c.opened));
    const refused = sse.filter((c) => c.status !== 200).length;
    if (refused > 0) notes.push(`${refused} of ${sseClients} SSE clients were refused`);

    const transactions: TimedTransaction[] = [];
    const generator = await startLoadGenerator({
      seed,
      products,
      workers: 2,
      connectionsPerSource: 8,
      onCommit: (ops) => {
        for (const op of ops) {
          const keys = [...new Set(op.touched.filter((t) => t.sku !== null && t.location !== null).map((t) => `${t.sku}|${t.location}`))];
          transactions.push({ source: op.source, kind: op.kind, txId: op.txId, committedAtMs: op.committedAtMs, keys });
        }
      },
    });
    const since = Date.now();
    const sseCpu0 = cpuSeconds(watched);
    let step;
    try {
      step = await generator.runStep(sseRate, sseSeconds * 1000);
    } finally {
      await generator.stop();
    }
    const sseCpu = cpuBetween(sseCpu0, cpuSeconds(watched));
    await waitStable(caughtUp, { stableMs: 1000, timeoutMs: SETTLE_TIMEOUT_MS, describe: async () => 'pipeline or channels not caught up' });
    // Every client has every entry the first one saw (or the part reports the shortfall).
    const want = firstAt.size;
    await waitStable(async () => perClient.every((n) => n >= want), { stableMs: 500, timeoutMs: 120_000, describe: async () => 'SSE clients behind' }).catch(
      () => notes.push(`after 120 s, ${perClient.filter((n) => n < want).length} clients had fewer than the ${want} events the first one got`),
    );
    for (const c of sse) c.close();

    say('matching source transactions to stream entries');
    await waitForCaptureToSettle(kafka);
    const captured = await readCapturedTransactions(kafka, endpoints.registryUrl, { mappings, since });
    const events = await readCanonicalEvents(kafka, endpoints.registryUrl);
    const rule = channels.channels.filter((c) => c.name === CHANNEL);
    const histogram = { write: new LatencyHistogram(), stream: new LatencyHistogram(), first: new LatencyHistogram(), last: new LatencyHistogram() };
    // A stream id's first part is the Redis server's time of the XADD (ids are generated with `*`).
    const streamAt = new Map([...entries.keys()].map((id) => [id, Number(id.split('-')[0])]));
    const writes = (at: Map<string, number> | null): ChannelWrite[] =>
      [...entries.entries()].map(([id, w]) => ({ ...w, committedAtMs: at ? (at.get(id) ?? w.committedAtMs) : w.committedAtMs }));
    const matchers = {
      write: new LatencyMatcher(captured, events, new Map(), rule, { [CHANNEL]: writes(null) }),
      stream: new LatencyMatcher(captured, events, new Map(), rule, { [CHANNEL]: writes(streamAt) }),
      first: new LatencyMatcher(captured, events, new Map(), rule, { [CHANNEL]: writes(firstAt) }),
      last: new LatencyMatcher(captured, events, new Map(), rule, { [CHANNEL]: writes(lastAt) }),
    };
    for (const tx of transactions) {
      for (const name of ['write', 'stream', 'first', 'last'] as const) {
        const ms = matchers[name].latency(tx).toChannel[CHANNEL];
        if (ms !== null && ms !== undefined) histogram[name].record(ms);
      }
    }
    const runSeconds = (step.endedAtMs - step.startedAtMs) / 1000;
    for (const [label, h] of [
      ['commit → channel write', histogram.write],
      ['commit → Redis stream', histogram.stream],
      ['commit → SSE first client', histogram.first],
      ['commit → SSE all clients', histogram.last],
    ] as const) {
      const s = h.summary();
      rows.push({
        label,
        figures: {
          sse_clients: sseClients - refused,
          target_changes_per_s: sseRate,
          operations_per_s: round(step.committed / runSeconds, 0),
          stream_entries: entries.size,
          samples: s.n,
          api_cores: round((sseCpu.api ?? 0) / runSeconds, 2),
          bench_cores: round((sseCpu.bench ?? 0) / runSeconds, 2),
          p50_ms: s.p50,
          p99_ms: s.p99,
          max_ms: s.max,
        },
      });
    }
    const failed = get.non_2xx + get.errors + batch.non_2xx + batch.errors > 0;
    if (failed) notes.push('some load requests failed (non-2xx or errors): see the figures');
    notes.push(
      `sample: seed ${seed}, ${products} products (this part's own size; --products is the throughput part's)`,
      `cached GET over ${skus.length} SKUs of ${CHANNEL}, all in Redis; autocannon runs in the bench process on the same machine as the API and the stack (the load generator competes for the same 2 cores)`,
      'api_cpu_ms_per_request: CPU of the API process per request (1000 / it = requests per second one free core would serve); api_runqueue_wait_s_per_s: time its threads waited for a core per second (above 0: the machine held it back)',
      'commit → SSE: source commit (load generator) to the moment the first / the last of the clients had the stream entry that covers the transaction (latency-samples.ts matching); channel write = committed_at_ms of that entry; Redis stream = the time part of its stream id (the XADD, after the notification outbox)',
      `targets (issue 12): cached GET ≥ 10,000/s with p99 ≤ 5 ms; commit → SSE p99 ≤ 250 ms at 1,000 changes/s with 1,000 clients`,
    );
    return { part: 'api', machine: finishMachine(), rows, passed: !failed && refused === 0, notes };
  } finally {
    for (const c of sse) c.close();
    agent.destroy();
    for (const p of processes) await p.stop();
    await kafka.close();
  }
}

/** Up to `limit` SKUs with stock at the web shop's locations (from the canonical store). */
async function channelSkus(canonical: pg.ClientConfig, limit: number): Promise<string[]> {
  const client = new pg.Client(canonical);
  await client.connect();
  try {
    const r = await client.query<{ sku: string }>(
      "SELECT DISTINCT sku FROM stock_level WHERE location IN ('STORE-01', 'STORE-02') OR location LIKE 'WH%/Stock' ORDER BY sku LIMIT $1",
      [limit],
    );
    return r.rows.map((row) => row.sku);
  } finally {
    await client.end();
  }
}
