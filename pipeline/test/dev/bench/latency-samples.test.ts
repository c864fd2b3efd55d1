import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../../dev/bench/canonical-events.ts';
import type { CapturedTransaction } from '../../../dev/bench/captured-changes.ts';
import { LatencyMatcher, type ChannelWrite } from '../../../dev/bench/latency-samples.ts';
import type { ChannelRule } from '../../../src/channels/config.ts';

const rule = (name: string, locations: string[]): ChannelRule =>
  ({ name, locations, safetyStock: { fromSource: true, byLocation: {}, default: '0' }, buffer: null, cap: null }) as unknown as ChannelRule;

const event = (location: string, version: number, onHand: string, position: bigint, updatedAtMs: number): CanonicalEvent => ({
  sku: 'SKU-1',
  location,
  version,
  onHand,
  reserved: '0',
  safetyStock: null,
  source: 'pos',
  sourcePosition: `binlog.000001:${position}#0`,
  position,
  updatedAtMs,
  publishedAtMs: updatedAtMs + 5,
});

const captured = (txId: string, minPosition: bigint, lastInKafkaMs: number, changes = 2): [string, CapturedTransaction] => [
  `pos|${txId}`,
  { source: 'pos', txId, changes, byTable: { stockcurrent: 1, stockdiary: 1 }, minPosition, firstInKafkaMs: lastInKafkaMs, lastInKafkaMs },
];

describe('LatencyMatcher', () => {
  const events = [
    event('STORE-01', 1, '10', 100n, 1_000), // the snapshot's version
    event('STORE-01', 2, '9', 200n, 2_100), // tx A's own change
    event('STORE-01', 3, '7', 400n, 3_200), // tx C, merged in one batch with tx B (position 300): B has no version of its own
    event('STORE-02', 1, '5', 110n, 1_000),
    event('STORE-02', 2, '5.5', 500n, 4_100), // tx D: half a unit more does not change what the channel shows (whole units)
  ];
  const notices = new Map([
    ['SKU-1|STORE-01|2', 2_120],
    ['SKU-1|STORE-01|3', 3_230],
    ['SKU-1|STORE-02|2', 4_150],
  ]);
  const rules = [rule('shop', ['STORE-*']), rule('other', ['WH*/Stock'])];
  // Channel versions are the sums of the canonical versions at its locations: 1+1, 2+1, 3+1, ...
  const writes: Record<string, ChannelWrite[]> = {
    shop: [
      { sku: 'SKU-1', version: 2, committedAtMs: 1_100 },
      { sku: 'SKU-1', version: 3, committedAtMs: 2_500 },
      { sku: 'SKU-1', version: 4, committedAtMs: 3_900 },
    ],
    other: [],
  };
  const matcher = new LatencyMatcher(
    new Map([captured('A', 200n, 2_040), captured('B', 300n, 2_950), captured('C', 400n, 3_050), captured('D', 500n, 4_020)]),
    events,
    notices,
    rules,
    writes,
  );

  it('times a transaction to Kafka, its canonical version, the Redis notice and the channel write that shows it', () => {
    expect(matcher.latency({ source: 'pos', kind: 'pos.sale', txId: 'A', committedAtMs: 2_000, keys: ['SKU-1|STORE-01'] })).toEqual({
      changes: 2,
      toKafka: 40,
      toCanonical: 100,
      toRedis: 120,
      toChannel: { shop: 500, other: null },
    });
  });

  it('times a transaction merged together with a later one by the version that applied both', () => {
    const b = matcher.latency({ source: 'pos', kind: 'pos.sale', txId: 'B', committedAtMs: 2_900, keys: ['SKU-1|STORE-01'] });
    expect(b.toCanonical).toBe(300);
    expect(b.toChannel.shop).toBe(1_000);
  });

  it('gives no channel sample for a change the channel does not show, and nothing for an uncaptured transaction', () => {
    const d = matcher.latency({ source: 'pos', kind: 'pos.refund', txId: 'D', committedAtMs: 4_000, keys: ['SKU-1|STORE-02'] });
    expect(d.toCanonical).toBe(100);
    expect(d.toRedis).toBe(150);
    expect(d.toChannel).toEqual({ shop: null, other: null });
    expect(matcher.latency({ source: 'pos', kind: 'pos.sale', txId: 'Z', committedAtMs: 1, keys: [] }).changes).toBeNull();
  });
});
