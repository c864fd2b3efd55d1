/**
 * The one module that talks to a Kafka client library (kafkajs). Everything else in stocksync uses
 * the small interface below, so the client can be swapped (e.g. for a librdkafka binding) in one place.
 *
 * Words are Kafka's: topic, partition, offset (a decimal string, as Kafka offsets can pass 2^53),
 * consumer group. Timestamps are ms since epoch.
 */
import { Kafka, logLevel, type Consumer, type Producer, type Admin } from 'kafkajs';

/** One record as read from a partition. `key` and `value` are raw bytes; null value = tombstone. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  /** Offset of this record, decimal string. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Record headers; each value as bytes. */
  headers: Record<string, Buffer | undefined>;
  /** Record timestamp (CreateTime or LogAppendTime), ms since epoch. */
  timestamp: number;
}

/** A record to produce. */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  partition?: number;
}

/** A batch of records from one partition, in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
}

/** Lets a long-running batch handler keep its group membership and notice a stop. */
export interface BatchControl {
  /** Sends a heartbeat if one is due (call it while waiting, e.g. between retries); throws on a rebalance. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: a handler that retries should give up. */
  isRunning(): boolean;
}

/**
 * Returned by a batch handler that gave up because the consumer is stopping (`isRunning()` false):
 * the batch's offsets are not committed, so the batch is re-delivered to the next owner of the
 * partition.
 */
export const LEAVE_UNCOMMITTED = 'leave-uncommitted' as const;

export interface BatchConsumerOptions {
  groupId: string;
  /** Topics by exact name or pattern. */
  topics: Array<string | RegExp>;
  /** Start from the earliest offset when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** Partitions processed at the same time by this member (default 1). Order within a partition is kept. */
  concurrency?: number;
  /**
   * Most bytes fetched per partition in one fetch, which bounds a batch (default 1 MiB, the
   * client's). Records of JSON with schemas are large (a few KB each, the schema repeated), so a
   * consumer that wants batches of thousands of such records raises it.
   */
  maxBytesPerPartition?: number;
  /**
   * Handles one batch. Offsets up to the batch's last record are committed only after this
   * resolves: put everything durable before returning. Throwing stops the consumer (the batch is
   * re-delivered on restart) — catch per-record errors and dead-letter them instead. A handler
   * that retries (heartbeating through `control`) returns {@link LEAVE_UNCOMMITTED} when it gives up
   * on a stop.
   */
  eachBatch: (batch: RecordBatch, control: BatchControl) => Promise<void | typeof LEAVE_UNCOMMITTED>;
}

/** A running consumer group member. */
export interface RunningConsumer {
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>;
}

/** Committed offset per partition of a topic for a consumer group. */
export interface GroupOffsets {
  topic: string;
  partitions: Array<{ partition: number; offset: string }>;
}

/** The Kafka operations stocksync needs. */
export interface KafkaClient {
  /** Returns the broker ids and the controller id (a cheap liveness call). */
  describeCluster(): Promise<{ brokers: number[]; controller: number | null }>;
  listTopics(): Promise<string[]>;
  /** Creates topics that do not exist yet; existing ones are left alone. */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  /** Latest (high watermark) offset per partition. */
  endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
  /** Committed offsets of a group for a topic (`-1` where nothing is committed). */
  groupOffsets(groupId: string, topic: string): Promise<GroupOffsets>;
  /** Moves a (stopped) group's offsets for a topic to the earliest offset. */
  resetGroupToEarliest(groupId: string, topic: string): Promise<void>;
  /** Deletes topics (those that exist) and waits until the broker no longer lists them. */
  deleteTopics(topics: string[]): Promise<void>;
  /** Deletes consumer groups (they must have no active members); missing groups are ignored. */
  deleteGroups(groupIds: string[]): Promise<void>;
  /** Produces records and waits for the broker's acknowledgement (acks = all). */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Joins a consumer group and processes batches until stopped. */
  runBatchConsumer(options: BatchConsumerOptions): Promise<RunningConsumer>;
  /** Closes the admin and producer connections. */
  close(): Promise<void>;
}

export interface KafkaClientOptions {
  /** Names the client in broker logs. */
  clientId?: string;
  /** How many times a failed request is retried (with backoff) before it fails; default 8. */
  retries?: number;
  /** Log the client library's own errors to stderr (default true). */
  logErrors?: boolean;
}

