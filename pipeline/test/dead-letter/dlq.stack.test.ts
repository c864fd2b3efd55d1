/**
 * Dead letters: the headers the pipeline writes read back (`dlq/read.ts`), selection, the replay
 * record (original topic, partition, key, value), and `stocksync dlq list` / `dlq replay` spawned
 * against the stack's `stocksync.dlq` with records of a topic of this test's own.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { parseDeadLetter, readTopicToEnd } from '../../src/dead-letter/read.ts';
import { REPLAY_HEADERS, replayRecord } from '../../src/dead-letter/replay.ts';
import { selectDeadLetters } from '../../src/dead-letter/select.ts';
import { createKafkaClient, type KafkaClient, type KafkaRecord } from '../../src/kafka/client.ts';
import { deadLetterRecord, sendDeadLetters, type DeadLetter } from '../../src/dead-letter/dead-letter.ts';
import type { DeadLetterReason } from '../../src/dead-letter/reasons.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { DEAD_LETTER_TOPIC } from '../../src/config/names.ts';

const run = promisify(execFile);
const CLI = path.join(projectRoot, 'pipeline/bin/stocksync.js');
const stocksync = async (args: string[]) => (await run(process.execPath, [CLI, ...args], { cwd: projectRoot, env: process.env })).stdout;

/** A dead letter as the pipeline builds it, for a record of `topic`. */
function letter(topic: string, partition: number, offset: string, reason: DeadLetterReason, key: string | null, value: string): DeadLetter {
  const record: KafkaRecord = {
    topic,
    partition,
    offset,
    timestamp: 0,
    headers: {},
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
  };
  return {
    record,
    source: 'pos',
    table: 'stockcurrent',
    key: key === null ? null : `{"id":"${key}"}`,
    field: reason === 'null-quantity' ? 'units' : null,
    reason,
    error: `why: ${reason}`,
  };
}

/** A dead-letter record as it comes back from the topic. */
function asConsumed(l: DeadLetter, offset: string): KafkaRecord {
  const out = deadLetterRecord(l);
  return {
    topic: DEAD_LETTER_TOPIC,
    partition: 0,
    offset,
    timestamp: 1,
    key: out.key as Buffer | null,
    value: out.value as Buffer,
    headers: Object.fromEntries(Object.entries(out.headers!).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe('dead letters, without a stack', () => {
  const a = letter('pos.pos.stockcurrent', 1, '7', 'bad-magic-byte', 'k1', 'garbage');
  const b = letter('pos.pos.stockcurrent', 2, '9', 'null-quantity', null, 'v2');

  it('headers read back exactly', () => {
    const e = parseDeadLetter(asConsumed(a, '42'));
    expect(e).toMatchObject({
      dlq: { topic: DEAD_LETTER_TOPIC, partition: 0, offset: '42' },
      source: 'pos',
      topic: 'pos.pos.stockcurrent',
      partition: 1,
      offset: '7',
      table: 'stockcurrent',
      recordKey: '{"id":"k1"}',
      field: null,
      reason: 'bad-magic-byte',
      error: 'why: bad-magic-byte',
      failedAtMs: expect.any(Number),
    });
    expect(e.key).toEqual(Buffer.from('k1'));
    expect(e.value).toEqual(Buffer.from('garbage'));
  });

  it('selection by reason, topic, source, table; nothing given selects all', () => {
    const entries = [parseDeadLetter(asConsumed(a, '1')), parseDeadLetter(asConsumed(b, '2'))];
    expect(selectDeadLetters(entries, {}).length).toBe(2);
    expect(selectDeadLetters(entries, { reason: ['null-quantity'] }).map((e) => e.offset)).toEqual(['9']);
    expect(selectDeadLetters(entries, { reason: ['null-quantity', 'bad-magic-byte'], topic: ['pos.pos.stockcurrent'] }).length).toBe(2);
    expect(selectDeadLetters(entries, { topic: ['other'] })).toEqual([]);
    expect(selectDeadLetters(entries, { source: ['pos'], table: ['stockcurrent'] }).length).toBe(2);
  });

  it('the replay record: original topic, partition, key and value, plus where it came from', () => {
    expect(replayRecord(parseDeadLetter(asConsumed(b, '2')))).toEqual({
      topic: 'pos.pos.stockcurrent',
      record: {
        key: null,
        value: Buffer.from('v2'),
        partition: 2,
        headers: { [REPLAY_HEADERS.deadLetter]: `${DEAD_LETTER_TOPIC}/0/2`, [REPLAY_HEADERS.originalOffset]: '9' },
      },
    });
  });
});

describe('stocksync dlq list / replay on the stack', () => {
  const topic = `stocksync-test.dlq-replay-${Date.now()}`;
  let kafka: KafkaClient;
  const letters = [
    letter(topic, 1, '7', 'bad-magic-byte', 'k1', 'garbage-1'),
    letter(topic, 2, '9', 'null-quantity', 'k2', 'value-2'),
    letter(topic, 0, '3', 'bad-magic-byte', null, 'garbage-3'),
  ];

  beforeAll(async () => {
    kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-test' });
    await kafka.ensureTopics([
      { topic, partitions: 3 },
      { topic: DEAD_LETTER_TOPIC, partitions: 1 },
    ]);
    await sendDeadLetters(kafka, letters);
  });

  afterAll(async () => {
    await kafka.deleteTopics([topic]);
    await kafka.close();
  });

  it('list prints every header of the selected dead letters', async () => {
    const text = await stocksync(['dlq', 'list', '--topic', topic]);
    expect(text).toContain(
      `  topic     ${topic}\n  partition 1\n  offset    7\n  table     stockcurrent\n  key       {"id":"k1"}\n  field     \n  reason    bad-magic-byte\n  error     why: bad-magic-byte`,
    );
    expect(text).toContain('  source    pos');
    expect(text.trim().split('\n').at(-1)).toBe('3 dead letters');
    const json = (await stocksync(['dlq', 'list', '--topic', topic, '--reason', 'null-quantity', '--json']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json).toEqual([
      {
        dlq: expect.stringMatching(/^0\/\d+$/),
        failedAt: expect.any(String),
        source: 'pos',
        topic,
        partition: 2,
        offset: '9',
        table: 'stockcurrent',
        key: '{"id":"k2"}',
        field: 'units',
        reason: 'null-quantity',
        error: 'why: null-quantity',
        keyBytes: 2,
        valueBytes: 7,
      },
    ]);
  });

  it('replay --dry-run produces nothing; replay sends the selected ones to their original topic and partition', async () => {
    const dry = await stocksync(['dlq', 'replay', '--topic', topic, '--dry-run']);
    expect(dry).toContain('3 dead letters selected (dry run)');
    expect(await readTopicToEnd(kafka, topic, 30_000)).toEqual([]);

    const out = await stocksync(['dlq', 'replay', '--topic', topic, '--reason', 'bad-magic-byte']);
    expect(out).toContain(`replayed 2 to ${topic}`);
    const replayed = await readTopicToEnd(kafka, topic, 30_000);
    expect(replayed.map((r) => [r.partition, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0, null, 'garbage-3'],
      [1, 'k1', 'garbage-1'],
    ]);
    expect(replayed[1]!.headers[REPLAY_HEADERS.originalOffset]?.toString()).toBe('7');
    expect(replayed[1]!.headers[REPLAY_HEADERS.deadLetter]?.toString()).toMatch(new RegExp(`^${DEAD_LETTER_TOPIC.replace('.', '\\.')}/0/\\d+$`));
  });
});
