/**
 * The one module that talks to a Kafka client library (kafkajs). Everything else in stocksync uses
 * the small interface below, so the client can be swapped (e.g. for a librdkafka binding) in one place.
 *
 * Words are Kafka's: topic, partition, offset (a decimal string, as Kafka offsets can pass 2^53),
 * consumer group. Timestamps are ms since epoch.
 */
import kafkajs, { Kafka, logLevel, type Consumer, type Producer, type Admin } from 'kafkajs';
import { extraCodecs } from './codecs.ts';

// Source topics compressed with snappy, lz4 or zstd (gzip is built in): see codecs.ts. (Through the
// default export: Node's CommonJS interop does not see these two as named exports.)
const { CompressionCodecs, CompressionTypes } = kafkajs;
CompressionCodecs[CompressionTypes.Snappy] = () => extraCodecs.snappy;
CompressionCodecs[CompressionTypes.LZ4] = () => extraCodecs.lz4;
CompressionCodecs[CompressionTypes.ZSTD] = () => extraCodecs.zstd;

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

/**
 * What a batch handler may ask about its batch. While a handler runs, the client keeps the group
 * membership itself (it heartbeats every 2 s), so a handler that waits (retries, a slow store)
 * needs to do nothing but check {@link BatchControl.isRunning} now and then.
 */
export interface BatchControl {
  /**
   * False once the batch's offsets can no longer be committed by this member: the consumer is
   * stopping, or the member lost the partition (a rebalance, or it was fenced out of its group).
   * A handler that retries gives up then and returns {@link LEAVE_UNCOMMITTED}; the partition's next
   * owner gets the batch again from the last committed offset.
   */
  isRunning(): boolean;
}

/**
 * Returned by a batch handler that gave up because `isRunning()` turned false:
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
   * resolves: put everything durable before returning. Throwing restarts the consumer with backoff
   * (the batch is re-delivered) — catch per-record errors and dead-letter them instead, and retry
   * transient failures in the handler. A handler that retries returns {@link LEAVE_UNCOMMITTED}
   * when `control.isRunning()` turns false.
   */
  eachBatch: (batch: RecordBatch, control: BatchControl) => Promise<void | typeof LEAVE_UNCOMMITTED>;
}

/** A running consumer group member. */
export interface RunningConsumer {
  stop(): Promise<void>;
  /** Where the member stands in its group now (readiness checks). */
  status(): ConsumerStatus;
}

/**
 * A consumer group member's standing. A member that crashed (e.g. fenced out of its group after the
 * broker stalled) is started again by the client with backoff (0.5 s doubling to 30 s), so
 * `joined` false is a state that passes, not an end.
 */
export interface ConsumerStatus {
  /** True from a completed group join until a crash, a rebalance or a stop. */
  joined: boolean;
  /** Partitions assigned at the last join, by topic (a member may have none: more members than partitions). */
  assignment: Record<string, number[]>;
  /** When the group coordinator last accepted a join or a heartbeat of this member, ms since epoch (0 = never). */
  lastContactMs: number;
  /** Times the member was started again after a crash. */
  restarts: number;
}

/**
 * Why a Kafka operation failed, as far as a caller needs to know: `transient` — retrying later may
 * succeed (no broker reachable, a leader or coordinator moving, a topic not known yet, a
 * timeout); `permanent` — the same request will fail again (invalid request, authorization,
 * a record too large, ...).
 */
export type KafkaErrorKind = 'transient' | 'permanent';

/**
 * Every error the client's operations throw: the client library's error, classified, with a
 * message naming the brokers, the operation and — for brokers that cannot be reached or do not
 * answer — what to check. `cause` is the library's error.
 */
export class KafkaClientError extends Error {
  constructor(
    readonly kind: KafkaErrorKind,
    /** The client operation that failed, e.g. `send`, `ensureTopics`. */
    readonly operation: keyof KafkaClient,
    /** The bootstrap brokers, `host:port`. */
    readonly brokers: readonly string[],
    options: { cause: unknown },
  ) {
    const detail = String((options.cause as Error)?.message ?? options.cause);
    super(`Kafka at ${brokers.join(',')}: ${OPERATIONS[operation]} failed (${kind}): ${detail}${kafkaHint(detail)}`, options);
    this.name = 'KafkaClientError';
  }
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

/** The kind of a failure thrown by this client; null when `error` did not come from it. */
export function kafkaErrorKind(error: unknown): KafkaErrorKind | null {
  return error instanceof KafkaClientError ? error.kind : null;
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
  const logger = kafka.logger();
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const getAdmin = async () => {
    if (!admin) {
      const created = kafka.admin();
      await created.connect();
      admin = created;
    }
    return admin;
  };
  const getProducer = async () => {
    if (!producer) {
      const created = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await created.connect();
      producer = created;
    }
    return producer;
  };
  /**
   * Runs one operation; a failure is thrown as a {@link KafkaClientError}. After a transient
   * failure the admin and producer connections are dropped, so the next call starts from fresh
   * connections and metadata (a broker that restarted, a connection the library gave up on).
   */
  const call = async <T>(operation: keyof KafkaClient, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const kind = classify(error);
      if (kind === 'transient') {
        const [oldAdmin, oldProducer] = [admin, producer];
        admin = undefined;
        producer = undefined;
        void oldAdmin?.disconnect().catch(() => undefined);
        void oldProducer?.disconnect().catch(() => undefined);
      }
      throw new KafkaClientError(kind, operation, brokers, { cause: error });
    }
  };

