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
