/** The bench's pure pieces: part selection, the table printer, Prometheus sums and CPU profile self time. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTS, selectParts } from '../../../dev/bench/bench.ts';
import { formatPart, quotient, type BenchPart } from '../../../dev/bench/report.ts';
import { sumSamples } from '../../../dev/bench/pipeline-process.ts';
import { selfTimes, type CpuProfile } from '../../../dev/bench/profile.ts';

describe('selectParts', () => {
  it('runs every part when none is named, and named parts in their fixed order', () => {
    expect(selectParts([])).toEqual(DEFAULT_PARTS);
    expect(DEFAULT_PARTS).toEqual(['throughput', 'latency', 'snapshot', 'api']);
    expect(selectParts(['snapshot', 'latency', 'throughput', 'snapshot'])).toEqual(['throughput', 'latency', 'snapshot']);
  });

  it('names the known parts when one is unknown', () => {
    expect(() => selectParts(['speed'])).toThrow('unknown bench part "speed" (parts: throughput, latency, snapshot, api)');
  });
});

describe('formatPart', () => {
  it('prints figures down the side and rows across, - where a row has no such figure', () => {
    const part: BenchPart = {
      part: 'throughput',
      machine: { cores: 2, loadAverage: { start: [1, 2, 3], end: [1.5, 2, 3] } },
      rows: [
        { label: 'stocksync', figures: { 'records/s': 1200, 'peak RSS MB': 210 } },
        { label: 'JDBC sink', figures: { 'records/s': 3400, note: null } },
      ],
      ratios: { 'stocksync/JDBC sink records/s': 0.35 },
      passed: false,
      notes: ['oracle: 1 mismatches'],
    };
    expect(formatPart(part).split('\n')).toEqual([
      'bench throughput — FAIL',
      '               stocksync  JDBC sink',
      '  records/s         1200       3400',
      '  peak RSS MB        210          -',
      '  note                 -          -',
      '  ratio stocksync/JDBC sink records/s: 0.35',
      '  machine: 2 cores, load average 1 2 3 at start, 1.5 2 3 at end',
      '  note: oracle: 1 mismatches',
    ]);
  });

  it('quotient is null without a denominator', () => {
    expect(quotient(10, 0)).toBeNull();
    expect(quotient(null, 3)).toBeNull();
    expect(quotient(10, 3, 2)).toBe(3.33);
  });
});

describe('sumSamples', () => {
  it('adds the samples of a metric over its labels and skips comments', () => {
    const text = [
      '# HELP stocksync_records_total Kafka records consumed',
      '# TYPE stocksync_records_total counter',
      'stocksync_records_total{topic="a",kind="change"} 10',
      'stocksync_records_total{topic="b",kind="change"} 5',
      'stocksync_merge_statements_total 42',
    ].join('\n');
    expect(sumSamples(text)).toEqual({ stocksync_records_total: 15, stocksync_merge_statements_total: 42 });
  });
});

describe('selfTimes', () => {
  it('charges each sample the time to the next one and adds up nodes of the same function', () => {
    const frame = (functionName: string, line: number) => ({ functionName, url: 'file:///p/src/merge.ts', lineNumber: line, columnNumber: 4 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: frame('mergeBatch', 9) },
        { id: 3, callFrame: frame('mergeBatch', 9) },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 3, 4, 2],
      timeDeltas: [0, 3000, 4000, 1000],
    };
    expect(selfTimes(profile, '/p')).toEqual([
      { function: 'mergeBatch (src/merge.ts:10:5)', selfMs: 7, percent: 87.5 },
      { function: '(garbage collector)', selfMs: 1, percent: 12.5 },
    ]);
  });
});
