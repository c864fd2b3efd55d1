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
import { canonicalSchemaJson, type StockLevelEvent } from '../merge/canonical-schema.ts';
import { redisKeys, STOCK_CHANGES_CHANNEL } from './redis-keys.ts';

/** The compacted topic of canonical changes, keyed by {sku, location}. */
export const STOCK_LEVELS_TOPIC = 'stock.levels';

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

export interface OutboxPublisher {
  /** Asks for a publication round now (after a merge commit); rounds never overlap. */
  kick(): void;
  /** Publishes until the outbox is empty (or fails). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

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
  const batchSize = options.batchSize ?? 500;
  let ids: { keyId: number; valueId: number } | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  /** One round: claim, publish, delete. Returns the number published. */
  async function round(): Promise<number> {
    ids ??= await registerCanonicalSchemas(options.registry);
    const client = await options.pool.connect();
    try {
      await client.query('BEGIN');
      const claimed = await client.query<{ id: string; payload: StockLevelEvent }>(
        'SELECT id::text, payload FROM canonical_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [batchSize],
      );
      if (claimed.rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const events = claimed.rows.map((r) => r.payload);
      // Redis first: channel apps must not read a stale cache once the canonical row committed.
      const pipeline = options.redis.multi();
      for (const event of events) {
        const keys = redisKeys(event.sku, event.location);
        pipeline.del(keys.level, keys.sku);
        pipeline.publish(STOCK_CHANGES_CHANNEL, JSON.stringify(event));
      }
      await pipeline.exec();
      const invalidatedAtMs = Date.now();
      const records = await Promise.all(
        events.map(async (event) => ({
          key: await options.registry.encode(ids!.keyId, { sku: event.sku, location: event.location }),
          value: await options.registry.encode(ids!.valueId, event),
        })),
      );
      await options.kafka.send(STOCK_LEVELS_TOPIC, records);
      await client.query('DELETE FROM canonical_outbox WHERE id = ANY($1::bigint[])', [claimed.rows.map((r) => r.id)]);
      await client.query('COMMIT');
      options.onPublished?.(events.map((event) => ({ event, invalidatedAtMs })));
      return events.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async function loop(): Promise<void> {
    do {
      again = false;
      while (!stopped && (await round()) > 0) failures = 0;
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop()
      .catch((error: Error) => {
        failures++;
        options.onError?.(error);
        // Back off (max 5 s) and try again: rows stay in the outbox meanwhile.
        clearTimeout(retryTimer);
        retryTimer = setTimeout(kick, Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      })
      .finally(() => {
        running = undefined;
      });
  }

  return {
    kick,
    async drain() {
      for (;;) {
        if (running) await running;
        if ((await round()) === 0) return;
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await running;
    },
  };
}