  return {
    describeCluster: () =>
      call('describeCluster', async () => {
        const cluster = await (await getAdmin()).describeCluster();
        return { brokers: cluster.brokers.map((b) => b.nodeId), controller: cluster.controller };
      }),
    listTopics: () => call('listTopics', async () => (await getAdmin()).listTopics()),
    ensureTopics: (specs) =>
      call('ensureTopics', async () => {
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
      }),
    endOffsets: (topic) =>
      call('endOffsets', async () => {
        const offsets = await (await getAdmin()).fetchTopicOffsets(topic);
        return offsets.map((o) => ({ partition: o.partition, offset: o.high }));
      }),
    groupOffsets: (groupId, topic) =>
      call('groupOffsets', async () => {
        const [result] = await (await getAdmin()).fetchOffsets({ groupId, topics: [topic] });
        return {
          topic,
          partitions: (result?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset })),
        };
      }),
    resetGroupToEarliest: (groupId, topic) => call('resetGroupToEarliest', async () => (await getAdmin()).resetOffsets({ groupId, topic, earliest: true })),
    deleteTopics: (topics) =>
      call('deleteTopics', async () => {
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
      }),
    deleteGroups: (groupIds) =>
      call('deleteGroups', async () => {
        const adminClient = await getAdmin();
        const { groups } = await adminClient.listGroups();
        const existing = groupIds.filter((g) => groups.some((x) => x.groupId === g));
        if (existing.length > 0) await adminClient.deleteGroups(existing);
      }),
    send: (topic, records) =>
      call('send', async () => {
        await (await getProducer()).send({
          topic,
          acks: -1,
          messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: r.partition })),
        });
      }),
    runBatchConsumer: (consumerOptions) => call('runBatchConsumer', () => runSupervisedConsumer(kafka, logger, consumerOptions)),
    async close() {
      await Promise.all([admin?.disconnect().catch(() => undefined), producer?.disconnect().catch(() => undefined)]);
      admin = undefined;
      producer = undefined;
    },
  };
}

/** Heartbeat period of a member, and how often the client heartbeats while a batch handler runs. */
const HEARTBEAT_MS = 2_000;

/**
 * A member's session timeout: a crashed member's partitions move to the others within this long,
 * and a member on a machine so loaded that its heartbeats are late by seconds keeps its partitions.
 */
export const CONSUMER_SESSION_MS = 20_000;

/**
 * A member that has had no contact with its group coordinator (no heartbeat, no join) for this
 * long is started again. Longer than a join may take (the client's rebalance timeout, 60 s): the
 * client library can hang in its own re-join after the broker stalled, crashing nothing.
 */
const NO_CONTACT_RESTART_MS = 90_000;

/**
 * Runs a consumer group member that never stays down: when the client library's consumer crashes
 * (it gives up on an error it deems not retriable, e.g. "the coordinator is not aware of this
 * member" after the broker stalled longer than the session), or has had no contact with the group
 * coordinator for {@link NO_CONTACT_RESTART_MS} (a re-join that hangs), a fresh consumer joins the
 * group again after a backoff (0.5 s doubling to 30 s, reset by a successful join), until `stop()`.
 * The first start's failures are thrown to the caller.
 */
