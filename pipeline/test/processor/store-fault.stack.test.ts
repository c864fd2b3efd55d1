/**
 * Issue 16, store faults: the canonical PostgreSQL (which also holds the marketplace channel's
 * database), Redis and the web shop's MariaDB are each killed with SIGKILL under a live workload,
 * then started again. `stocksync run` and `stocksync channels run` (child processes) must survive
 * every one — no "Unhandled 'error' event" exit — retry without committing offsets meanwhile, and
 * resume: at quiescence the canonical table equals the SQL oracle over the sources, every channel
 * equals the channel oracle, and the outbox is published.
 *
 * While a store is down, the processes' `/readyz` answers 503 naming it; at quiescence, 200.
 *
 * The killed servers are this test's own (throwaway PostgreSQL, Redis and MariaDB on their own
 * ports); the sources, Kafka, Connect and the registry are this stack's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectionOptions, databaseVariableValues, stackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { channelGroupId, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { checkChannels, loadChannelsConfig, resetChannels } from '../../src/channels/index.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import { eventually, freshEnvironment, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';
import { startProductProcess, type ProductProcess } from '../helpers/processes.ts';
import { startThrowawayPostgres, startThrowawayRedis } from '../../dev/throwaway/servers.ts';
import { freePort } from '../../dev/bench/proc.ts';
import { startStorefrontServer, type StorefrontServer } from '../../dev/throwaway/mariadb.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

// Below 32768: ports in the ephemeral range may be taken by any outgoing connection.
const PG_PORT = Number(process.env.STOCKSYNC_TEST_FAULT_PG_PORT ?? 13541);
const REDIS_PORT = Number(process.env.STOCKSYNC_TEST_FAULT_REDIS_PORT ?? 13380);
const MARIADB_PORT = Number(process.env.STOCKSYNC_TEST_FAULT_MARIADB_PORT ?? 13337);

const stack = stackEndpoints();
let postgres: Awaited<ReturnType<typeof startThrowawayPostgres>>;
let redis: Awaited<ReturnType<typeof startThrowawayRedis>>;
let shop: StorefrontServer;
let faultEnv: NodeJS.ProcessEnv;
let endpoints: ReturnType<typeof stackEndpoints>;
let run: ProductProcess;
let channels: ProductProcess;
let runPort: number;
let channelsPort: number;

/** GET of a process's operations endpoint: status and body. */
async function operations(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}
const channelGroups = loadChannelsConfig().channels.map((c) => channelGroupId(c.name));

beforeAll(async () => {
  postgres = await startThrowawayPostgres(PG_PORT);
  redis = await startThrowawayRedis(REDIS_PORT);
  shop = await startStorefrontServer(MARIADB_PORT, stack.webshop.database);
  // The canonical store (and so the marketplace database, on the same server), Redis and the web
  // shop database are the throwaway servers; everything else is this stack's.
  faultEnv = {
    ...process.env,
    ...databaseVariableValues('canonical', { ...postgres.endpoint, database: stack.canonical.database }),
    ...databaseVariableValues('marketplace', { ...postgres.endpoint, database: stack.marketplace.database }),
    ...databaseVariableValues('webshop', { ...shop.endpoint, database: stack.webshop.database }),
    STOCKSYNC_REDIS_URL: redis.url,
  };
  endpoints = stackEndpoints(faultEnv);
  expect(endpoints.marketplace.port).toBe(PG_PORT);
  await resetChannels({ endpoints });
  await freshEnvironment();
  runPort = await freePort();
  channelsPort = await freePort();
  run = startProductProcess(['run', '--metrics-port', String(runPort)], faultEnv);
  channels = startProductProcess(['channels', 'run', '--metrics-port', String(channelsPort)], faultEnv);
  await waitForLagZero(undefined, 240_000);
}, 400_000);

afterAll(async () => {
  await Promise.all([run?.stop(), channels?.stop()]);
  await Promise.all([postgres?.destroy(), redis?.destroy(), shop?.destroy()]);
}, 120_000);

function expectAlive(when: string): void {
  for (const [name, p] of [
    ['run', run],
    ['channels run', channels],
  ] as const) {
    expect(p.alive(), `${name} exited ${when} (${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-4000)}`).toBe(true);
  }
}

