/**
 * Reading the dead-letter topic (`stocksync.dlq`, written by `pipeline/dead-letter.ts`): each record
 * holds the quarantined record's original key and value bytes, and headers naming where it came
 * from and why (`DEAD_LETTER_HEADERS`).
 */
import type { KafkaClient, KafkaRecord } from '../kafka/client.ts';
import { DEAD_LETTER_HEADERS } from './dead-letter.ts';
import { DEAD_LETTER_TOPIC } from '../config/names.ts';

/** One dead letter, its headers parsed. Empty header values read as null. */
export interface DeadLetterEntry {
  /** Where the dead letter itself sits in the dead-letter topic. */
  dlq: { topic: string; partition: number; offset: string; timestamp: number };
  /** The original record's key and value bytes. */
  key: Buffer | null;
  value: Buffer | null;
  /** Source name from the mapping (`stocksync.source`). */
  source: string | null;
  /** Where the original record was: topic, partition, offset (`stocksync.topic/.partition/.offset`). */
  topic: string | null;
  partition: number | null;
  offset: string | null;
  /** Source table (`stocksync.table`). */
  table: string | null;
  /** The original key as readable text (`stocksync.key`). */
  recordKey: string | null;
  /** The field at fault (`stocksync.field`). */
  field: string | null;
  /** Machine reason, e.g. `bad-magic-byte`, `null-quantity`, `truncate` (`stocksync.reason`). */
  reason: string | null;
  /** Human explanation (`stocksync.error`). */
  error: string | null;
  /** When it was dead-lettered, ms since epoch (`stocksync.failed_at_ms`). */
  failedAtMs: number | null;
}

/** Parses a dead-letter record's headers. */
export function parseDeadLetter(record: KafkaRecord): DeadLetterEntry {
  const header = (name: string): string | null => {
    const v = record.headers[name];
    if (v === undefined) return null;
    const text = v.toString('utf8');
    return text === '' ? null : text;
  };
  const partition = header(DEAD_LETTER_HEADERS.partition);
  const failedAt = header(DEAD_LETTER_HEADERS.failedAt);
  return {
    dlq: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
    key: record.key,
    value: record.value,
    source: header(DEAD_LETTER_HEADERS.source),
    topic: header(DEAD_LETTER_HEADERS.topic),
    partition: partition === null || !/^\d+$/.test(partition) ? null : Number(partition),
    offset: header(DEAD_LETTER_HEADERS.offset),
    table: header(DEAD_LETTER_HEADERS.table),
    recordKey: header(DEAD_LETTER_HEADERS.key),
    field: header(DEAD_LETTER_HEADERS.field),
    reason: header(DEAD_LETTER_HEADERS.reason),
    error: header(DEAD_LETTER_HEADERS.error),
    failedAtMs: failedAt === null || !/^\d+$/.test(failedAt) ? null : Number(failedAt),
  };
}

/**
 * Every dead letter present now, in (partition, offset) order: reads the topic from the beginning
 * up to the end offsets taken when called, with a throw-away consumer group (deleted afterwards),
 * so it commits nothing another reader depends on.
 * @returns [] when the topic does not exist.
 * @throws Error when the end is not reached within `timeoutMs`.
 */
export async function readDeadLetters(kafka: KafkaClient, options: { topic?: string; timeoutMs?: number } = {}): Promise<DeadLetterEntry[]> {
  const topic = options.topic ?? DEAD_LETTER_TOPIC;
  const records = await readTopicToEnd(kafka, topic, options.timeoutMs ?? 60_000);
  return records.map(parseDeadLetter);
}

/** Reads `topic` from the beginning to its end offsets as of the call. */
export async function readTopicToEnd(kafka: KafkaClient, topic: string, timeoutMs: number): Promise<KafkaRecord[]> {
  if (!(await kafka.listTopics()).includes(topic)) return [];
  const remaining = new Map<number, bigint>();
  for (const { partition, offset } of await kafka.endOffsets(topic)) if (BigInt(offset) > 0n) remaining.set(partition, BigInt(offset));
  if (remaining.size === 0) return [];
  const records: KafkaRecord[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const groupId = `stocksync-dlq-reader-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const consumer = await kafka.runBatchConsumer({
    groupId,
    topics: [topic],
    eachBatch: async (batch) => {
      const end = remaining.get(batch.partition);
      if (end === undefined) return;
      for (const r of batch.records) {
        if (BigInt(r.offset) >= end) break;
        records.push(r);
        if (BigInt(r.offset) + 1n >= end) remaining.delete(batch.partition);
      }
      if (remaining.size === 0) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${topic}: not read to its end within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    await kafka.deleteGroups([groupId]).catch(() => undefined);
  }
  return records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}
