/**
 * What the bench parts share around the capture: a fresh sample environment, the connectors
 * applied, waiting for Debezium's snapshot to be in Kafka, consumer group lag, and the canonical
 * PostgreSQL server's processes.
 */
import pg from 'pg';
import type { StackEndpoints, DatabaseEndpoint } from '../../src/config/endpoints.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { connectorHealth } from '../../src/connectors/health.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { retryWhileKafkaSettles } from '../../src/kafka/settle.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import type { SourceMapping } from '../../src/normalize/index.ts';
import { topicRoles } from '../../src/normalize/index.ts';
import { waitStable } from '../demo/quiescence.ts';
import { parentPid, treeCpuSeconds } from './proc.ts';

/** Progress lines (to stderr under `--json`). */
export type Progress = (line: string) => void;

/** The topics the mapping files name (dimension and stock tables), sorted. */
export function mappedTopics(mappings: SourceMapping[]): string[] {
  return [...topicRoles(mappings).keys()].sort();
}

/** Sum of the end offsets of the topics (records written so far to topics never compacted); a missing topic counts 0. */
export function endOffsetTotal(kafka: KafkaClient, topics: string[]): Promise<number> {
  return retryWhileKafkaSettles(() => sumEndOffsets(kafka, topics));
}

async function sumEndOffsets(kafka: KafkaClient, topics: string[]): Promise<number> {
  const existing = new Set(await kafka.listTopics());
  let total = 0n;
  for (const topic of topics) {
    if (!existing.has(topic)) continue;
    for (const { offset } of await kafka.endOffsets(topic)) total += BigInt(offset);
  }
  return Number(total);
}

/** Total lag of a consumer group over the topics ({@link groupLag}), retried while Kafka settles. */
export function lagOf(kafka: KafkaClient, groupId: string, topics: string[]): Promise<number> {
  return retryWhileKafkaSettles(() => groupLag(kafka, groupId, topics));
}

/** Applies every shipped connector (the Debezium snapshot starts), in file order. */
export async function applyConnectors(progress: Progress): Promise<void> {
  for (const file of connectorFiles()) {
    const connector = loadConnector(file);
    await applyConnector(connector);
    progress(`      ${connector.name}: RUNNING`);
  }
}

/**
 * Generous time for `records` records to pass one stage on a busy machine: 5 minutes, plus 10 ms
 * per record (a 500,000-record snapshot gets 88 minutes). A timeout is a failure, not a figure.
 */
export const timeoutFor = (records: number): number => 300_000 + records * 10;

/**
 * Waits until the mapped topics hold at least `expected` records (each snapshot read of a mapped
 * row is one record) and their end offsets stay put for 2 s.
 * @throws Error with the count reached when the timeout passes.
 */
export async function waitForSnapshotInKafka(kafka: KafkaClient, topics: string[], expected: number, progress: Progress): Promise<number> {
  let last = -1;
  let shownAt = 0;
  await waitStable(
    async () => {
      const total = await endOffsetTotal(kafka, topics);
      if (Date.now() - shownAt > 5000) {
        shownAt = Date.now();
        progress(`      Debezium: ${total}/${expected} snapshot records in Kafka`);
        // A task that failed mid-snapshot would start it again from scratch once restarted: no figure.
        const failed = (await connectorHealth()).filter((c) => c.failed);
        if (failed.length > 0) throw new Error(`Debezium failed during the snapshot: ${failed.map((c) => `${c.name}: ${c.summary}`).join('; ')}`);
      }
      const settled = total >= expected && total === last;
      last = total;
      return settled;
    },
    { stableMs: 2000, timeoutMs: timeoutFor(expected), describe: () => `${last}/${expected} snapshot records in Kafka` },
  );
  return last;
}

/**
 * The postmaster pid of the PostgreSQL server `endpoint` reaches (the parent of this connection's
 * backend), or null when the server is not a process of this machine.
 */
export async function postmasterPid(endpoint: DatabaseEndpoint): Promise<number | null> {
  const client = new pg.Client(endpoint);
  await client.connect();
  try {
    const res = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = res.rows[0]!.pid;
    return parentPid(backend);
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

/** CPU seconds of the whole PostgreSQL cluster so far ({@link treeCpuSeconds} of its postmaster), or null without one. */
export function clusterCpuSeconds(postmaster: number | null): number | null {
  return postmaster === null ? null : treeCpuSeconds(postmaster);
}

/** Pids of the backends connected to `database`, other than `client`'s own. */
export async function databaseBackends(client: pg.Client, database: string): Promise<number[]> {
  const res = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return res.rows.map((r) => r.pid);
}

/** Creates (after dropping it, with its connections) a throwaway database on the canonical server. */
export async function recreateDatabase(canonical: DatabaseEndpoint, database: string): Promise<DatabaseEndpoint> {
  await dropDatabase(canonical, database);
  const admin = new pg.Client({ ...canonical, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  return { ...canonical, database };
}

/** Drops a throwaway database on the canonical server (its open connections are closed). */
export async function dropDatabase(canonical: DatabaseEndpoint, database: string): Promise<void> {
  const admin = new pg.Client({ ...canonical, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Row count of the canonical `stock_level` table. */
export async function canonicalRowCount(endpoints: StackEndpoints): Promise<number> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const res = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM stock_level');
    return Number(res.rows[0]!.n);
  } finally {
    await client.end();
  }
}
