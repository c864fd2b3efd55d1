/** Reads records from real topics through the project's own Kafka module. */
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient, type KafkaRecord } from '../../src/kafka/client.ts';

/**
 * Consumes `topic` from the beginning with a fresh consumer group until `match` accepts a record
 * or `timeoutMs` passes. Returns the matching record, or throws naming what was seen.
 */
export async function waitForRecord(topic: string, match: (record: KafkaRecord) => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<KafkaRecord> {
  const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test' });
  let found: KafkaRecord | undefined;
  let seen = 0;
  let resolveFound: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveFound = resolve));
  const consumer = await kafka.runBatchConsumer({
    groupId: `stocksync-test-${topic}-${Date.now()}`,
    topics: [topic],
    eachBatch: async (batch) => {
      for (const record of batch.records) {
        seen++;
        if (!found && (await match(record))) {
          found = record;
          resolveFound();
        }
      }
    },
  });
  const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs));
  await Promise.race([done, timer]);
  await consumer.stop();
  await kafka.close();
  if (!found) throw new Error(`no matching record on ${topic} within ${timeoutMs} ms (${seen} records seen)`);
  return found;
}

/**
 * Waits until `topic` exists: a connector creates its topics with its first record, and a consumer
 * subscribed to a topic that does not exist yet fails.
 */
export async function topicExists(topic: string, timeoutMs = 90_000): Promise<void> {
  const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test' });
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await kafka.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} not created within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await kafka.close();
  }
}
