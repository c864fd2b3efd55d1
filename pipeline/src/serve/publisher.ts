/**
 * Serve: publishes canonical changes from the transactional outbox after the merge committed —
 * Redis invalidation and a notification, then the Avro-encoded change on the compacted
 * `stock.levels` topic — and deletes them from the outbox once both are done. A downstream outage
 * delays publication (rows stay in the outbox and are retried with backoff); it never drops a
 * change or holds up the merge. Several instances may publish at once: rows are claimed with
 * `FOR UPDATE SKIP LOCKED`.
 */
import type pg from 'pg';
import type { Redis } from 'ioredis';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { KafkaClient } from '../kafka/client.ts';
import { canonicalSchemaJson, type StockLevelEvent } from '../merge/index.ts';
import { redisKeys, STOCK_CHANGES_CHANNEL, STOCK_LEVELS_TOPIC } from '../config/names.ts';
import { createOutboxDrainer, type OutboxDrainer } from './outbox.ts';

export interface PublishedChange {
  event: StockLevelEvent;
  /** Wall time when the Redis invalidation for it was acknowledged, ms since epoch. */
  invalidatedAtMs: number;
}

export interface PublisherOptions {
  pool: pg.Pool;
  redis: Redis;
  kafka: KafkaClient;
  registry: SchemaRegistry;
  /** Rows claimed per round (default 500). */
  batchSize?: number;
  onPublished?: (changes: PublishedChange[]) => void;
  onError?: (error: Error) => void;
}

/** Publication rounds: `kick()` after a merge commit; `drain()` publishes until the outbox is empty. */
export type OutboxPublisher = OutboxDrainer;

/** Registers the canonical schemas (subjects stock.levels-key/-value); returns their ids. */
export async function registerCanonicalSchemas(registry: SchemaRegistry): Promise<{ keyId: number; valueId: number }> {
  const key = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(canonicalSchemaJson('stock_level_key')) },
    { subject: `${STOCK_LEVELS_TOPIC}-key` },
  );
  const value = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(canonicalSchemaJson('stock_level')) },
    { subject: `${STOCK_LEVELS_TOPIC}-value` },
  );
  return { keyId: key.id, valueId: value.id };
}

/** Creates the compacted stock.levels topic if missing. */
export async function ensureStockLevelsTopic(kafka: KafkaClient): Promise<void> {
  await kafka.ensureTopics([{ topic: STOCK_LEVELS_TOPIC, partitions: 3, configs: { 'cleanup.policy': 'compact' } }]);
}

export function createOutboxPublisher(options: PublisherOptions): OutboxPublisher {
  let ids: { keyId: number; valueId: number } | undefined;
  return createOutboxDrainer<StockLevelEvent, PublishedChange[]>({
    pool: options.pool,
    table: 'canonical_outbox',
    batchSize: options.batchSize,
    onPublished: options.onPublished,
    onError: options.onError,
    async publish(events) {
      ids ??= await registerCanonicalSchemas(options.registry);
      // Redis first: channel apps must not read a stale cache once the canonical row committed.
      const multi = options.redis.multi();
      for (const event of events) {
        const keys = redisKeys(event.sku, event.location);
        multi.del(keys.level, keys.sku);
        multi.publish(STOCK_CHANGES_CHANNEL, JSON.stringify(event));
      }
      await multi.exec();
      const invalidatedAtMs = Date.now();
      const records = await Promise.all(
        events.map(async (event) => ({
          key: await options.registry.encode(ids!.keyId, { sku: event.sku, location: event.location }),
          value: await options.registry.encode(ids!.valueId, event),
        })),
      );
      await options.kafka.send(STOCK_LEVELS_TOPIC, records);
      return events.map((event) => ({ event, invalidatedAtMs }));
    },
  });
}
