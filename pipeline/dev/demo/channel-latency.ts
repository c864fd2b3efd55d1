/**
 * Source-commit -> channel-commit latency, for the demo. Each {@link ChannelCommit} carries, per
 * SKU it recomputed, the canonical version of every (sku, location) the result was computed from,
 * and whether it was written. A canonical event `sku|location|version` (the key the demo's
 * LatencyTracker uses) reached a channel at the first recomputation that covered that location at
 * that version or a later one — if that recomputation wrote the row; if it found the channel
 * already showing the quantity (the change was invisible to the channel: a location the channel
 * does not sell, a quantity clamped at 0 or at the cap, ...), there is no sample for that event.
 */
import type { ChannelCommit } from '../../src/channels/index.ts';
import type { SampleSourceName } from './oracle-check.ts';

export class ChannelLatencyRecorder {
  /** channel -> `sku|location` -> [canonical version, ms, written] in arrival order. */
  private readonly writes = new Map<string, Map<string, Array<[number, number, boolean]>>>();
  rowsWritten = 0;

  /** Pass as `hooks.onCommitted` of startChannels. */
  readonly onCommitted = (commit: ChannelCommit): void => {
    let byKey = this.writes.get(commit.channel);
    if (!byKey) this.writes.set(commit.channel, (byKey = new Map()));
    const add = (row: { sku: string; canonicalVersions: Record<string, number> }, written: boolean) => {
      for (const [location, version] of Object.entries(row.canonicalVersions)) {
        const key = `${row.sku}|${location}`;
        const list = byKey!.get(key);
        if (list) list.push([version, commit.committedAtMs, written]);
        else byKey!.set(key, [[version, commit.committedAtMs, written]]);
      }
    };
    for (const row of commit.rows) {
      this.rowsWritten++;
      add(row, true);
    }
    for (const row of commit.unchanged) add(row, false);
  };

  /** Channel names that have recomputed at least once. */
  channels(): string[] {
    return [...this.writes.keys()];
  }

  /**
   * When the canonical event `sku|location|version` reached the channel's database (ms since
   * epoch); undefined if the channel has not covered it yet, or covered it without a write.
   */
  committedAt(channel: string, eventKey: string): number | undefined {
    const cut = eventKey.lastIndexOf('|');
    const version = Number(eventKey.slice(cut + 1));
    const list = this.writes.get(channel)?.get(eventKey.slice(0, cut));
    if (!list) return undefined;
    let first: [number, number, boolean] | undefined;
    for (const entry of list) if (entry[0] >= version && (first === undefined || entry[1] < first[1])) first = entry;
    return first?.[2] ? first[1] : undefined;
  }
}

/** A committed source transaction and the canonical events it caused (`sku|location|version`). */
export interface SourceTransaction {
  source: SampleSourceName;
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
): Record<string, Record<'all' | SampleSourceName, number[]>> {
  const out: Record<string, Record<'all' | SampleSourceName, number[]>> = {};
  for (const channel of channels) out[channel] = { all: [], pos: [], warehouse: [], erpnext: [] };
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
