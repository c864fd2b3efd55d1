/**
 * Channel fan-out: one consumer group per channel (`stocksync-channel-<name>`) on the compacted
 * `stock.levels` topic, so a channel database outage delays only that channel — its consumer
 * retries the batch without committing offsets (the Kafka client keeps its group membership), while
 * the other channels go on.
 *
 * For the SKUs a batch touches at the channel's locations (in chunks of `batch_size`):
 *   1. take advisory locks on the channel's SKU buckets (postgres/advisory-locks.ts; so every
 *      instance computes one SKU of one channel in turn: a computation that starts later reads a
 *      newer canonical state);
 *   2. read the SKUs' canonical rows and compute available to sell by the channel's rules
 *      (rules.ts); the row's version is the sum of the canonical versions at the channel's
 *      locations, which only grows;
 *   3. compare with `channel_mirror` (what was last written): unchanged quantities cost nothing;
 *   4. mark the changed rows pending in the mirror, write them to the channel database in one
 *      versioned conditional upsert (one request, through the channel's rate limit), then clear
 *      pending and queue a notification per row in one transaction; release the locks.
 * Kafka offsets are committed after every chunk of the batch is done (docs/design.md invariants 2, 6).
 */
import type pg from 'pg';
import { Redis } from 'ioredis';
import pino from 'pino';
import client from 'prom-client';
import { stackEndpoints, type DatabaseEndpoint, type StackEndpoints } from '../config/endpoints.ts';
import { createKafkaClient, LEAVE_UNCOMMITTED, type BatchControl, type KafkaRecord, type RunningConsumer } from '../kafka/client.ts';
import avro from 'avsc';
import { createSchemaRegistry, confluentHeader } from '../registry/registry.ts';
import { registrySchemaLookup } from '../decode/index.ts';
import { ensureStockLevelsTopic } from '../serve/index.ts';
import { retryWhileKafkaSettles, STARTUP_RETRIES } from '../kafka/settle.ts';
import { ensureDeadLetterTopic, sendDeadLetters, type DeadLetter } from '../dead-letter/index.ts';
import type { DeadLetterReason } from '../dead-letter/index.ts';
import { metricsRegistry } from '../metrics/registry.ts';
import { lockChannelSkuBuckets, releaseSessionLocks } from '../postgres/advisory-locks.ts';
import { withTransaction } from '../postgres/transaction.ts';
import { createResilientPool } from '../postgres/pool.ts';
import { describeStoreError } from '../postgres/errors.ts';
import { groupLag } from '../kafka/group-lag.ts';
import { memberReadiness, type MemberReadiness } from '../kafka/member-readiness.ts';
import { channelEndpoint, loadChannelsConfig, matchesLocation, type ChannelRule, type ChannelsConfig } from './config.ts';
import { availableToSell, type CanonicalRow } from './rules.ts';
import { channelErrorKind, createChannelStore, type ChannelRow, type ChannelStore } from './stores.ts';
import { prepareChannelState, type ChannelNotification } from './state.ts';
import { createNotifier, type Notifier } from './notify.ts';
import { channelGroupId, STOCK_LEVELS_TOPIC } from '../config/names.ts';

/** One chunk of SKUs brought up to date in a channel. */
export interface ChannelCommit {
  channel: string;
  /**
   * Wall time right after the channel database acknowledged the write, ms since epoch (when
   * nothing was written: when that was decided).
   */
  committedAtMs: number;
  /** Rows written (their channel-visible quantity changed). */
  rows: Array<ChannelRow & { previous: number | null }>;
  /** SKUs recomputed whose quantity the channel already showed: nothing written. */
  unchanged: Array<Pick<ChannelRow, 'sku' | 'version' | 'canonicalVersions'>>;
}

export interface ChannelHooks {
  /** After each chunk that wrote or found SKUs unchanged (the demo measures source-commit -> channel-commit latency with it). */
  onCommitted?(commit: ChannelCommit): void;
  /** A failed attempt (the chunk is retried with backoff). */
  onError?(channel: string, error: Error): void;
}

