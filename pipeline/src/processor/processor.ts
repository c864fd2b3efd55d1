/**
 * The stream processor: one consumer group over every topic the mapping files name. Each Kafka
 * batch (one partition) is decoded, normalized and merged in one database transaction; dead
 * letters are produced; only then does the consumer commit the batch's offsets (docs/design.md
 * invariant 2). Canonical changes reach Redis and stock.levels through the outbox publisher.
 *
 * Failures: a record that cannot be decoded or mapped, or trips an unexpected error, is
 * dead-lettered (records.ts). A transient failure (Kafka, the schema registry, the canonical store
 * down or restarting, a deadlock) is retried with backoff, offsets uncommitted, until it passes or
 * the member loses the partition. A merge the canonical store rejects for good (postgres/errors.ts)
 * is split in halves until the records at fault are found: they are dead-lettered
 * (`merge-rejected`) and the rest is merged. So no record can stall a partition.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import {
  createKafkaClient,
  kafkaErrorKind,
  LEAVE_UNCOMMITTED,
  type BatchControl,
  type ConsumerStatus,
  type KafkaRecord,
  type RunningConsumer,
} from '../kafka/client.ts';
import { createSchemaRegistry } from '../registry/registry.ts';
import { createDecoder, registrySchemaLookup, type Decoder } from '../decode/index.ts';
import { loadMappings, topicRoles, type NormalizedChange, type SourceMapping } from '../normalize/index.ts';
import { mergeBatch, prepareCanonicalStore, reportOverdueParked, type MergeResult } from '../merge/index.ts';
import { createOutboxPublisher, ensureStockLevelsTopic, type OutboxPublisher, type PublishedChange } from '../serve/index.ts';
import { ensureDeadLetterTopic, sendDeadLetters, type DeadLetter } from '../dead-letter/index.ts';
import { createResilientPool } from '../postgres/pool.ts';
import { describeStoreError, sqlState, storeErrorKind } from '../postgres/errors.ts';
import { decodeRecord, markUnavailable, SchemaRegistryUnavailable } from './records.ts';
import {
  batchRecords,
  canonicalChanges,
  consumerLag,
  deadLettered,
  mergeBatches,
  mergeOutcomes,
  mergesIsolated,
  observeFreshness,
  outboxBacklog,
  publishErrors,
  recordsConsumed,
  retries,
  stageSeconds,
} from './metrics.ts';
import { groupLag } from '../kafka/group-lag.ts';
import { countingStatements } from './statement-count.ts';
import { PIPELINE_GROUP_ID } from '../config/names.ts';
import { retryWhileKafkaSettles, STARTUP_RETRIES } from '../kafka/settle.ts';
import { memberReadiness } from '../kafka/member-readiness.ts';

/** Partitions one pipeline instance decodes and merges at once, unless told otherwise. */
export const DEFAULT_PIPELINE_CONCURRENCY = 2;

/** Observers of the pipeline's progress (the demo measures latency with them). */
export interface PipelineHooks {
  onMerged?(result: MergeResult, batch: { topic: string; partition: number }): void;
  onPublished?(changes: PublishedChange[]): void;
  onDeadLetter?(letter: DeadLetter): void;
}

export interface PipelineOptions {
  endpoints?: StackEndpoints;
  /** Default: every mapping file in schemas/sources. */
  mappings?: SourceMapping[];
  groupId?: string;
  /** Partitions processed at once by this instance (default DEFAULT_PIPELINE_CONCURRENCY). */
  concurrency?: number;
  hooks?: PipelineHooks;
  logger?: pino.Logger;
  /** Publish canonical changes to Redis and stock.levels (default true). */
  serve?: boolean;
}

export interface RunningPipeline {
  /** Waits until every outbox row is published. */
  drainOutbox(): Promise<void>;
  /**
   * Whether this instance can do its work now (cheap, synchronous; for a metrics or `/readyz`
   * endpoint): its consumer has joined the group and the coordinator heard from it within the
   * session (CONSUMER_SESSION_MS), the canonical store answered the last request made to it, and Redis is
   * connected. Not ready is a passing state: the pipeline retries on its own.
   */
  readiness(): PipelineReadiness;
  stop(): Promise<void>;
  mappings: SourceMapping[];
  topics: string[];
}

/** What {@link RunningPipeline.readiness} reports; `ready` is the conjunction of the parts' `ready`. */
export interface PipelineReadiness {
  ready: boolean;
  /** Why not ready, one line per part that is not (empty when ready). */
  reasons: string[];
  /** The consumer group member: joined, its partitions, ms since the coordinator last heard from it (null = never). */
  consumer: ConsumerStatus & { ready: boolean; contactAgeMs: number | null };
  /** The canonical PostgreSQL store: the error of the last failed request, null once one succeeds. */
  canonicalStore: { ready: boolean; error: string | null };
  /** Redis (publication): the client's connection status (`ready` when connected). */
  redis: { ready: boolean; status: string };
}

