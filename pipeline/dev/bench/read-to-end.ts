/**
 * Reading topics after the fact: every record from the beginning up to the end offsets as they
 * are when the call starts, through a throwaway consumer group that is deleted afterwards. The
 * bench reads what the product already wrote (source topics, `stock.levels`) this way, so its
 * reading never competes with the pipeline while a step is measured.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaClient, KafkaRecord } from '../../src/kafka/client.ts';

/**
 * Calls `onRecord` for every record of `topics` (per partition in offset order, partitions
 * interleaved) up to their end offsets at the start of the call, then resolves.
 *
 * @param onRecord - may be async; the next batch of its partition waits for it.
 * @throws Error when the end is not reached within `timeoutMs` (default 10 minutes), or a topic
 *   does not exist.
 */
export async function readTopicsToEnd(
  kafka: KafkaClient,
  topics: string[],
  onRecord: (record: KafkaRecord) => void | Promise<void>,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const remaining = new Map<string, bigint>(); // `${topic}|${partition}` -> end offset still to reach
  for (const topic of topics) {
    for (const end of await kafka.endOffsets(topic)) if (BigInt(end.offset) > 0n) remaining.set(`${topic}|${end.partition}`, BigInt(end.offset));
  }
  if (remaining.size === 0) return;
  const groupId = `stocksync-bench-read-${randomUUID()}`;
  let reached!: () => void;
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const consumer = await kafka.runBatchConsumer({
    groupId,
    topics,
    fromBeginning: true,
    concurrency: 3,
    eachBatch: async (batch) => {
      const id = `${batch.topic}|${batch.partition}`;
      const end = remaining.get(id);
      if (end === undefined) return;
      for (const record of batch.records) {
        if (BigInt(record.offset) >= end) break;
        await onRecord(record);
      }
      if (BigInt(batch.records[batch.records.length - 1]!.offset) + 1n >= end) {
        remaining.delete(id);
        if (remaining.size === 0) reached();
      }
    },
  });
  const timeoutMs = options.timeoutMs ?? 600_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`readTopicsToEnd: ${remaining.size} partitions not read to their end after ${timeoutMs} ms: ${[...remaining.keys()].join(', ')}`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    await kafka.deleteGroups([groupId]).catch(() => undefined);
  }
}
