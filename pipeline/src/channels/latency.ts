/**
 * Source-commit -> channel-commit latency, for the demo. Each channel write ({@link ChannelCommit})
 * carries, per row, the canonical version of every (sku, location) it was computed from. A
 * canonical event `sku|location|version` (the key the demo's LatencyTracker uses) reached a
 * channel at the first channel write whose row for that SKU was computed from that location at
 * that version or a later one.
 *
 * Only writes count: a canonical change that leaves the channel's quantity unchanged (location not
 * sold by the channel, quantity clamped at 0 or at the cap, ...) produces no write and no sample.
 */
import type { ChannelCommit } from './fanout.ts';

export class ChannelLatencyRecorder {
  /** channel -> `sku|location` -> [canonical version, channel commit ms] in arrival order. */
  private readonly writes = new Map<string, Map<string, Array<[number, number]>>>();
  rowsWritten = 0;

  /** Pass as `hooks.onCommitted` of startChannels. */
  readonly onCommitted = (commit: ChannelCommit): void => {
    let byKey = this.writes.get(commit.channel);
    if (!byKey) this.writes.set(commit.channel, (byKey = new Map()));
    for (const row of commit.rows) {
      this.rowsWritten++;
      for (const [location, version] of Object.entries(row.canonicalVersions)) {
        const key = `${row.sku}|${location}`;
        const list = byKey.get(key);
        if (list) list.push([version, commit.committedAtMs]);
        else byKey.set(key, [[version, commit.committedAtMs]]);
      }
    }
  };

  /** Channel names that have written at least once. */
  channels(): string[] {
    return [...this.writes.keys()];
  }

  /**
   * When the canonical event `sku|location|version` reached the channel's database (ms since
   * epoch), or undefined if no write of that channel reflects it (yet).
   */
  committedAt(channel: string, eventKey: string): number | undefined {
    const cut = eventKey.lastIndexOf('|');
    const version = Number(eventKey.slice(cut + 1));
    const list = this.writes.get(channel)?.get(eventKey.slice(0, cut));
    if (!list) return undefined;
    let earliest: number | undefined;
    for (const [v, at] of list) if (v >= version && (earliest === undefined || at < earliest)) earliest = at;
    return earliest;
  }
}

/** A committed source transaction and the canonical events it caused (`sku|location|version`). */
export interface SourceTransaction {
  source: 'pos' | 'warehouse';
  /** Wall time when the source COMMIT returned, ms since epoch. */
  committedAtMs: number;
  events: Iterable<string>;
}

/**
 * Source-commit -> channel-commit samples (ms) per channel, overall and per source: for each
 * transaction, the time until the last of its events that reached the channel got there.
 * Transactions none of whose events changed the channel's quantity give no sample for it.
 */
export function channelLatencySamples(
  recorder: ChannelLatencyRecorder,
  transactions: Iterable<SourceTransaction>,
  channels: string[] = recorder.channels(),
): Record<string, Record<'all' | 'pos' | 'warehouse', number[]>> {
  const out: Record<string, Record<'all' | 'pos' | 'warehouse', number[]>> = {};
  for (const channel of channels) out[channel] = { all: [], pos: [], warehouse: [] };
  for (const tx of transactions) {
    const events = [...tx.events];
    for (const channel of channels) {
      let reached: number | undefined;
      for (const event of events) {
        const at = recorder.committedAt(channel, event);
        if (at !== undefined && (reached === undefined || at > reached)) reached = at;
      }
      if (reached === undefined) continue;
      out[channel]!.all.push(reached - tx.committedAtMs);
      out[channel]![tx.source].push(reached - tx.committedAtMs);
    }
  }
  return out;
}
