/** How far a consumer group is behind: the records between its committed offsets and the log end. */
import type { KafkaClient } from './client.ts';

/** Total lag (records) of a consumer group over the given topics. */
export async function groupLag(kafka: KafkaClient, groupId: string, topics: string[]): Promise<number> {
  let lag = 0n;
  for (const topic of topics) {
    const [ends, committed] = await Promise.all([kafka.endOffsets(topic), kafka.groupOffsets(groupId, topic)]);
    for (const end of ends) {
      const done = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const position = BigInt(done) < 0n ? 0n : BigInt(done);
      if (BigInt(end.offset) > position) lag += BigInt(end.offset) - position;
    }
  }
  return Number(lag);
}
