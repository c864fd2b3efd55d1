import { describe, expect, it } from 'vitest';
import { ChannelLatencyRecorder, channelLatencySamples } from '../../src/channels/latency.ts';

describe('channel latency samples', () => {
  it('match a canonical event to the first channel write computed from that version or a later one', () => {
    const recorder = new ChannelLatencyRecorder();
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 1_000, rows: [{ sku: 'A', quantity: 5, version: 3, canonicalVersions: { 'STORE-01': 2, 'WH1/Stock': 1 }, previous: null }] });
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 1_500, rows: [{ sku: 'A', quantity: 4, version: 5, canonicalVersions: { 'STORE-01': 4, 'WH1/Stock': 1 }, previous: 5 }] });
    recorder.onCommitted({ channel: 'marketplace', committedAtMs: 1_200, rows: [{ sku: 'A', quantity: 1, version: 1, canonicalVersions: { 'WH1/Stock': 1 }, previous: null }] });
    expect(recorder.committedAt('webshop', 'A|STORE-01|2')).toBe(1_000);
    expect(recorder.committedAt('webshop', 'A|STORE-01|3')).toBe(1_500); // version 3 never written alone: reached with 4
    expect(recorder.committedAt('webshop', 'A|STORE-01|5')).toBeUndefined();
    expect(recorder.committedAt('marketplace', 'A|STORE-01|2')).toBeUndefined();

    const samples = channelLatencySamples(recorder, [
      { source: 'pos', committedAtMs: 900, events: ['A|STORE-01|2'] },
      { source: 'pos', committedAtMs: 1_400, events: ['A|STORE-01|4'] },
      { source: 'warehouse', committedAtMs: 800, events: ['A|WH1/Stock|1'] },
      { source: 'pos', committedAtMs: 1_600, events: ['A|STORE-01|5'] },
    ]);
    expect(samples).toEqual({
      webshop: { all: [100, 100, 200], pos: [100, 100], warehouse: [200] },
      marketplace: { all: [400], pos: [], warehouse: [400] },
    });
  });
});