export interface ChannelsOptions {
  endpoints?: StackEndpoints;
  /** Default: `loadChannelsConfig()` (schemas/channels/channels.yaml or $STOCKSYNC_CHANNELS_FILE). */
  config?: ChannelsConfig;
  /** Only these channels (default all). */
  channels?: string[];
  /** Per channel, endpoint fields replacing the resolved ones (tests point a channel at another server). */
  endpointOverrides?: Record<string, Partial<DatabaseEndpoint>>;
  /** stock.levels partitions processed at once per channel by this instance (default 3). */
  concurrency?: number;
  hooks?: ChannelHooks;
  logger?: pino.Logger;
}

export interface RunningChannels {
  config: ChannelsConfig;
  /** Consumer group id per channel name. */
  groupIds: Record<string, string>;
  /** Unconsumed stock.levels records per channel group. */
  lag(): Promise<Record<string, number>>;
  /** Waits until queued channel notifications are in Redis. */
  drainNotifications(): Promise<void>;
  /**
   * Whether this instance can do its work now (cheap, synchronous; for `/readyz`): each channel's
   * consumer is a group member in contact with its coordinator (kafka/member-readiness.ts), no
   * channel's last sync attempt failed, and Redis is connected. Not ready is a passing state:
   * failed syncs are retried on their own.
   */
  readiness(): ChannelsReadiness;
  stop(): Promise<void>;
}

/** What {@link RunningChannels.readiness} reports; `ready` when `reasons` is empty. */
export interface ChannelsReadiness {
  ready: boolean;
  /** Why not ready, one line per part that is not (empty when ready). */
  reasons: string[];
  /** Per channel: its consumer's readiness and the error of its last sync attempt when it failed (null after a success). */
  channels: Record<string, { ready: boolean; consumer: MemberReadiness; lastError: string | null }>;
  /** Redis (notifications, the availability cache): the client's connection status. */
  redis: { ready: boolean; status: string };
}

const rowsWritten = new client.Counter({
  name: 'stocksync_channel_rows_written_total',
  help: 'Rows written to channel databases (the channel-visible quantity changed), by channel',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});
const writeRequests = new client.Counter({
  name: 'stocksync_channel_write_requests_total',
  help: 'Upsert requests to channel databases, by channel',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});
const channelFailures = new client.Counter({
  name: 'stocksync_channel_failures_total',
  help: 'Failed channel sync attempts (the chunk is retried, offsets stay uncommitted), by channel',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});
const channelStale = new client.Counter({
  name: 'stocksync_channel_stale_total',
  help: 'Computations not written because the channel already holds a higher version (canonical store reset without a channel reset)',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});

const channelDeadLetters = new client.Counter({
  name: 'stocksync_channel_dead_letters_total',
  help: 'stock.levels records a channel dead-lettered (bad-key, channel-rejected), by channel and reason',
  labelNames: ['channel', 'reason'],
  registers: [metricsRegistry],
});