/** Creates a client for the given brokers (`host:port`). */
export function createKafkaClient(brokers: string[], options: KafkaClientOptions = {}): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'stocksync',
    brokers,
    logLevel: options.logErrors === false ? logLevel.NOTHING : logLevel.ERROR,
    retry: { initialRetryTime: 200, retries: options.retries ?? 8 },
    connectionTimeout: 3000,
  });
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const getAdmin = async () => {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    return admin;
  };
  const getProducer = async () => {
    if (!producer) {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
    }
    return producer;
  };

  const client: KafkaClient = {
    async describeCluster() {
      const cluster = await (await getAdmin()).describeCluster();
      return { brokers: cluster.brokers.map((b) => b.nodeId), controller: cluster.controller };
    },
    async listTopics() {
      return (await getAdmin()).listTopics();
    },
    async ensureTopics(specs) {
      const adminClient = await getAdmin();
      const existing = new Set(await adminClient.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return;
      await adminClient.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions ?? 1,
          replicationFactor: 1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    },
    async endOffsets(topic) {
      const offsets = await (await getAdmin()).fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, offset: o.high }));
    },
    async groupOffsets(groupId, topic) {
      const [result] = await (await getAdmin()).fetchOffsets({ groupId, topics: [topic] });
      return {
        topic,
        partitions: (result?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset })),
      };
    },
    async resetGroupToEarliest(groupId, topic) {
      await (await getAdmin()).resetOffsets({ groupId, topic, earliest: true });
    },
    async deleteTopics(topics) {
      const adminClient = await getAdmin();
      const existing = new Set(await adminClient.listTopics());
      const doomed = topics.filter((t) => existing.has(t));
      if (doomed.length === 0) return;
      await adminClient.deleteTopics({ topics: doomed, timeout: 30_000 });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const left = new Set(await adminClient.listTopics());
        if (!doomed.some((t) => left.has(t))) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`topics still listed 30 s after deletion: ${doomed.join(', ')}`);
    },
    async deleteGroups(groupIds) {
      const adminClient = await getAdmin();
      const { groups } = await adminClient.listGroups();
      const existing = groupIds.filter((g) => groups.some((x) => x.groupId === g));
      if (existing.length > 0) await adminClient.deleteGroups(existing);
    },
    async send(topic, records) {
      await (await getProducer()).send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: r.partition })),
      });
    },
    async runBatchConsumer(options) {
      // A 10 s session: a crashed member's partitions move to the others within seconds, not 30 s.
      const consumer: Consumer = kafka.consumer({
        groupId: options.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 2_000,
        // An idle fetch waits at most 1 s: records still arrive at once, and a stop takes a second, not five.
        maxWaitTimeInMs: 1_000,
        ...(options.maxBytesPerPartition
          ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytes: Math.max(options.maxBytesPerPartition * 3, 10 * 1024 * 1024) }
          : {}),
        // A failing batch (e.g. the database is down) must never stop the member for good: the
        // consumer restarts with backoff and the batch, whose offsets were not committed, comes again.
        retry: { initialRetryTime: 500, maxRetryTime: 30_000, retries: 10, restartOnFailure: async () => true },
      });
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const records: KafkaRecord[] = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: Object.fromEntries(
              Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? toBuffer(v[0]) : toBuffer(v)]),
            ),
            timestamp: Number(m.timestamp),
          }));
          const outcome = await options.eachBatch({ topic: batch.topic, partition: batch.partition, records }, { heartbeat, isRunning });
          if (outcome === LEAVE_UNCOMMITTED) return;
          const last = records[records.length - 1]!.offset;
          resolveOffset(last);
          // Commit the offset after the batch: Kafka's committed offset is the next one to read.
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          await heartbeat();
        },
      });
      return { stop: () => consumer.disconnect() };
    },
    async close() {
      await Promise.all([admin?.disconnect(), producer?.disconnect()]);
      admin = undefined;
      producer = undefined;
    },
  };
  return withBrokerContext(client, brokers);
}

/** What each operation is, for error messages. */
const OPERATIONS: Record<keyof KafkaClient, string> = {
  describeCluster: 'describing the cluster',
  listTopics: 'listing topics',
  ensureTopics: 'creating topics',
  endOffsets: 'reading end offsets',
  groupOffsets: 'reading committed offsets',
  resetGroupToEarliest: 'resetting consumer group offsets',
  deleteTopics: 'deleting topics',
  deleteGroups: 'deleting consumer groups',
  send: 'producing records',
  runBatchConsumer: 'joining the consumer group',
  close: 'closing the connections',
};

/**
 * A failed Kafka operation, naming the brokers, the operation and — for a broker that cannot be
 * reached or does not answer — what to check. Keeps the client library's `retriable` (and `type`,
 * `code`, `name`) so callers that retry on it still can; `cause` is the library's error.
 */
export class KafkaClientError extends Error {
  readonly retriable: boolean | undefined;
  readonly type: string | undefined;
  readonly code: string | number | undefined;
  constructor(
    readonly brokers: readonly string[],
    operation: string,
    error: unknown,
  ) {
    const original = error as { message?: string; name?: string; retriable?: boolean; type?: string; code?: string | number };
    const detail = String(original?.message ?? error);
    super(`Kafka at ${brokers.join(',')}: ${operation} failed: ${detail}${kafkaHint(detail)}`, { cause: error });
    this.name = original?.name ?? 'KafkaClientError';
    this.retriable = original?.retriable;
    this.type = original?.type;
    this.code = original?.code;
  }
}

/** What to check, for failures that say the brokers are not reachable or not answering. */
function kafkaHint(detail: string): string {
  if (/ECONNREFUSED/.test(detail)) {
    return '; nothing accepts connections there: is Kafka running (npx stocksync stack status), and does STOCKSYNC_KAFKA_BROKERS name its listener?';
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(detail)) return '; the host name does not resolve: check STOCKSYNC_KAFKA_BROKERS';
  if (/Broker not connected|timed out|timeout|ETIMEDOUT|ECONNRESET|Connection closed/i.test(detail)) {
    return '; a server there took the connection but did not answer as a Kafka broker in time: check that STOCKSYNC_KAFKA_BROKERS names the broker (not another service) and that the broker is healthy';
  }
  return '';
}

/** The client with every operation's failure as a {@link KafkaClientError}. */
function withBrokerContext(client: KafkaClient, brokers: readonly string[]): KafkaClient {
  const wrapped: Partial<Record<keyof KafkaClient, unknown>> = {};
  for (const name of Object.keys(OPERATIONS) as Array<keyof KafkaClient>) {
    const operation = client[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = (...args: unknown[]) =>
      operation(...args).catch((error: unknown) => {
        throw error instanceof KafkaClientError ? error : new KafkaClientError(brokers, OPERATIONS[name], error);
      });
  }
  return wrapped as KafkaClient;
}

function toBuffer(value: Buffer | string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value) : value;
}
