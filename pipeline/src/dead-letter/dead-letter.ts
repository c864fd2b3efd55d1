/**
 * The dead-letter topic (docs/design.md invariant 5): a record that cannot be decoded or mapped is
 * produced, with its original key and value bytes, to `stocksync.dlq` with headers naming where it
 * came from and why. The pipeline then commits past it and goes on.
 */
import type { KafkaClient, KafkaRecord, OutgoingRecord } from '../kafka/client.ts';
import type { DeadLetterReason } from './reasons.ts';
import { DEAD_LETTER_TOPIC } from '../config/names.ts';

/** Why a record was quarantined. */
export interface DeadLetter {
  record: KafkaRecord;
  /** Source name from the mapping, or null when the topic maps to none. */
  source: string | null;
  table: string | null;
  /** The record's key as readable text (decoded when possible), or null. */
  key: string | null;
  /** The field at fault, when one is. */
  field: string | null;
  /** Machine-readable reason code, e.g. 'bad-magic-byte', 'null-quantity' (see `DEAD_LETTER_REASONS`). */
  reason: DeadLetterReason;
  /** Human-readable explanation. */
  error: string;
}

/** Header names of dead-letter records (all values UTF-8). */
export const DEAD_LETTER_HEADERS = {
  source: 'stocksync.source',
  topic: 'stocksync.topic',
  partition: 'stocksync.partition',
  offset: 'stocksync.offset',
  table: 'stocksync.table',
  key: 'stocksync.key',
  field: 'stocksync.field',
  reason: 'stocksync.reason',
  error: 'stocksync.error',
  failedAt: 'stocksync.failed_at_ms',
} as const;

/** Builds the dead-letter record for a quarantined input record. */
export function deadLetterRecord(letter: DeadLetter): OutgoingRecord {
  const headers: Record<string, string> = {
    [DEAD_LETTER_HEADERS.source]: letter.source ?? '',
    [DEAD_LETTER_HEADERS.topic]: letter.record.topic,
    [DEAD_LETTER_HEADERS.partition]: String(letter.record.partition),
    [DEAD_LETTER_HEADERS.offset]: letter.record.offset,
    [DEAD_LETTER_HEADERS.table]: letter.table ?? '',
    [DEAD_LETTER_HEADERS.key]: letter.key ?? '',
    [DEAD_LETTER_HEADERS.field]: letter.field ?? '',
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.error]: letter.error,
    [DEAD_LETTER_HEADERS.failedAt]: String(Date.now()),
  };
  return { key: letter.record.key, value: letter.record.value, headers };
}

/**
 * The dead-letter topic's `max.message.bytes` (8 MiB): room for one record as large as a source
 * topic holds under Kafka's default limit (1 MB) plus its dead-letter headers. Set when the topic
 * is created ({@link ensureDeadLetterTopic}); docs/operations.md says how to raise it on a topic
 * created before.
 */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Dead letters of one produce request stay under this many bytes (keys, values, headers): Kafka
 * refuses, for good, a request whose batch for a partition exceeds the topic's limit, and the topic
 * has one partition. A larger letter goes alone.
 */
export const DEAD_LETTER_REQUEST_BYTES = 512 * 1024;

/** Creates the dead-letter topic (one partition, {@link DEAD_LETTER_MAX_MESSAGE_BYTES}) when it does not exist. */
export async function ensureDeadLetterTopic(kafka: KafkaClient): Promise<void> {
  await kafka.ensureTopics([{ topic: DEAD_LETTER_TOPIC, partitions: 1, configs: { 'max.message.bytes': String(DEAD_LETTER_MAX_MESSAGE_BYTES) } }]);
}

/** Bytes a dead-letter record adds to a produce request (key, value, header names and values). */
function recordBytes(record: OutgoingRecord): number {
  let n = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers ?? {})) n += name.length + Buffer.byteLength(value);
  return n;
}

/**
 * Produces dead letters (acks=all) before the batch's offsets are committed, in order, in requests
 * of at most {@link DEAD_LETTER_REQUEST_BYTES} each.
 */
export async function sendDeadLetters(kafka: KafkaClient, letters: DeadLetter[]): Promise<void> {
  let request: OutgoingRecord[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const record = deadLetterRecord(letter);
    const size = recordBytes(record);
    if (request.length > 0 && bytes + size > DEAD_LETTER_REQUEST_BYTES) {
      await kafka.send(DEAD_LETTER_TOPIC, request);
      request = [];
      bytes = 0;
    }
    request.push(record);
    bytes += size;
  }
  if (request.length > 0) await kafka.send(DEAD_LETTER_TOPIC, request);
}