const channelLag = new client.Gauge({
  name: 'stocksync_channel_lag_records',
  help: "stock.levels records a channel's consumer group has not yet committed, read from Kafka every 10 s, by channel",
  labelNames: ['channel'],
  registers: [metricsRegistry],
});
const syncSeconds = new client.Histogram({
  name: 'stocksync_channel_sync_duration_seconds',
  help: 'Time to bring one chunk of SKUs up to date in a channel (read the canonical rows, write the channel database), successful attempts, by channel',
  labelNames: ['channel'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A value shortened for a message: at most 100 characters, with its length when cut. */
function abbreviate(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 100)}… (${text.length} characters)`;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Starts one consumer group member per channel; resolves once each has joined its group. */
export async function startChannels(options: ChannelsOptions = {}): Promise<RunningChannels> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const rules = options.channels ? options.channels.map((name) => config.channels.find((c) => c.name === name) ?? unknown(config, name)) : config.channels;
  const logger = options.logger ?? pino({ name: 'stocksync-channels' });

  // The canonical store may restart under us: dead connections are reported, never fatal.
  const pool = createResilientPool({ ...endpoints.canonical, max: 4 + 2 * rules.length }, (error) =>
    logger.warn({ err: error }, 'canonical store connection failed'),
  );
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined); // reported by the failing command
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-channels' });
  const keyReader = createKeyReader(createSchemaRegistry(endpoints.registryUrl));

  await prepareChannelState(pool);
  // A broker still starting (or overloaded) is waited for rather than ending the service.
  await retryWhileKafkaSettles(() => ensureStockLevelsTopic(kafka), {
    retries: STARTUP_RETRIES,
    onRetry: (error) => logger.warn({ err: error }, 'waiting for Kafka'),
  });
  const notifier: Notifier = createNotifier({
    pool,
    redis,
    onError: (error) => logger.warn({ err: error }, 'channel notifications to Redis failed; retrying'),
  });

  let stopping = false;
  const consumers: RunningConsumer[] = [];
  /** Per channel, the error of its last sync attempt when it failed; deleted by a success. */
  const lastErrors = new Map<string, string>();
  const stores: ChannelStore[] = [];
  const groupIds: Record<string, string> = {};
  try {
    // Created with room for large dead letters, whichever process starts first.
    await retryWhileKafkaSettles(() => ensureDeadLetterTopic(kafka));
    for (const rule of rules) {
      const endpoint = { ...channelEndpoint(rule.store, endpoints), ...options.endpointOverrides?.[rule.name] };
      const store = createChannelStore(rule, endpoint, { redis });
      stores.push(store);
      groupIds[rule.name] = channelGroupId(rule.name);
      const sync = createChannelSync({ rule, store, pool, logger, onCommitted: options.hooks?.onCommitted, kickNotifier: () => notifier.kick() });
      consumers.push(
        await retryWhileKafkaSettles(() =>
          kafka.runBatchConsumer({
            groupId: channelGroupId(rule.name),
            topics: [STOCK_LEVELS_TOPIC],
            concurrency: options.concurrency ?? 3,
            eachBatch: async (batch, control) => {
              const keys = await withRetry(rule.name, control, () => decodeKeys(batch.records, keyReader));
              if (keys === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
              if ((await quarantine(rule.name, control, keys.letters)) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
              const mine = keys.keys.filter((k) => matchesLocation(rule.locations, k.location));
              const skus = [...new Set(mine.map((k) => k.sku))].sort();
              for (const chunk of chunks(skus, rule.batchSize)) {
                if ((await syncIsolating(rule, sync, chunk, mine, control)) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
              }
            },
          }),
        ),
      );
    }
  } catch (error) {
    await Promise.all(consumers.map((c) => c.stop()));
    await kafka.close();
    redis.disconnect();
    await pool.end();
    throw error;
  }
  notifier.kick(); // anything a previous run queued
  // Lag per channel for the metrics endpoint (a failed read keeps the last value).
  const lagRead = setInterval(() => {
    void (async () => {
      for (const [channel, group] of Object.entries(groupIds)) channelLag.set({ channel }, await groupLag(kafka, group, [STOCK_LEVELS_TOPIC]));
    })().catch(() => undefined);
  }, 10_000);
  lagRead.unref();
  logger.info({ channels: rules.map((r) => r.name) }, 'channel fan-out started');

  /**
   * Runs `attempt` until it succeeds, backing off (max 5 s) in between (the Kafka client keeps the
   * group membership meanwhile); gives up with LEAVE_UNCOMMITTED when stopping or when the member
   * lost the partition (`control.isRunning()` false): the partition's next owner gets the batch
   * again from the last committed offset.
   */
  async function withRetry<T>(channel: string, control: BatchControl, attempt: () => Promise<T>): Promise<T | typeof LEAVE_UNCOMMITTED> {
    for (let failures = 0; ; failures++) {
      if (stopping || !control.isRunning()) return LEAVE_UNCOMMITTED;
      try {
        const result = await attempt();
        lastErrors.delete(channel);
        return result;
      } catch (error) {
        lastErrors.set(channel, (error as Error).message);
        channelFailures.inc({ channel });
        options.hooks?.onError?.(channel, error as Error);
        if (failures === 0 || failures % 10 === 0)
          logger.warn({ channel, err: error, failures: failures + 1 }, 'channel sync failed; retrying (offsets not committed)');
      }
      const until = Date.now() + Math.min(5000, 200 * 2 ** Math.min(failures, 5));
      while (Date.now() < until) {
        if (stopping || !control.isRunning()) return LEAVE_UNCOMMITTED;
        await sleep(Math.min(250, until - Date.now()));
      }
    }
  }

  /** Produces dead letters of a channel (retried until Kafka takes them). */
  async function quarantine(channel: string, control: BatchControl, letters: DeadLetter[]): Promise<typeof LEAVE_UNCOMMITTED | undefined> {
    if (letters.length === 0) return undefined;
    if ((await withRetry(channel, control, () => sendDeadLetters(kafka, letters))) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
    for (const l of letters) {
      channelDeadLetters.inc({ channel, reason: l.reason });
      logger.warn({ channel, partition: l.record.partition, offset: l.record.offset, reason: l.reason }, l.error);
    }
    return undefined;
  }

  /**
   * Brings a chunk of SKUs up to date, isolating what a store rejects for good: transient failures
   * (a database down, a deadlock, a timeout) are retried with backoff; a rejection (a value too
   * long for a column, ...; postgres/errors.ts) splits the chunk in halves, recursively, until the
   * SKUs at fault are found — their stock.levels records of this batch are dead-lettered
   * (`channel-rejected`, naming the channel) and every other SKU is written.
   */
  async function syncIsolating(
    rule: ChannelRule,
    sync: ChannelSync,
    skus: string[],
    keys: KeyedRecord[],
    control: BatchControl,
    depth = 0,
  ): Promise<typeof LEAVE_UNCOMMITTED | undefined> {
    const outcome = await withRetry(rule.name, control, async () => {
      try {
        const endSync = syncSeconds.startTimer({ channel: rule.name });
        await sync(skus);
        endSync();
        return null;
      } catch (error) {
        if (stopping || channelErrorKind(error) === 'transient') throw error;
        return { rejected: error };
      }
    });
    if (outcome === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
    if (outcome === null) return undefined;
    if (skus.length === 1) {
      const sku = skus[0]!;
      const why = describeStoreError(outcome.rejected);
      const letters = keys
        .filter((k) => k.sku === sku)
        .map(
          (k): DeadLetter => ({
            record: k.record,
            source: null,
            table: `${rule.name}.${rule.store.table}`,
            key: JSON.stringify({ sku: k.sku, location: k.location }),
            field: 'sku',
            reason: 'channel-rejected',
            error: `channel ${rule.name} (${rule.store.kind} table ${rule.store.table}) rejected SKU ${abbreviate(sku)}: ${why}`,
          }),
        );
      return quarantine(rule.name, control, letters);
    }
    if (depth === 0) {
      logger.warn({ channel: rule.name, skus: skus.length, err: outcome.rejected }, 'channel write rejected; splitting the chunk to find the SKUs at fault');
    }
    const middle = Math.ceil(skus.length / 2);
    for (const half of [skus.slice(0, middle), skus.slice(middle)]) {
      if ((await syncIsolating(rule, sync, half, keys, control, depth + 1)) === LEAVE_UNCOMMITTED) return LEAVE_UNCOMMITTED;
    }
    return undefined;
  }

  return {
    config,
    groupIds,
    async lag() {
      const out: Record<string, number> = {};
      for (const [name, group] of Object.entries(groupIds)) out[name] = await groupLag(kafka, group, [STOCK_LEVELS_TOPIC]);
      return out;
    },
    drainNotifications: () => notifier.drain(),
    readiness() {
      const channels: ChannelsReadiness['channels'] = {};
      const reasons: string[] = [];
      rules.forEach((rule, i) => {
        const consumer = memberReadiness(consumers[i]!.status());
        const lastError = lastErrors.get(rule.name) ?? null;
        if (consumer.reason) reasons.push(`channel ${rule.name}: Kafka consumer: ${consumer.reason}`);
        if (lastError !== null) reasons.push(`channel ${rule.name}: last sync failed (retrying): ${lastError}`);
        channels[rule.name] = { ready: consumer.ready && lastError === null, consumer, lastError };
      });
      const redisReady = redis.status === 'ready';
      if (!redisReady) reasons.push(`Redis: connection ${redis.status}`);
      return { ready: reasons.length === 0, reasons, channels, redis: { ready: redisReady, status: redis.status } };
    },
    async stop() {
      stopping = true;
      clearInterval(lagRead);
      await Promise.all(consumers.map((c) => c.stop()));
      await notifier.stop();
      await Promise.all(stores.map((s) => s.close()));
      await kafka.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

function unknown(config: ChannelsConfig, name: string): never {
  throw new Error(`unknown channel "${name}" (channels in ${config.file}: ${config.channels.map((c) => c.name).join(', ')})`);
}

type KeyReader = (payload: Buffer) => Promise<unknown>;

/**
 * Reads Confluent wire-format Avro keys with their writer schema, fetched by id and compiled once
 * (each with its own avsc name registry: a shared one refuses the same record name twice, e.g. two
 * partitions compiling the first key schema at the same time, or a later version of the schema).
 * Unknown schema ids and payloads that do not decode throw {@link BadKey}; anything else is transient.
 */
function createKeyReader(registry: ReturnType<typeof createSchemaRegistry>): KeyReader {
  const lookup = registrySchemaLookup(registry);
  const cache = new Map<number, Promise<avro.Type>>();
  return async (payload) => {
    const id = payload.readInt32BE(1);
    let type = cache.get(id);
    if (!type) {
      type = lookup(id).then((text) => {
        if (text === null) throw new BadKey(`schema id ${id} is not in the registry`);
        return avro.Type.forSchema(JSON.parse(text) as avro.Schema);
      });
      type.catch(() => cache.delete(id));
      cache.set(id, type);
    }
    const compiled = await type;
    try {
      return compiled.fromBuffer(payload.subarray(5));
    } catch (error) {
      throw new BadKey(`key does not decode with schema id ${id}: ${(error as Error).message}`);
    }
  };
}

class BadKey extends Error {}

/** A stock.levels record with its decoded key. */
interface KeyedRecord {
  sku: string;
  location: string;
  record: KafkaRecord;
}

/** Decodes the {sku, location} keys of stock.levels records; undecodable keys become dead letters. */
async function decodeKeys(records: KafkaRecord[], readKey: KeyReader): Promise<{ keys: KeyedRecord[]; letters: DeadLetter[] }> {
  const keys: KeyedRecord[] = [];
  const letters: DeadLetter[] = [];
  for (const record of records) {
    const letter = (reason: DeadLetterReason, error: string): DeadLetter => ({
      record,
      source: null,
      table: null,
      key: record.key?.toString('base64') ?? null,
      field: 'key',
      reason,
      error,
    });
    if (!record.key || !confluentHeader(record.key)) {
      letters.push(letter('bad-key', 'stock.levels record key is not a Confluent wire-format Avro {sku, location}'));
      continue;
    }
    // A registry failure throws here (transient: the batch is retried); a bad key is quarantined.
    let key: { sku?: unknown; location?: unknown };
    try {
      key = (await readKey(record.key)) as { sku?: unknown; location?: unknown };
    } catch (error) {
      if (!(error instanceof BadKey)) throw error;
      letters.push(letter('bad-key', error.message));
      continue;
    }
    if (typeof key.sku !== 'string' || typeof key.location !== 'string') {
      letters.push(letter('bad-key', `stock.levels key is not {sku, location}: ${JSON.stringify(key)}`));
      continue;
    }
    keys.push({ sku: key.sku, location: key.location, record });
  }
  return { keys, letters };
}

interface SyncContext {
  rule: ChannelRule;
  store: ChannelStore;
  pool: pg.Pool;
  logger: pino.Logger;
  onCommitted?: (commit: ChannelCommit) => void;
  kickNotifier: () => void;
}

/** Brings a chunk of SKUs up to date in one channel (one attempt); throws what a store threw. */
type ChannelSync = (skus: string[]) => Promise<void>;

/** Returns the function that brings a chunk of SKUs up to date in one channel (one attempt). */
function createChannelSync(ctx: SyncContext): ChannelSync {
  const { rule, store, pool } = ctx;
  return async (skus) => {
    const client = await pool.connect();
    let commit: ChannelCommit | null = null;
    try {
      await lockChannelSkuBuckets(client, rule.name, skus);
      const canonical = await client.query<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null; version: string }>(
        `SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, version::text FROM stock_level WHERE sku = ANY($1::text[])`,
        [skus],
      );
      const mirror = await client.query<{ sku: string; quantity: string; version: string; pending: boolean }>(
        'SELECT sku, quantity::text, version::text, pending FROM channel_mirror WHERE channel = $1 AND sku = ANY($2::text[])',
        [rule.name, skus],
      );
      const rowsBySku = new Map<string, CanonicalRow[]>();
      for (const r of canonical.rows) {
        const row: CanonicalRow = {
          sku: r.sku,
          location: r.location,
          onHand: r.on_hand,
          reserved: r.reserved,
          safetyStock: r.safety_stock,
          version: Number(r.version),
        };
        const list = rowsBySku.get(r.sku);
        if (list) list.push(row);
        else rowsBySku.set(r.sku, [row]);
      }
      const mirrored = new Map(mirror.rows.map((m) => [m.sku, { quantity: Number(m.quantity), version: Number(m.version), pending: m.pending }]));
      const writes: Array<ChannelRow & { previous: number | null }> = [];
      const unchanged: ChannelCommit['unchanged'] = [];
      for (const sku of skus) {
        const available = availableToSell(rule, sku, rowsBySku.get(sku) ?? []);
        if (!available) continue;
        const last = mirrored.get(sku);
        if (last && !last.pending) {
          if (last.quantity === available.quantity) {
            unchanged.push({ sku, version: available.version, canonicalVersions: available.canonicalVersions });
            continue; // the channel already shows it
          }
          if (last.version > available.version) {
            channelStale.inc({ channel: rule.name });
            ctx.logger.warn(
              { channel: rule.name, sku, stored: last, computed: available },
              'channel holds a higher version than the canonical store yields (canonical store reset?); run `stocksync channels reset`',
            );
            continue;
          }
        }
        writes.push({ ...available, previous: last && !last.pending ? last.quantity : null });
      }
      if (writes.length > 0) {
        const upsertMirror = `INSERT INTO channel_mirror (channel, sku, quantity, version, pending, updated_at)
          SELECT $1, sku, q, v, $5, clock_timestamp() FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS w(sku, q, v)
          ON CONFLICT (channel, sku) DO UPDATE SET quantity = EXCLUDED.quantity, version = EXCLUDED.version,
            pending = EXCLUDED.pending, updated_at = EXCLUDED.updated_at`;
        const params = [rule.name, writes.map((w) => w.sku), writes.map((w) => w.quantity), writes.map((w) => w.version)];
        // Pending first (committed on its own): if we die after the channel write, the next run
        // does not trust the mirror for these SKUs and writes again.
        await client.query(upsertMirror, [...params, true]);
        await store.ensureSchema();
        await store.upsert(writes);
        const committedAtMs = Date.now();
        writeRequests.inc({ channel: rule.name });
        rowsWritten.inc({ channel: rule.name }, writes.length);
        commit = { channel: rule.name, committedAtMs, rows: writes, unchanged };
        const notifications: ChannelNotification[] = writes.map((w) => ({
          channel: rule.name,
          sku: w.sku,
          quantity: w.quantity,
          previous: w.previous,
          version: w.version,
          committedAtMs,
        }));
        await withTransaction(client, async () => {
          await client.query(upsertMirror, [...params, false]);
          await client.query('INSERT INTO channel_notification_outbox (channel, payload) SELECT $1, p FROM unnest($2::jsonb[]) AS p', [
            rule.name,
            notifications.map((n) => JSON.stringify(n)),
          ]);
        });
      } else if (unchanged.length > 0) {
        commit = { channel: rule.name, committedAtMs: Date.now(), rows: [], unchanged };
      }
    } finally {
      // Session-level locks: release them, or drop the connection (which releases them too).
      const released = await releaseSessionLocks(client);
      client.release(released ? undefined : true);
    }
    if (commit) {
      if (commit.rows.length > 0) ctx.kickNotifier();
      ctx.onCommitted?.(commit);
    }
  };
}
