/**
 * From what the product recorded to per-transaction latencies. For each committed source
 * transaction (the load generator's report: commit wall time, GTID/xid, keys touched):
 *
 * - Kafka: the last of its records in the source topics (matched by GTID/xid), record timestamp;
 * - canonical: per (sku, location) it touched, the first canonical version of that key from the
 *   same source whose triggering position is at or after the transaction's first change (its own
 *   change, or a later one merged in the same batch); `stock_level.updated_at` of the latest of them;
 * - Redis: when the Redis pub/sub notice of those versions reached the bench (the publisher
 *   invalidates, then publishes, in one MULTI);
 * - each channel: for the versions the channel can see (its locations; a change that leaves the
 *   channel's quantity as it was gives no sample, as the channel writes nothing for it), the first
 *   channel write of the SKU whose version (the sum of canonical versions at the channel's
 *   locations, channels/rules.ts) covers it: `committed_at_ms` of its entry on the channel's stream.
 *
 * Keys whose change left the canonical row as it was (e.g. +2 and −2 merged together) have no
 * canonical version of their own and give no sample. All times are wall times of this host.
 */
import { availableToSell, type CanonicalRow } from '../../src/channels/index.ts';
import type { ChannelRule } from '../../src/channels/index.ts';
import { matchesLocation } from '../../src/config/location-patterns.ts';
import type { CanonicalEvent } from './canonical-events.ts';
import { transactionKey, type CapturedTransaction } from './captured-changes.ts';

/** A committed source transaction, as the bench needs it. */
export interface TimedTransaction {
  source: string;
  kind: string;
  txId: string | null;
  committedAtMs: number;
  /** Canonical keys it touched (`sku|location`), without duplicates. */
  keys: string[];
}

/** One channel write as its stream entry tells it. */
export interface ChannelWrite {
  sku: string;
  version: number;
  committedAtMs: number;
}

/** Per-transaction latencies in ms; null where the transaction gives no sample for the stage. */
export interface TransactionLatency {
  changes: number | null;
  toKafka: number | null;
  toCanonical: number | null;
  toRedis: number | null;
  toChannel: Record<string, number | null>;
}

const eventKey = (sku: string, location: string, version: number): string => `${sku}|${location}|${version}`;

/** First index in `sorted` (ascending by `by`) whose value is >= `min`; length when none. */
function firstAtLeast<T>(sorted: readonly T[], min: bigint | number, by: (x: T) => bigint | number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (by(sorted[mid] as T) < min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Matches transactions to what the product recorded; build once, then ask per transaction. */
export class LatencyMatcher {
  /** `sku|location|source` -> that source's canonical versions of the key, by version. */
  private readonly bySourceKey = new Map<string, CanonicalEvent[]>();
  /** `sku|location|version` -> per channel: the channel version that shows it, or null when the channel's quantity did not change. */
  private readonly channelVersion = new Map<string, Record<string, number | null>>();
  /** channel -> sku -> writes by version. */
  private readonly writes = new Map<string, Map<string, ChannelWrite[]>>();

  constructor(
    private readonly captured: ReadonlyMap<string, CapturedTransaction>,
    events: readonly CanonicalEvent[],
    private readonly redisNotices: ReadonlyMap<string, number>,
    private readonly rules: readonly ChannelRule[],
    channelWrites: Record<string, readonly ChannelWrite[]>,
  ) {
    const ordered = [...events].sort((a, b) => a.updatedAtMs - b.updatedAtMs || a.version - b.version);
    const rowsBySku = new Map<string, Map<string, CanonicalRow>>();
    for (const e of ordered) {
      const id = `${e.sku}|${e.location}|${e.source}`;
      const list = this.bySourceKey.get(id);
      if (list) list.push(e);
      else this.bySourceKey.set(id, [e]);
      // Replay the canonical rows to know what each channel showed before and after this version.
      let rows = rowsBySku.get(e.sku);
      if (!rows) rowsBySku.set(e.sku, (rows = new Map()));
      const seen = rules.filter((r) => matchesLocation(r.locations, e.location));
      const before = seen.map((r) => availableToSell(r, e.sku, [...(rows as Map<string, CanonicalRow>).values()]));
      rows.set(e.location, { sku: e.sku, location: e.location, onHand: e.onHand, reserved: e.reserved, safetyStock: e.safetyStock, version: e.version });
      const perChannel: Record<string, number | null> = {};
      seen.forEach((r, i) => {
        const after = availableToSell(r, e.sku, [...(rows as Map<string, CanonicalRow>).values()]);
        perChannel[r.name] = after && (!before[i] || before[i]?.quantity !== after.quantity) ? after.version : null;
      });
      this.channelVersion.set(eventKey(e.sku, e.location, e.version), perChannel);
    }
    for (const list of this.bySourceKey.values()) list.sort((a, b) => a.version - b.version);
    for (const [channel, list] of Object.entries(channelWrites)) {
      const bySku = new Map<string, ChannelWrite[]>();
      for (const w of list) {
        const l = bySku.get(w.sku);
        if (l) l.push(w);
        else bySku.set(w.sku, [w]);
      }
      for (const l of bySku.values()) l.sort((a, b) => a.version - b.version);
      this.writes.set(channel, bySku);
    }
  }

  /** The latencies of one transaction. */
  latency(tx: TimedTransaction): TransactionLatency {
    const toChannel: Record<string, number | null> = Object.fromEntries(this.rules.map((r) => [r.name, null]));
    const captured = tx.txId === null ? undefined : this.captured.get(transactionKey(tx.source, tx.txId));
    if (!captured) return { changes: null, toKafka: null, toCanonical: null, toRedis: null, toChannel };
    let canonical: number | null = null;
    let redis: number | null = null;
    let redisMissing = false;
    for (const key of tx.keys) {
      const versions = this.bySourceKey.get(`${key}|${tx.source}`);
      if (!versions) continue;
      // Positions of one source grow with the versions of a key, so the first one at or after the transaction is found by bisection.
      const event = versions[firstAtLeast(versions, captured.minPosition, (e) => e.position)];
      if (!event) continue;
      canonical = Math.max(canonical ?? 0, event.updatedAtMs);
      const id = eventKey(event.sku, event.location, event.version);
      const notice = this.redisNotices.get(id);
      if (notice === undefined) redisMissing = true;
      else redis = Math.max(redis ?? 0, notice);
      for (const [channel, version] of Object.entries(this.channelVersion.get(id) ?? {})) {
        if (version === null) continue;
        const writes = this.writes.get(channel)?.get(event.sku) ?? [];
        const write = writes[firstAtLeast(writes, version, (w) => w.version)];
        if (write) toChannel[channel] = Math.max(toChannel[channel] ?? 0, write.committedAtMs);
      }
    }
    for (const channel of Object.keys(toChannel)) {
      const at = toChannel[channel];
      toChannel[channel] = at === null || at === undefined ? null : at - tx.committedAtMs;
    }
    return {
      changes: captured.changes,
      toKafka: captured.lastInKafkaMs - tx.committedAtMs,
      toCanonical: canonical === null ? null : canonical - tx.committedAtMs,
      toRedis: redis === null || redisMissing ? null : redis - tx.committedAtMs,
      toChannel,
    };
  }
}
