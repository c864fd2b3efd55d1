/**
 * The stream processor: one consumer group over every topic the mapping files name. Each Kafka
 * batch (one partition) is decoded, normalized and merged in one database transaction; dead
 * letters are produced; only then does the consumer commit the batch's offsets (docs/design.md
 * invariant 2). Canonical changes reach Redis and stock.levels through the outbox publisher.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import pino from 'pino';
import pRetry from 'p-retry';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import { createKafkaClient, kafkaErrorKind, type KafkaRecord, type RunningConsumer } from '../kafka/client.ts';
import { createSchemaRegistry } from '../registry/registry.ts';
import { createDecoder, DecodeError, type Decoder, type Row } from '../decode/index.ts';
import { loadMappings, type SourceMapping } from '../normalize/index.ts';
import { normalizeChange, NormalizeError, topicRoles, type NormalizedChange, type TopicRole } from '../normalize/index.ts';
import { PositionError } from '../normalize/index.ts';
import { mergeBatch, prepareCanonicalStore, reportOverdueParked, type MergeResult } from '../merge/index.ts';
import { createOutboxPublisher, ensureStockLevelsTopic, type OutboxPublisher, type PublishedChange } from '../serve/index.ts';
import { sendDeadLetters, type DeadLetter } from '../dead-letter/index.ts';
import type { DeadLetterReason } from '../dead-letter/index.ts';
import { canonicalChanges, deadLettered, mergeOutcomes, publishErrors, recordsConsumed } from './metrics.ts';
import { DEAD_LETTER_TOPIC, PIPELINE_GROUP_ID } from '../config/names.ts';

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
  /** Partitions processed at once by this instance (default 2). */
  concurrency?: number;
  hooks?: PipelineHooks;
  logger?: pino.Logger;
  /** Publish canonical changes to Redis and stock.levels (default true). */
  serve?: boolean;
}

export interface RunningPipeline {
  /** Waits until every outbox row is published. */
  drainOutbox(): Promise<void>;
  stop(): Promise<void>;
  mappings: SourceMapping[];
  topics: string[];
}