/** Starts the pipeline; resolves once the consumer has joined its group. */
export async function startPipeline(options: PipelineOptions = {}): Promise<RunningPipeline> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const mappings = options.mappings ?? loadMappings();
  const logger = options.logger ?? pino({ name: 'stocksync' });
  const roles = topicRoles(mappings);
  const topics = [...roles.keys()].sort();
  const serve = options.serve ?? true;

  await prepareCanonicalStore(endpoints);
  // The canonical store and Redis may restart under us: report, never crash (requests in flight
  // fail and are retried); `canonicalError` is what the readiness check reports meanwhile.
  let canonicalError: string | null = null;
  const storeFailed = (error: Error) => {
    if (canonicalError === null) logger.warn({ err: error }, 'canonical store connection failed');
    canonicalError = error.message;
  };
  const storeAnswered = () => {
    if (canonicalError !== null) logger.info('canonical store answers again');
    canonicalError = null;
  };
  const concurrency = options.concurrency ?? DEFAULT_PIPELINE_CONCURRENCY;
  // One connection per merge in flight, and some for the outbox publisher and the periodic reads.
  const pool = createResilientPool({ ...endpoints.canonical, max: concurrency + 4 }, storeFailed);
  const mergePool = countingStatements(pool);
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  let redisDown = false;
  redis.on('error', (error: Error) => {
    if (!redisDown) logger.warn({ err: error }, 'Redis connection failed; reconnecting (publication waits, changes stay in the outbox)');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) logger.info('Redis answers again');
    redisDown = false;
  });
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-pipeline' });
  const registry = createSchemaRegistry(endpoints.registryUrl);
  const decoders: Record<'avro' | 'json', Decoder> = {
    // A failed schema lookup (the registry unreachable) is marked, so it is retried, not dead-lettered.
    avro: createDecoder({ format: 'avro', registry: markUnavailable(registrySchemaLookup(registry)) }),
    json: createDecoder({ format: 'json' }),
  };

  // Topics the connectors will write are created up front, so the group can subscribe before the
  // connectors' first snapshot (same partition count as the connectors' topic.creation settings).
  // A broker still starting (or overloaded) is waited for rather than ending the service.
  await retryWhileKafkaSettles(
    async () => {
      await ensureStockLevelsTopic(kafka);
      await ensureDeadLetterTopic(kafka);
      await kafka.ensureTopics(topics.map((topic) => ({ topic, partitions: 3 })));
    },
    { retries: STARTUP_RETRIES, onRetry: (error) => logger.warn({ err: error }, 'waiting for Kafka') },
  );

  const publisher: OutboxPublisher = createOutboxPublisher({
    pool,
    redis,
    kafka,
    registry,
    onPublished: (changes) => {
      for (const c of changes) observeFreshness('published', c.event, c.invalidatedAtMs);
      options.hooks?.onPublished?.(changes);
    },
    onError: (error) => {
      publishErrors.inc();
      logger.warn({ err: error }, 'publishing canonical changes failed; retrying');
    },
  });

  async function quarantine(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await sendDeadLetters(kafka, letters);
    for (const l of letters) {
      deadLettered.inc({ source: l.source ?? '', reason: l.reason });
      logger.warn(
        {
          source: l.source,
          topic: l.record.topic,
          partition: l.record.partition,
          offset: l.record.offset,
          table: l.table,
          key: l.key,
          field: l.field,
          reason: l.reason,
        },
        l.error,
      );
      options.hooks?.onDeadLetter?.(l);
    }
  }

  /**
   * Runs `step` until it succeeds. Transient failures (Kafka, the schema registry, the canonical
   * store down or restarting, deadlocks) are retried with backoff (0.2 s doubling to 10 s) while
   * the batch's offsets stay uncommitted; the Kafka client keeps the group membership meanwhile.
   * Gives up with LEAVE_UNCOMMITTED once the member stops or loses the partition.
   * @throws what `step` threw when it is not transient.
   */
  async function untilDone<T>(what: string, control: BatchControl, step: () => Promise<T>): Promise<T | typeof LEAVE_UNCOMMITTED> {
    for (let failures = 0; ; failures++) {
      if (!control.isRunning()) return LEAVE_UNCOMMITTED;
      try {
        const result = await step();
        if (failures > 0) logger.info({ step: what, failures }, 'retried step succeeded');
        return result;
      } catch (error) {
        if (!isTransient(error)) throw error;
        retries.inc({ step: what });
        if (failures === 0 || failures % 10 === 0)
          logger.warn({ step: what, err: error, failures: failures + 1 }, `${what} failed; retrying (offsets not committed)`);
      }
      const until = Date.now() + Math.min(10_000, 200 * 2 ** Math.min(failures, 6));
      while (Date.now() < until) {
        if (!control.isRunning()) return LEAVE_UNCOMMITTED;
        await sleep(Math.min(250, until - Date.now()));
      }
    }
  }

  /** True for failures worth retrying as they are (see postgres/errors.ts for the store's). */
  function isTransient(error: unknown): boolean {
    if (error instanceof SchemaRegistryUnavailable) return true;
    const kafkaKind = kafkaErrorKind(error);
    if (kafkaKind !== null) return true; // producing dead letters: retried whatever the broker said
    const transient = storeErrorKind(error) === 'transient';
    // A deadlock or serialization failure is an answer: the store is reachable.
    if (transient && !sqlState(error)?.startsWith('40')) storeFailed(error as Error);
    return transient;
  }

  /** One change and the record it came from. */
  interface Item {
    change: NormalizedChange;
    record: KafkaRecord;
  }
  // By row and position: the merge hands back copies of the level changes it could not map.
  const changeId = (c: { rowKey: string; position: { text: string } }) => `${c.rowKey}@${c.position.text}`;

  /** Merges items in one transaction; the records of unmapped rows are quarantined inside it. */
  async function mergeItems(items: Item[], batch: { topic: string; partition: number }): Promise<void> {
    const recordOf = new Map<string, KafkaRecord>();
    for (const { change, record } of items) if (change.kind === 'level') recordOf.set(changeId(change), record);
    // Rows whose codes resolve to nothing are quarantined inside the merge transaction, so a crash
    // cannot commit the merge without their dead letters.
    mergeBatches.inc();
    const result = await mergeBatch(
      mergePool,
      items.map((i) => i.change),
      mappings,
      async (merged) => {
        await quarantine(
          merged.unmapped.map(({ change, reason, field }) => ({
            record: recordOf.get(changeId(change))!,
            source: change.source,
            table: change.table,
            key: change.rowKey,
            field,
            reason: 'unmapped-code',
            error: `${change.source}.${change.table} row ${change.rowKey}: ${reason}`,
          })),
        );
      },
    );
    storeAnswered();
    mergeOutcomes.inc({ outcome: 'applied' }, result.applied);
    mergeOutcomes.inc({ outcome: 'skipped_stale' }, result.skippedStale);
    for (const [status, n] of Object.entries(result.resolutions)) if (n > 0) mergeOutcomes.inc({ outcome: status }, n);
    canonicalChanges.inc(result.canonical.length);
    for (const event of result.canonical) observeFreshness('canonical', event, result.committedAtMs);
    options.hooks?.onMerged?.(result, batch);
    if (result.canonical.length > 0 && serve) publisher.kick();
  }

  /**
   * Merges items, isolating what the canonical store rejects for good: a rejected merge is split in
   * halves, recursively, until the records it fails on are found; those are dead-lettered
   * (`merge-rejected`, naming the SQLSTATE and message) and everything else is merged, in order.
   * Transient failures are retried (untilDone), never dead-lettered.
   */
  async function mergeIsolating(
    items: Item[],
    batch: { topic: string; partition: number },
    control: BatchControl,
    depth = 0,
  ): Promise<typeof LEAVE_UNCOMMITTED | undefined> {
    const outcome = await untilDone('merge', control, async () => {
      try {
        await mergeItems(items, batch);
        return null;
      } catch (error) {
        if (isTransient(error)) throw error;
        return { rejected: error };
      }
    });
    if (outcome === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
    if (outcome === null) return undefined;
    if (items.length === 1) {
      const { change, record } = items[0]!;
      const letter: DeadLetter = {
        record,
        source: change.source,
        table: change.kind === 'dimension' ? change.dimension : change.table,
        key: change.kind === 'level' ? change.rowKey : change.kind === 'dimension' ? change.key : null,
        field: null,
        reason: 'merge-rejected',
        error: `the canonical store rejected the change (${describeStoreError(outcome.rejected)})`,
      };
      mergesIsolated.inc();
      const sent = await untilDone('dead-letter', control, () => quarantine([letter]));
      return sent === LEAVE_UNCOMMITTED ? LEAVE_UNCOMMITTED : undefined;
    }
    if (depth === 0) {
      logger.warn(
        { topic: batch.topic, partition: batch.partition, records: items.length, err: outcome.rejected },
        'merge rejected; splitting the batch to find the records at fault',
      );
    }
    const middle = Math.ceil(items.length / 2);
    for (const half of [items.slice(0, middle), items.slice(middle)]) {
      if ((await mergeIsolating(half, batch, control, depth + 1)) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
    }
  }

  const consumer: RunningConsumer = await retryWhileKafkaSettles(() =>
    kafka.runBatchConsumer({
      groupId: options.groupId ?? PIPELINE_GROUP_ID,
      topics,
      concurrency,
      // Batches of hundreds to thousands of records: JSON-with-schema records are about 4.6 KB, so
      // the client's default 1 MiB per partition gave batches of about 215 (one merge transaction
      // each). 8 MiB gave batches of 40,000 Avro records, each a merge of tens of seconds.
      maxBytesPerPartition: 2 * 1024 * 1024,
      eachBatch: async (batch, control) => {
        const role = roles.get(batch.topic);
        if (!role) return;
        const items: Item[] = [];
        const letters: DeadLetter[] = [];
        batchRecords.observe(batch.records.length);
        const endDecode = stageSeconds.startTimer({ stage: 'decode' });
        let yieldedAt = Date.now();
        for (const record of batch.records) {
          // Decoding thousands of records resolves without real I/O, which starves timers — among
          // them the heartbeats that keep this member in its group: let them run every 100 ms.
          if (Date.now() - yieldedAt > 100) {
            await new Promise((resolve) => setImmediate(resolve));
            yieldedAt = Date.now();
          }
          const outcome = await untilDone('decode', control, () =>
            decodeRecord(record, role, decoders[role.mapping.format], (kind) => recordsConsumed.inc({ topic: record.topic, kind })),
          );
          if (outcome === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
          if (outcome === null) continue;
          if ('kind' in outcome) items.push({ change: outcome, record });
          else letters.push(outcome);
        }
        endDecode();
        const endDeadLetters = stageSeconds.startTimer({ stage: 'dead_letter' });
        if ((await untilDone('dead-letter', control, () => quarantine(letters))) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
        endDeadLetters();
        if (items.length === 0) return;
        const endMerge = stageSeconds.startTimer({ stage: 'merge' });
        const merged = await mergeIsolating(items, batch, control);
        if (merged !== LEAVE_UNCOMMITTED) endMerge();
        return merged;
      },
    }),
  );
  // Publish anything a previous run committed but did not get to publish.
  if (serve) publisher.kick();
  // Rows parked past their source's wait are reported to the dead-letter topic (checked every 5 s).
  const parkedSweep = setInterval(() => {
    reportOverdueParked(pool, mappings, quarantine).then(storeAnswered, (error: Error) => {
      if (storeErrorKind(error) === 'transient') storeFailed(error);
      logger.warn({ err: error }, 'reporting overdue parked rows failed; retrying');
    });
  }, 5000);
  // Consumer lag per topic and the outbox backlog for the metrics endpoint, read every 10 s (a
  // failed read keeps the last value).
  const lagRead = setInterval(() => {
    void (async () => {
      for (const topic of topics) consumerLag.set({ topic }, await groupLag(kafka, options.groupId ?? PIPELINE_GROUP_ID, [topic]));
    })().catch(() => undefined);
    pool.query<{ n: string }>('SELECT count(*)::text AS n FROM canonical_outbox').then(
      (r) => outboxBacklog.set(Number(r.rows[0]!.n)),
      () => undefined,
    );
  }, 10_000);
  lagRead.unref();
  logger.info({ topics, groupId: options.groupId ?? PIPELINE_GROUP_ID }, 'pipeline started');

  return {
    mappings,
    topics,
    drainOutbox: () => publisher.drain(),
    readiness() {
      const status = consumer.status();
      const member = memberReadiness(status);
      const redisReady = redis.status === 'ready';
      const reasons = [
        ...(member.reason ? [`Kafka consumer: ${member.reason}`] : []),
        ...(canonicalError !== null ? [`canonical store: ${canonicalError}`] : []),
        ...(redisReady ? [] : [`Redis: connection ${redis.status}`]),
      ];
      return {
        ready: reasons.length === 0,
        reasons,
        consumer: { ready: member.ready, ...status, contactAgeMs: member.contactAgeMs },
        canonicalStore: { ready: canonicalError === null, error: canonicalError },
        redis: { ready: redisReady, status: redis.status },
      };
    },
    async stop() {
      clearInterval(parkedSweep);
      clearInterval(lagRead);
      await consumer.stop();
      await publisher.stop();
      await kafka.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
