/**
 * Issue 16, found by the poison corpus (`stocksync poison`, 10,000 records, 20 of them 1 MB): dead
 * letters of large records. Kafka refuses a produce request whose batch for a partition exceeds
 * the topic's `max.message.bytes` (1 MB by default) — for good, so a batch of dead letters that
 * together pass 1 MB (the dead-letter topic has one partition) was retried forever and the
 * partition behind them stalled. Dead letters go out in requests that each stay under the limit,
 * and the dead-letter topic is created with room for one record as large as any source topic holds
 * plus its headers. Real broker, the stack's `stocksync.dlq`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { DEAD_LETTER_TOPIC } from '../../src/config/names.ts';
import { ensureDeadLetterTopic, sendDeadLetters, type DeadLetter } from '../../src/dead-letter/dead-letter.ts';
import { readDeadLetters } from '../../src/dead-letter/read.ts';
import { createKafkaClient, type KafkaClient } from '../../src/kafka/client.ts';

const TOPIC = `stocksync-test-large-${Date.now()}`;
let kafka: KafkaClient;

/** A dead letter of a record of this test's topic, whose value is `bytes` long. */
function letter(offset: number, bytes: number): DeadLetter {
  return {
    record: {
      topic: TOPIC,
      partition: 0,
      offset: String(offset),
      timestamp: 0,
      headers: {},
      key: Buffer.from(`k${offset}`),
      value: Buffer.alloc(bytes, offset % 251),
    },
    source: 'warehouse',
    table: 'stock_location',
    key: `{"id":${offset}}`,
    field: null,
    reason: 'invalid-json',
    error: 'value is not valid JSON (RFC 8259)',
  };
}

/** The letters of this test's topic in the dead-letter topic: offset, value length, reason. */
async function lettersOfTopic() {
  return (await readDeadLetters(kafka, { timeoutMs: 60_000 })).filter((l) => l.topic === TOPIC);
}

beforeAll(() => {
  kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test-large' });
});

afterAll(async () => {
  await kafka?.close();
});

describe('dead letters of large records', () => {
  it('several that together pass 1 MB go out in requests the default 1 MB limit takes', { timeout: 180_000 }, async () => {
    // The topic as an earlier stocksync created it: Kafka's default limit.
    await kafka.deleteTopics([DEAD_LETTER_TOPIC]);
    await kafka.ensureTopics([{ topic: DEAD_LETTER_TOPIC, partitions: 1 }]);
    const letters = [letter(1, 600_000), letter(2, 600_000), letter(3, 10), letter(4, 600_000)];
    await sendDeadLetters(kafka, letters);
    const read = await lettersOfTopic();
    expect(read.map((l) => [l.offset, l.value?.length, l.reason])).toEqual(letters.map((l) => [l.record.offset, l.record.value!.length, 'invalid-json']));
  });

  it('the topic as the pipeline creates it takes one as large as a source topic allows, with its headers', { timeout: 180_000 }, async () => {
    await kafka.deleteTopics([DEAD_LETTER_TOPIC]);
    await ensureDeadLetterTopic(kafka);
    // 1,048,000 bytes: a value the source topics' default limit (1,048,588 bytes per batch) still takes.
    const letters = [letter(1, 600_000), letter(2, 600_000), letter(3, 10), letter(4, 600_000), letter(5, 1_048_000)];
    await sendDeadLetters(kafka, letters);
    const read = await lettersOfTopic();
    expect(read.map((l) => [l.offset, l.value?.length, l.reason])).toEqual(letters.map((l) => [l.record.offset, l.record.value!.length, 'invalid-json']));
    for (const [i, l] of read.entries()) expect(l.value!.equals(letters[i]!.record.value!), `letter ${l.offset}`).toBe(true);
  });
});