function keyText(key: Row | null, raw: Buffer | null): string | null {
  if (key) return JSON.stringify(key, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return raw ? raw.toString('base64') : null;
}

/** Retries a Kafka setup step on errors the client calls transient (e.g. a topic not yet known). */
function retryWhileKafkaSettles<T>(step: () => Promise<T>): Promise<T> {
  return pRetry(step, {
    retries: 6,
    minTimeout: 250,
    maxTimeout: 2000,
    shouldRetry: ({ error }) => kafkaErrorKind(error) === 'transient',
  });
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
  const pool = new pg.Pool({ ...endpoints.canonical, max: 6 });
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-pipeline' });
  const registry = createSchemaRegistry(endpoints.registryUrl);
  const decoders: Record<'avro' | 'json', Decoder> = {
    avro: createDecoder({ format: 'avro', registry }),
    json: createDecoder({ format: 'json' }),
  };

  // Topics the connectors will write are created up front, so the group can subscribe before the
  // connectors' first snapshot (same partition count as the connectors' topic.creation settings).
  // Right after topics are created (by us or a connector) the broker may briefly not know them yet.
  await retryWhileKafkaSettles(async () => {
    await ensureStockLevelsTopic(kafka);
    await kafka.ensureTopics([{ topic: DEAD_LETTER_TOPIC, partitions: 1 }, ...topics.map((topic) => ({ topic, partitions: 3 }))]);
  });

  const publisher: OutboxPublisher = createOutboxPublisher({
    pool,
    redis,
    kafka,
    registry,
    onPublished: (changes) => options.hooks?.onPublished?.(changes),
    onError: (error) => {
      publishErrors.inc();
      logger.warn({ err: error }, 'publishing canonical changes failed; retrying');
    },
  });

  async function handle(record: KafkaRecord, role: TopicRole): Promise<NormalizedChange | DeadLetter | null> {
    let key: Row | null = null;
    const letter = (reason: DeadLetterReason, field: string | null, error: string): DeadLetter => ({
      record,
      source: role.mapping.source,
      table: role.table,
      key: keyText(key, record.key),
      field,
      reason,
      error,
    });
    try {
      const decoded = await decoders[role.mapping.format].decode(record);
      recordsConsumed.inc({ topic: record.topic, kind: decoded.kind });
      if (decoded.kind !== 'change') return null; // tombstones, heartbeats, transaction markers
      key = decoded.key;
      return normalizeChange(role, decoded.key, decoded.envelope);
    } catch (error) {
      if (error instanceof DecodeError) return letter(error.reason, null, error.message);
      if (error instanceof NormalizeError) return letter(error.reason, error.field, error.message);
      if (error instanceof PositionError) return letter('no-position', 'source', error.message);
      throw error;
    }
  }

  async function quarantine(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await sendDeadLetters(kafka, letters);
    for (const l of letters) {
      deadLettered.inc({ source: l.source ?? '', reason: l.reason });
      logger.warn(
        { source: l.source, topic: l.record.topic, partition: l.record.partition, offset: l.record.offset, table: l.table, key: l.key, field: l.field, reason: l.reason },
        l.error,
      );
      options.hooks?.onDeadLetter?.(l);
    }
  }

  const consumer: RunningConsumer = await retryWhileKafkaSettles(() => kafka.runBatchConsumer({
    groupId: options.groupId ?? PIPELINE_GROUP_ID,
    topics,
    concurrency: options.concurrency ?? 2,
    // Batches of thousands of records: JSON-with-schema records are about 4.6 KB, so the client's
    // default 1 MiB per partition gave batches of about 215 (one merge transaction each).
    maxBytesPerPartition: 8 * 1024 * 1024,
    eachBatch: async (batch) => {
      const role = roles.get(batch.topic);
      if (!role) return;
      const changes: NormalizedChange[] = [];
      const letters: DeadLetter[] = [];
      // By row and position: the merge hands back copies of the changes.
      const recordOf = new Map<string, KafkaRecord>();
      const changeId = (c: { rowKey: string; position: { text: string } }) => `${c.rowKey}@${c.position.text}`;
      for (const record of batch.records) {
        const outcome = await handle(record, role);
        if (outcome === null) continue;
        if ('kind' in outcome) {
          changes.push(outcome);
          if (outcome.kind === 'level') recordOf.set(changeId(outcome), record);
        } else {
          letters.push(outcome);
        }
      }
      await quarantine(letters);
      if (changes.length === 0) return;
      // Rows whose codes resolve to nothing are quarantined inside the merge transaction, so a crash
      // cannot commit the merge without their dead letters.
      const result = await mergeBatch(pool, changes, mappings, async (merged) => {
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
      });
      mergeOutcomes.inc({ outcome: 'applied' }, result.applied);
      mergeOutcomes.inc({ outcome: 'skipped_stale' }, result.skippedStale);
      for (const [status, n] of Object.entries(result.resolutions)) if (n > 0) mergeOutcomes.inc({ outcome: status }, n);
      canonicalChanges.inc(result.canonical.length);
      options.hooks?.onMerged?.(result, batch);
      if (result.canonical.length > 0 && serve) publisher.kick();
    },
  }));
  // Publish anything a previous run committed but did not get to publish.
  if (serve) publisher.kick();
  // Rows parked past their source's wait are reported to the dead-letter topic (checked every 5 s).
  const parkedSweep = setInterval(() => {
    reportOverdueParked(pool, mappings, quarantine).catch((error: Error) => logger.warn({ err: error }, 'reporting overdue parked rows failed; retrying'));
  }, 5000);
  logger.info({ topics, groupId: options.groupId ?? PIPELINE_GROUP_ID }, 'pipeline started');

  return {
    mappings,
    topics,
    drainOutbox: () => publisher.drain(),
    async stop() {
      clearInterval(parkedSweep);
      await consumer.stop();
      await publisher.stop();
      await kafka.close();
      redis.disconnect();
      await pool.end();
    },
  };
}
