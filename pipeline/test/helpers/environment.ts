/**
 * A fresh sample environment on the real stack for end-to-end tests: capture reset, sources seeded,
 * connectors applied, and (optionally) an in-process pipeline that has merged the whole snapshot.
 */
import pg from 'pg';
import pino from 'pino';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { sourceCaughtUp } from '../../src/connectors/caught-up.ts';
import { resetCapture, seedSources, type SeededEnvironment } from '../../dev/demo/environment.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { waitStable } from '../../dev/demo/quiescence.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { startPipeline, type PipelineOptions, type RunningPipeline } from '../../src/processor/processor.ts';
import { loadMappings } from '../../src/normalize/mapping.ts';
import { topicRoles } from '../../src/normalize/normalize.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { PIPELINE_GROUP_ID } from '../../src/config/names.ts';

export const TEST_SAMPLE = { seed: 7, products: 150 };

/**
 * Records the shipped mappings' topics must hold before lag zero means "snapshot merged": the
 * row count of the mapped tables when the last fresh environment was seeded.
 */
let snapshotRecords = 0;

/** Resets capture, seeds the sources and applies the connectors (snapshot starts). */
export async function freshEnvironment(): Promise<SeededEnvironment> {
  await resetCapture();
  const seeded = await seedSources(TEST_SAMPLE);
  snapshotRecords = await snapshotRowCount(loadMappings());
  for (const file of connectorFiles()) await applyConnector(loadConnector(file));
  return seeded;
}

/** Starts an in-process pipeline quietly (warnings to stderr). */
export function quietPipeline(options: PipelineOptions = {}): Promise<RunningPipeline> {
  return startPipeline({ logger: pino({ level: 'warn' }, pino.destination(2)), ...options });
}

/** Every topic the shipped mappings read. */
export function pipelineTopics(): string[] {
  return [...topicRoles(loadMappings()).keys()];
}

/**
 * Waits until capture and the pipeline are caught up, held for 1.5 s: every connector of the
 * shipped mappings RUNNING and past every change of its source's log (`sourceCaughtUp`), and then
 * the group without lag on its topics (default: the shipped mappings' topics).
 */
export async function waitForLagZero(groupId = PIPELINE_GROUP_ID, timeoutMs = 120_000, topics = pipelineTopics()): Promise<void> {
  const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test-lag' });
  // Lag zero before the connectors have written their snapshot would mean nothing.
  const written = async () => {
    let total = 0n;
    for (const topic of topics) for (const p of await kafka.endOffsets(topic).catch(() => [])) total += BigInt(p.offset);
    return Number(total);
  };
  const connectors = [
    ...new Set(
      loadMappings()
        .map((m) => m.connector)
        .filter((c): c is string => Boolean(c)),
    ),
  ];
  // The connectors first: once they have read their sources, what they read is in the topics.
  const captured = async () => (await Promise.all(connectors.map((c) => sourceCaughtUp(c)))).every((c) => c.caughtUp);
  try {
    await waitStable(async () => (await written()) >= snapshotRecords && (await captured()) && (await groupLag(kafka, groupId, topics)) === 0, {
      stableMs: 1500,
      timeoutMs,
      describe: async () =>
        `lag ${await groupLag(kafka, groupId, topics)}, ${await written()} of at least ${snapshotRecords} snapshot records written; ` +
        (await Promise.all(connectors.map((c) => sourceCaughtUp(c)))).map((c) => `${c.connector}: ${c.caughtUp ? 'caught up' : c.reason}`).join('; '),
    });
  } finally {
    await kafka.close();
  }
}

/** Queries the canonical store. */
export async function canonicalQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(stackEndpoints().canonical);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Polls `read` until `accept` holds; returns the last value or throws with it after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}
