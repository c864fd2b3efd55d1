/** Waiting for the pipeline to catch up: consumer lag zero on every topic it reads. */
import type { KafkaClient } from '../kafka/client.ts';

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

/**
 * Resolves once `condition` has held continuously for `stableMs` (re-checked every 200 ms).
 * @throws Error with `describe()` when `timeoutMs` passes first.
 */
export async function waitStable(
  condition: () => Promise<boolean>,
  options: { stableMs: number; timeoutMs: number; describe: () => Promise<string> | string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let since: number | null = null;
  for (;;) {
    if (await condition()) {
      since ??= Date.now();
      if (Date.now() - since >= options.stableMs) return;
    } else {
      since = null;
    }
    if (Date.now() > deadline) throw new Error(`not settled after ${options.timeoutMs} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
