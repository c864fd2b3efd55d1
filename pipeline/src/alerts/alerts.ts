/**
 * `stocksync alerts run`: one consumer group (`stocksync-alerts`) on `stock.levels` decides the
 * alerts of the keys each batch names (evaluate.ts: low stock per channel, anomalies, stockout
 * risk) in one transaction with its state, and an outbox drainer publishes them after the commit:
 * Avro to the `stock.alerts` topic (subject `stock.alerts-value`, `schemas/avro/stock_alert.avsc`,
 * keyed by SKU), to the Redis stream `stocksync:alerts`, and, when `STOCKSYNC_ALERTS_WEBHOOK_URL` is
 * set, as a JSON POST signed with HMAC-SHA256 (`X-Stocksync-Signature: sha256=<hex>` over the body,
 * key `STOCKSYNC_ALERTS_WEBHOOK_SECRET`). A failed publication is retried with backoff; an alert
 * may then be delivered more than once (at least once), never lost. docs/alerts.md.
 */
import crypto from 'node:crypto';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import pino from 'pino';
import { Redis } from 'ioredis';
import { loadChannelsConfig, type ChannelsConfig } from '../channels/index.ts';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import { ALERTS_GROUP_ID, ALERTS_STREAM, ALERTS_TOPIC, DEMAND_GROUP_ID, DEMAND_TOPIC, STOCK_LEVELS_TOPIC } from '../config/names.ts';
import { createKafkaClient, LEAVE_UNCOMMITTED, type RunningConsumer } from '../kafka/client.ts';
import { createSchemaRegistry } from '../registry/registry.ts';
import { createOutboxDrainer, ensureStockLevelsTopic } from '../serve/index.ts';
import { withTransaction } from '../postgres/transaction.ts';
import { alertSchemaJson, type StockAlert } from './alert.ts';
import { DemandSignalError, parseDemandSignal, recordDemand, type DemandSignal } from './demand.ts';
import { evaluateKeys } from './evaluate.ts';
import { prepareAlertState } from './state.ts';

export interface AlertsOptions {
  endpoints?: StackEndpoints;
  /** Default: the channels file (`loadChannelsConfig()`), which holds the low stock thresholds and the `alerts` settings. */
  config?: ChannelsConfig;
  groupId?: string;
  /** The consumer group on `stock.demand` (default stocksync-alerts-demand). */
  demandGroupId?: string;
  logger?: pino.Logger;
  /** Called with each published round (tests). */
  onPublished?: (alerts: StockAlert[]) => void;
}

export interface RunningAlerts {
  stop(): Promise<void>;
  /** Publishes everything queued (tests, shutdown). */
  drain(): Promise<void>;
}

/** Sends `alerts` to the webhook, if one is configured; throws on a non-2xx answer (the round is retried). */
async function postWebhook(alerts: StockAlert[]): Promise<void> {
  const url = process.env.STOCKSYNC_ALERTS_WEBHOOK_URL;
  if (!url) return;
  const body = JSON.stringify({ alerts });
  const signature = crypto
    .createHmac('sha256', process.env.STOCKSYNC_ALERTS_WEBHOOK_SECRET ?? '')
    .update(body)
    .digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stocksync-signature': `sha256=${signature}` },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`alert webhook answered ${response.status}`);
}

/**
 * Starts the alerts consumer and publisher.
 * @throws Error when the canonical store, Kafka, the registry or the channels file fail at start-up.
 */
export async function startAlerts(options: AlertsOptions = {}): Promise<RunningAlerts> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const logger = options.logger ?? pino({ name: 'stocksync-alerts' });
  const pool = new pg.Pool({ ...endpoints.canonical, max: 4 });
  pool.on('error', (error) => logger.warn({ err: error }, 'canonical store connection failed'));
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-alerts' });
  const registry = createSchemaRegistry(endpoints.registryUrl);
  await prepareAlertState(pool);
  await ensureStockLevelsTopic(kafka);
  await kafka.ensureTopics([
    { topic: ALERTS_TOPIC, partitions: 3 },
    { topic: DEMAND_TOPIC, partitions: 3 },
  ]);
  let valueId: number | undefined;
  const publisher = createOutboxDrainer<StockAlert, StockAlert[]>({
    pool,
    table: 'alert_outbox',
    async publish(alerts) {
      valueId ??= (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(alertSchemaJson()) }, { subject: `${ALERTS_TOPIC}-value` })).id;
      const records = await Promise.all(alerts.map(async (a) => ({ key: a.sku, value: await registry.encode(valueId!, a) })));
      await kafka.send(ALERTS_TOPIC, records);
      const multi = redis.multi();
      for (const a of alerts) {
        multi.xadd(ALERTS_STREAM, 'MAXLEN', '~', '100000', '*', ...Object.entries(a).flatMap(([k, v]) => [k, v === null ? '' : String(v)]));
      }
      await multi.exec();
      await postWebhook(alerts);
      return alerts;
    },
    onPublished: (alerts) => options.onPublished?.(alerts),
    onError: (error) => logger.warn({ err: error }, 'publishing alerts failed; retrying'),
  });
  const consumer: RunningConsumer = await kafka.runBatchConsumer({
    groupId: options.groupId ?? ALERTS_GROUP_ID,
    topics: [STOCK_LEVELS_TOPIC],
    concurrency: 3,
    eachBatch: async (batch, control) => {
      const keys = new Map<string, { sku: string; location: string }>();
      for (const record of batch.records) {
        if (!record.key) continue;
        try {
          const key = (await registry.decode(record.key)) as { sku: string; location: string };
          keys.set(`${key.sku}\u001f${key.location}`, { sku: key.sku, location: key.location });
        } catch (error) {
          logger.warn({ err: error, topic: record.topic, partition: record.partition, offset: record.offset }, 'stock.levels key not decodable; skipped');
        }
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await withTransaction(pool, (client) => evaluateKeys(client, config, [...keys.values()]));
          break;
        } catch (error) {
          if (!control.isRunning()) return LEAVE_UNCOMMITTED;
          logger.warn({ err: error }, 'deciding alerts failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
        }
      }
      publisher.kick();
    },
  });
  const demand: RunningConsumer = await kafka.runBatchConsumer({
    groupId: options.demandGroupId ?? DEMAND_GROUP_ID,
    topics: [DEMAND_TOPIC],
    eachBatch: async (batch, control) => {
      const signals: DemandSignal[] = [];
      for (const record of batch.records) {
        try {
          signals.push(parseDemandSignal(record.value));
        } catch (error) {
          if (!(error instanceof DemandSignalError)) throw error;
          logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset, reason: error.message }, 'not a demand signal; skipped');
        }
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await withTransaction(pool, (client) => recordDemand(client, signals));
          return;
        } catch (error) {
          if (!control.isRunning()) return LEAVE_UNCOMMITTED;
          logger.warn({ err: error }, 'counting demand signals failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
        }
      }
    },
  });
  publisher.kick();
  return {
    drain: () => publisher.drain(),
    async stop() {
      await demand.stop();
      await consumer.stop();
      await publisher.stop();
      await kafka.close();
      redis.disconnect();
      await pool.end();
    },
  };
}