async function runSupervisedConsumer(kafka: Kafka, logger: ReturnType<Kafka['logger']>, options: BatchConsumerOptions): Promise<RunningConsumer> {
  const status: ConsumerStatus = { joined: false, assignment: {}, lastContactMs: 0, restarts: 0 };
  let current: Consumer | undefined;
  let stopped = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartPending = false;
  /** When the current consumer was started, ms since epoch: contact is counted from there. */
  let startedAtMs = Date.now();

  const scheduleRestart = (cause: unknown) => {
    if (stopped) return;
    restartPending = true;
    status.joined = false;
    failures++;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
    logger.error(`consumer of group ${options.groupId} stopped; starting it again in ${delay} ms`, {
      groupId: options.groupId,
      error: (cause as Error)?.message ?? String(cause),
      restarts: status.restarts,
    });
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      if (stopped) return;
      restartPending = false;
      status.restarts++;
      startConsumer().catch(scheduleRestart);
    }, delay);
  };

  const watchdog = setInterval(() => {
    if (stopped || restartPending) return;
    const silentMs = Date.now() - Math.max(status.lastContactMs, startedAtMs);
    if (silentMs > NO_CONTACT_RESTART_MS) {
      scheduleRestart(new Error(`no contact with the group coordinator for ${Math.round(silentMs / 1000)} s`));
    }
  }, HEARTBEAT_MS);
  watchdog.unref();

  const startConsumer = async (): Promise<void> => {
    startedAtMs = Date.now();
    const previous = current;
    current = undefined;
    // A consumer hung in the client library may never finish disconnecting: wait 10 s at most.
    if (previous) await Promise.race([previous.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    const consumer: Consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: CONSUMER_SESSION_MS,
      heartbeatInterval: HEARTBEAT_MS,
      // An idle fetch waits at most 1 s: records still arrive at once, and a stop takes a second, not five.
      maxWaitTimeInMs: 1_000,
      // One fetch response is decoded whole and held until every batch in it is handled, and the
      // bytes are counted compressed (gzip'd JSON records grow ~20x): a 10 MiB response held
      // 60,000 records, 650 MB of RSS. So a fetch brings about one batch per concurrent partition.
      ...(options.maxBytesPerPartition
        ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytes: options.maxBytesPerPartition * (options.concurrency ?? 1) }
        : {}),
      // The library retries within a consumer; when it gives up, the consumer crashes and this
      // module starts a fresh one (scheduleRestart), whatever the error: the library's own restart
      // skips errors it deems not retriable, which left members that no longer consumed.
      retry: { initialRetryTime: 500, maxRetryTime: 30_000, retries: 10, restartOnFailure: async () => false },
    });
    current = consumer;
    const mine = () => current === consumer && !stopped;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (!mine()) return;
      status.joined = true;
      status.assignment = Object.fromEntries(Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => [topic, [...partitions]]));
      status.lastContactMs = Date.now();
      failures = 0;
    });
    consumer.on(consumer.events.HEARTBEAT, () => {
      if (mine()) status.lastContactMs = Date.now();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (mine()) status.joined = false;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (mine()) scheduleRestart(event.payload.error);
    });
    try {
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
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? toBuffer(v[0]) : toBuffer(v)])),
            timestamp: Number(m.timestamp),
          }));
          // Heartbeats while the handler runs; one that says the member lost its partitions (a
          // rebalance, or fenced out of the group) ends the batch without a commit.
          let lost = false;
          const beat = () =>
            heartbeat().catch((error: unknown) => {
              if (isMembershipLost(error)) lost = true;
            });
          const ticker = setInterval(() => void beat(), HEARTBEAT_MS);
          let outcome: Awaited<ReturnType<BatchConsumerOptions['eachBatch']>>;
          try {
            outcome = await options.eachBatch(
              { topic: batch.topic, partition: batch.partition, records },
              { isRunning: () => !lost && mine() && isRunning() && !isStale() },
            );
          } finally {
            clearInterval(ticker);
          }
          if (outcome === LEAVE_UNCOMMITTED || lost) return;
          const last = records[records.length - 1]!.offset;
          resolveOffset(last);
          // Commit the offset after the batch: Kafka's committed offset is the next one to read.
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await beat();
        },
      });
    } catch (error) {
      if (current === consumer) current = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  };

  try {
    await startConsumer();
  } catch (error) {
    clearInterval(watchdog);
    throw error;
  }
  return {
    status: () => ({ ...status, assignment: { ...status.assignment } }),
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearInterval(watchdog);
      status.joined = false;
      await current?.disconnect();
    },
  };
}

/** Error types of the Kafka protocol that mean this member no longer owns its partitions. */
const MEMBERSHIP_LOST = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

function isMembershipLost(error: unknown): boolean {
  return causes(error).some((e) => MEMBERSHIP_LOST.has((e as { type?: string }).type ?? ''));
}

/** Errors of the client library that mean "try again later", besides those it marks retriable. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
]);

/** The error and its causes, outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

function classify(error: unknown): KafkaErrorKind {
  for (const e of causes(error)) {
    const { name, retriable, code } = e as { name?: string; retriable?: boolean; code?: unknown };
    if (retriable === true || (name && TRANSIENT_NAMES.has(name)) || isMembershipLost(e)) return 'transient';
    // A socket-level failure (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...).
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return 'transient';
    // A plain Error of the client library: the connection's version handshake (ApiVersions) did
    // not complete, e.g. it timed out on a busy broker.
    if ((e as Error)?.message === 'Broker not connected') return 'transient';
  }
  return 'permanent';
}

function toBuffer(value: Buffer | string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value) : value;
}
