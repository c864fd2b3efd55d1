/**
 * What Debezium captured, per source transaction: how many row changes it emitted (one record
 * per inserted, updated or deleted row of a captured table; snapshot reads, tombstones,
 * heartbeats and schema changes are not changes), in which tables, where in the source's log the
 * transaction sits, and when its records reached Kafka (the source topic record timestamps).
 * Read after the fact from the source topics of the mapping files.
 */
import { createDecoder, type Decoder } from '../../src/decode/index.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { loadMappings, type SourceMapping } from '../../src/normalize/index.ts';
import { sourcePosition } from '../../src/normalize/index.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { readTopicsToEnd } from './read-to-end.ts';

/** One source transaction as Debezium captured it. */
export interface CapturedTransaction {
  /** Mapping source name (`pos`, `warehouse`, `erpnext`). */
  source: string;
  /** MariaDB GTID or PostgreSQL xid, as the pipeline reads it (`source.gtid` / `source.txId`). */
  txId: string;
  /** Row changes captured. */
  changes: number;
  /** Row changes per source table. */
  byTable: Record<string, number>;
  /** Lowest source position of its changes (normalize/position.ts), to match canonical events. */
  minPosition: bigint;
  /** Timestamps of its first and last record in Kafka, ms since epoch. */
  firstInKafkaMs: number;
  lastInKafkaMs: number;
}

/** `${source}|${txId}`: how transactions are keyed. */
export const transactionKey = (source: string, txId: string): string => `${source}|${txId}`;

/** The source topics of `mappings` that exist now (tables of the connector, whatever the mapping uses). */
export async function sourceTopics(kafka: KafkaClient, mappings: SourceMapping[] = loadMappings()): Promise<Array<{ topic: string; mapping: SourceMapping }>> {
  const topics = await kafka.listTopics();
  return topics.flatMap((topic) => {
    const mapping = mappings.find((m) => topic.startsWith(`${m.topic_prefix}.`));
    return mapping ? [{ topic, mapping }] : [];
  });
}

/**
 * Reads every source topic of the mapping files to its current end and groups the streamed
 * changes by source transaction. Changes without a transaction id (none in the sample) are left out.
 *
 * @param options.since - only changes whose record reached Kafka at or after this time (ms since epoch).
 */
export async function readCapturedTransactions(
  kafka: KafkaClient,
  registryUrl: string,
  options: { mappings?: SourceMapping[]; since?: number } = {},
): Promise<Map<string, CapturedTransaction>> {
  const topics = await sourceTopics(kafka, options.mappings);
  const registry = createSchemaRegistry(registryUrl);
  const decoders = new Map<string, Decoder>();
  const decoderOf = (mapping: SourceMapping): Decoder => {
    let decoder = decoders.get(mapping.source);
    if (!decoder) decoders.set(mapping.source, (decoder = createDecoder({ format: mapping.format, registry })));
    return decoder;
  };
  const mappingOf = new Map(topics.map((t) => [t.topic, t.mapping]));
  const out = new Map<string, CapturedTransaction>();
  const since = options.since ?? 0;
  await readTopicsToEnd(
    kafka,
    topics.map((t) => t.topic),
    async (record) => {
      if (record.value === null || record.timestamp < since) return;
      const mapping = mappingOf.get(record.topic)!;
      const decoded = await decoderOf(mapping).decode(record);
      if (decoded.kind !== 'change' || !['c', 'u', 'd'].includes(decoded.envelope.op)) return;
      const { source } = decoded.envelope;
      const txId =
        typeof source.gtid === 'string' && source.gtid !== '' ? source.gtid : source.txId !== undefined && source.txId !== null ? String(source.txId) : null;
      if (txId === null) return;
      const key = transactionKey(mapping.source, txId);
      const position = sourcePosition(source).value;
      const table = source.table ?? record.topic;
      const tx = out.get(key);
      if (tx) {
        tx.changes++;
        tx.byTable[table] = (tx.byTable[table] ?? 0) + 1;
        if (position < tx.minPosition) tx.minPosition = position;
        tx.firstInKafkaMs = Math.min(tx.firstInKafkaMs, record.timestamp);
        tx.lastInKafkaMs = Math.max(tx.lastInKafkaMs, record.timestamp);
      } else {
        out.set(key, {
          source: mapping.source,
          txId,
          changes: 1,
          byTable: { [table]: 1 },
          minPosition: position,
          firstInKafkaMs: record.timestamp,
          lastInKafkaMs: record.timestamp,
        });
      }
    },
  );
  return out;
}

/**
 * Resolves once the source topics' end offsets have not moved for `quietMs` (default 2 s):
 * Debezium has emitted what was committed so far.
 *
 * @throws Error when they still move after `timeoutMs` (default 2 minutes).
 */
export async function waitForCaptureToSettle(
  kafka: KafkaClient,
  options: { mappings?: SourceMapping[]; quietMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const quietMs = options.quietMs ?? 2000;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last = -1n;
  let since = Date.now();
  for (;;) {
    let total = 0n;
    for (const { topic } of await sourceTopics(kafka, options.mappings)) for (const end of await kafka.endOffsets(topic)) total += BigInt(end.offset);
    if (total !== last) {
      last = total;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`waitForCaptureToSettle: source topics still growing after ${options.timeoutMs ?? 120_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
