/**
 * Replaying dead letters: each selected dead letter's original key and value are produced again to
 * its original topic and partition, so the pipeline consumes it once more.
 *
 * A replayed record is a **new offset** in that topic carrying the **same source position** (the
 * position is inside the value: binlog file/pos/row or LSN). The merge stage applies a change only
 * if its position is after the one recorded for that row, so a replayed change is applied if and
 * only if nothing at or after its position was applied to that row in the meantime; replaying twice
 * applies it at most once. A record that fails again is dead-lettered again (with its new offset).
 */
import type { KafkaClient, OutgoingRecord } from '../kafka/client.ts';
import type { DeadLetterEntry } from './read.ts';

/** Headers added to a replayed record, naming the dead letter it came from. */
export const REPLAY_HEADERS = {
  /** `<dlq topic>/<partition>/<offset>` of the dead letter. */
  deadLetter: 'stocksync.replay.dead_letter',
  /** Offset of the original record in its topic. */
  originalOffset: 'stocksync.replay.original_offset',
} as const;

/** A record to produce for one dead letter. */
export interface ReplayRecord {
  topic: string;
  record: OutgoingRecord;
}

/**
 * The record that replays `entry`: original key, value, topic and partition.
 * @throws Error when the dead letter does not name its original topic.
 */
export function replayRecord(entry: DeadLetterEntry): ReplayRecord {
  if (entry.topic === null) throw new Error(`dead letter ${entry.dlq.partition}/${entry.dlq.offset} names no original topic`);
  return {
    topic: entry.topic,
    record: {
      key: entry.key,
      value: entry.value,
      ...(entry.partition !== null ? { partition: entry.partition } : {}),
      headers: {
        [REPLAY_HEADERS.deadLetter]: `${entry.dlq.topic}/${entry.dlq.partition}/${entry.dlq.offset}`,
        ...(entry.offset !== null ? { [REPLAY_HEADERS.originalOffset]: entry.offset } : {}),
      },
    },
  };
}

/**
 * Produces the replay records (acks = all), in dead-letter order per topic.
 * @returns how many were produced per topic.
 */
export async function replayDeadLetters(kafka: KafkaClient, entries: DeadLetterEntry[]): Promise<Record<string, number>> {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const entry of entries) {
    const { topic, record } = replayRecord(entry);
    if (!byTopic.has(topic)) byTopic.set(topic, []);
    byTopic.get(topic)!.push(record);
  }
  const counts: Record<string, number> = {};
  for (const [topic, records] of byTopic) {
    await kafka.send(topic, records);
    counts[topic] = records.length;
  }
  return counts;
}