async function channelLagZero(): Promise<void> {
  const kafka = createKafkaClient(stack.kafkaBrokers, { clientId: 'stocksync-test-lag' });
  try {
    let zeroSince = 0;
    await eventually(
      async () => {
        const lags = await Promise.all(channelGroups.map((g) => groupLag(kafka, g, [STOCK_LEVELS_TOPIC])));
        return lags.every((n) => n === 0);
      },
      (zero) => {
        if (!zero) zeroSince = 0;
        else if (zeroSince === 0) zeroSince = Date.now();
        return zero && Date.now() - zeroSince >= 1500;
      },
      240_000,
    );
  } finally {
    await kafka.close();
  }
}

describe('store faults', () => {
  it('the canonical PostgreSQL, Redis and the web shop MariaDB killed and restarted: nothing exits, nothing is lost', { timeout: 1_200_000 }, async () => {
    const pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', stack.pos)));
    const warehouse = new pg.Client(sampleWriter('warehouse', stack.warehouse));
    await warehouse.connect();
    const stop = new AbortController();
    let committed = 0;
    let failure: unknown;
    const workload = runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], {
      ...TEST_SAMPLE,
      rate: 20,
      durationMs: 900_000,
      keepOperations: false,
      signal: stop.signal,
      onCommit: () => committed++,
    }).then(
      (result) => ({ result }),
      (error: unknown) => {
        failure = error;
        return { error };
      },
    );
    const moreCommits = async (n: number) => {
      const from = committed;
      await eventually(
        async () => {
          if (failure !== undefined) throw failure;
          return committed;
        },
        (c) => c >= from + n,
        120_000,
      );
    };
    try {
      for (const [what, server, notReady] of [
        ['the canonical PostgreSQL', postgres, { port: runPort, reason: 'canonical store: ' }],
        ['Redis', redis, { port: runPort, reason: 'Redis: connection ' }],
        ['the web shop MariaDB', shop, { port: channelsPort, reason: 'channel webshop: last sync failed' }],
      ] as const) {
        await moreCommits(20);
        const logged = [run.output().length, channels.output().length];
        await server.kill();
        await moreCommits(30); // changes made while the server is down
        // The processes met the fault (a request failed and was reported), and went on.
        await eventually(
          async () => run.output().slice(logged[0]) + channels.output().slice(logged[1]),
          (text) => text.includes('failed'),
          60_000,
        );
        // ... and say so on /readyz, naming the store.
        const readyz = await eventually(
          () => operations(notReady.port, '/readyz'),
          (r) => r.status === 503 && r.body.includes(notReady.reason),
          60_000,
        );
        expect(JSON.parse(readyz.body)).toMatchObject({ ready: false });
        expectAlive(`while ${what} was down`);
        await server.start();
        await moreCommits(20);
        expectAlive(`after ${what} restarted`);
      }
    } finally {
      stop.abort();
      await workload;
      await pos.end();
      await warehouse.end();
    }
    const settled = await workload;
    if ('error' in settled) throw settled.error;

    await waitForLagZero(undefined, 240_000);
    const outbox = async () => {
      const client = new pg.Client(endpoints.canonical);
      await client.connect();
      try {
        return Number((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM canonical_outbox')).rows[0]!.n);
      } finally {
        await client.end();
      }
    };
    await eventually(outbox, (n) => n === 0, 120_000);
    await channelLagZero();
    expectAlive('at quiescence');
    for (const port of [runPort, channelsPort]) {
      await eventually(
        () => operations(port, '/readyz'),
        (r) => r.status === 200,
        120_000,
      );
      expect((await operations(port, '/healthz')).status).toBe(200);
    }
    const metrics = (await operations(runPort, '/metrics')).body;
    expect(metrics).toMatch(/^stocksync_freshness_seconds_count\{source="pos",stage="canonical"\} [1-9]/m);
    expect(metrics).toMatch(/^stocksync_freshness_seconds_count\{source="warehouse",stage="published"\} [1-9]/m);
    expect(metrics).toMatch(/^stocksync_batch_stage_duration_seconds_count\{stage="merge"\} [1-9]/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]/m);
    const channelMetrics = (await operations(channelsPort, '/metrics')).body;
    expect(channelMetrics).toMatch(/^stocksync_channel_sync_duration_seconds_count\{channel="webshop"\} [1-9]/m);
    // A store that was down is no reason to quarantine anything (a Redis failure once was).
    expect(channelMetrics).not.toMatch(/^stocksync_channel_dead_letters_total\{/m);
    expect(metrics).not.toMatch(/^stocksync_dead_letters_total\{/m);
    expect((await checkAgainstOracle(endpoints)).mismatches).toEqual([]);
    expect((await checkChannels({ endpoints })).mismatches).toEqual([]);
  });
});
