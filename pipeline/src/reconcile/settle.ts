/**
 * "Has the pipeline caught up to where the source read stood?" — the condition under which a
 * difference is real rather than a change still in flight (docs/reconciliation.md, "No false
 * drift"): the source's connector has read every change of a captured table up to the read
 * position (`offsetCoversSource` with `until`, connectors/caught-up.ts), and then the pipeline's
 * consumer group has consumed everything the connector had written to the source's topics by then.
 */
import { offsetCoversSource, type LogPosition } from '../connectors/caught-up.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { tableTopic, type SourceMapping } from '../normalize/index.ts';

/** The outcome of {@link waitForPosition}. */
export interface Settled {
  settled: boolean;
  /** Why not, for people (the connector's reason, or the lag left). */
  reason: string;
}

/** Topics of a mapping's tables (dimensions and stock tables). */
export function mappingTopics(mapping: SourceMapping): string[] {
  return [...Object.values(mapping.dimensions).map((d) => tableTopic(mapping, d.table)), ...Object.keys(mapping.tables).map((t) => tableTopic(mapping, t))];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (polling, up to `timeoutMs`) until the connector of `mapping` has read its source up to
 * `position` and the consumer group `groupId` has committed offsets at or past the end offsets its
 * topics had at that moment. Never throws for a source or group that is merely behind: it answers
 * `settled: false` with the reason.
 * @throws Error when Kafka, Kafka Connect or the source cannot be reached.
 */
export async function waitForPosition(kafka: KafkaClient, mapping: SourceMapping, position: LogPosition, groupId: string, timeoutMs: number): Promise<Settled> {
  if (!mapping.connector) return { settled: false, reason: `${mapping.file} names no connector` };
  const deadline = Date.now() + timeoutMs;
  let reason = '';
  for (;;) {
    const covered = await offsetCoversSource(mapping.connector, position);
    if (covered.caughtUp) break;
    reason = `connector ${mapping.connector}: ${covered.reason}`;
    if (Date.now() > deadline) return { settled: false, reason };
    await sleep(500);
  }
  const topics = mappingTopics(mapping);
  const targets: Array<{ topic: string; partition: number; offset: bigint }> = [];
  for (const topic of topics) {
    for (const p of await kafka.endOffsets(topic).catch(() => [])) targets.push({ topic, partition: p.partition, offset: BigInt(p.offset) });
  }
  for (;;) {
    let behind = 0n;
    for (const topic of topics) {
      const committed = await kafka.groupOffsets(groupId, topic);
      for (const t of targets.filter((x) => x.topic === topic)) {
        const done = BigInt(committed.partitions.find((p) => p.partition === t.partition)?.offset ?? '-1');
        if (done < t.offset) behind += t.offset - (done < 0n ? 0n : done);
      }
    }
    if (behind === 0n) return { settled: true, reason: 'caught up' };
    reason = `consumer group ${groupId} is ${behind} record(s) behind on ${mapping.source}'s topics`;
    if (Date.now() > deadline) return { settled: false, reason };
    await sleep(500);
  }
}
