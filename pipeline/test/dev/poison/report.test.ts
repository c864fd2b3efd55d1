/**
 * The poison report's arithmetic: poison records matched with dead letters by topic, partition and
 * offset; what counts as missing, unexpected, or a valid record dead-lettered; the corpus's size
 * per kind.
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetterEntry } from '../../../src/dead-letter/index.ts';
import { POISON_KINDS, variantCatalogue } from '../../../dev/poison/kinds.ts';
import { kindCounts, oneMegabyteCount } from '../../../dev/poison/producer.ts';
import { matchDeadLetters, placeOf, type FoundPoison } from '../../../dev/poison/report.ts';
import { DEAD_LETTER_REASONS } from '../../../src/dead-letter/reasons.ts';

const letter = (topic: string, partition: number, offset: string, reason: string): DeadLetterEntry => ({
  dlq: { topic: 'stocksync.dlq', partition: 0, offset: '0', timestamp: 0 },
  key: null,
  value: null,
  source: 'pos',
  topic,
  partition,
  offset,
  table: 'stockcurrent',
  recordKey: null,
  field: null,
  reason,
  error: 'x',
  failedAtMs: 0,
});

describe('matching poison with dead letters', () => {
  const poison = new Map<string, FoundPoison>([
    [placeOf('t', 0, '1'), { kind: 'truncated-avro', variant: 'cut', expected: 'truncated' }],
    [placeOf('t', 0, '2'), { kind: 'truncated-avro', variant: 'cut', expected: 'truncated' }],
    [placeOf('t', 1, '1'), { kind: 'truncated-avro', variant: 'cut', expected: 'truncated' }],
    [placeOf('t', 1, '2'), { kind: 'null-key', variant: 'null key', expected: 'usable' }],
    [placeOf('t', 1, '3'), { kind: 'null-key', variant: 'null key', expected: 'usable' }],
  ]);

  it('counts each variant: produced, dead-lettered by reason, missing, unexpected', () => {
    const matched = matchDeadLetters(poison, [
      letter('t', 0, '1', 'truncated'),
      letter('t', 0, '2', 'corrupt-payload'), // another reason than expected
      letter('t', 1, '3', 'no-after'), // a usable record dead-lettered
      letter('t', 2, '9', 'null-quantity'), // not poison: valid traffic
    ]);
    expect(matched.records).toBe(5);
    expect(matched.producedByKind).toEqual({ 'truncated-avro': 3, 'null-key': 2 });
    expect(matched.variants).toEqual([
      {
        kind: 'truncated-avro',
        variant: 'cut',
        expected: 'truncated',
        produced: 3,
        deadLettered: { truncated: 1, 'corrupt-payload': 1 },
        missing: 1,
        unexpected: 1,
      },
      { kind: 'null-key', variant: 'null key', expected: 'usable', produced: 2, deadLettered: { 'no-after': 1 }, missing: 0, unexpected: 1 },
    ]);
    expect(matched.deadLettersByReason).toEqual({ truncated: 1, 'corrupt-payload': 1, 'no-after': 1, 'null-quantity': 1 });
    expect(matched.notDeadLettered).toBe(1);
    expect(matched.unexpectedDeadLetters).toBe(2);
    expect(matched.validDeadLettered).toBe(1);
    expect(matched.validExamples.map((l) => l.offset)).toEqual(['9']);
  });

  it('a usable record not dead-lettered is not missing', () => {
    const matched = matchDeadLetters(poison, [letter('t', 0, '1', 'truncated'), letter('t', 0, '2', 'truncated'), letter('t', 1, '1', 'truncated')]);
    expect(matched.notDeadLettered).toBe(0);
    expect(matched.unexpectedDeadLetters).toBe(0);
    expect(matched.validDeadLettered).toBe(0);
  });
});

describe('the corpus', () => {
  it('has at least the asked-for records, every kind, few 1 MB ones', () => {
    for (const records of [1000, 10_000, 12_345]) {
      const counts = kindCounts(records);
      expect(Object.keys(counts)).toEqual([...POISON_KINDS]);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(records);
      expect(counts['one-megabyte-value']).toBe(oneMegabyteCount(records));
      for (const kind of POISON_KINDS) expect(counts[kind]).toBeGreaterThan(0);
    }
    expect(oneMegabyteCount(1000)).toBe(6);
    expect(oneMegabyteCount(10_000)).toBe(20);
  });

  it('expects of every variant a reason of the dead-letter table, or use', () => {
    const reasons = Object.keys(DEAD_LETTER_REASONS);
    for (const v of variantCatalogue()) expect(v.expected === 'usable' || reasons.includes(v.expected), `${v.kind}: ${v.variant}`).toBe(true);
    expect(new Set(variantCatalogue().map((v) => v.kind))).toEqual(new Set(POISON_KINDS));
  });
});
