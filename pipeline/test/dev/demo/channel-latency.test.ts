import { describe, expect, it } from 'vitest';
import { ChannelLatencyRecorder, channelLatencySamples } from '../../../dev/demo/channel-latency.ts';

describe('channel latency samples', () => {
  it('match a canonical event to the first recomputation covering that version, if it wrote', () => {
    const recorder = new ChannelLatencyRecorder();
    const row = (quantity: number, store: number, wh: number) => ({
      sku: 'A',
      quantity,
      version: store + wh,
      canonicalVersions: { 'STORE-01': store, 'WH1/Stock': wh },
    });
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 1_000, rows: [{ ...row(5, 2, 1), previous: null }], unchanged: [] });
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 1_500, rows: [{ ...row(4, 4, 1), previous: 5 }], unchanged: [] });
    // STORE-01 version 5 changed nothing the web shop shows; version 6 did, later.
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 1_700, rows: [], unchanged: [row(4, 5, 1)] });
    recorder.onCommitted({ channel: 'webshop', committedAtMs: 9_000, rows: [{ ...row(3, 6, 1), previous: 4 }], unchanged: [] });
    recorder.onCommitted({
      channel: 'marketplace',
      committedAtMs: 1_200,
      rows: [{ sku: 'A', quantity: 1, version: 1, canonicalVersions: { 'WH1/Stock': 1 }, previous: null }],
      unchanged: [],
    });
    expect(recorder.committedAt('webshop', 'A|STORE-01|2')).toBe(1_000);
    expect(recorder.committedAt('webshop', 'A|STORE-01|3')).toBe(1_500); // version 3 never computed alone: reached with 4
    expect(recorder.committedAt('webshop', 'A|STORE-01|5')).toBeUndefined(); // invisible to the channel
    expect(recorder.committedAt('webshop', 'A|STORE-01|6')).toBe(9_000);
    expect(recorder.committedAt('webshop', 'A|STORE-01|7')).toBeUndefined();
    expect(recorder.committedAt('marketplace', 'A|STORE-01|2')).toBeUndefined();
    expect(recorder.rowsWritten).toBe(4);

    const samples = channelLatencySamples(recorder, [
      { source: 'pos', committedAtMs: 900, events: ['A|STORE-01|2'] },
      { source: 'pos', committedAtMs: 1_400, events: ['A|STORE-01|4'] },
      { source: 'warehouse', committedAtMs: 800, events: ['A|WH1/Stock|1'] },
      { source: 'pos', committedAtMs: 1_600, events: ['A|STORE-01|5'] },
    ]);
    expect(samples).toEqual({
      webshop: { all: [100, 100, 200], pos: [100, 100], warehouse: [200], erpnext: [] },
      marketplace: { all: [400], pos: [], warehouse: [400], erpnext: [] },
    });
  });
});
