/**
 * `stocksync bench throughput snapshot --short --json` on the local stack, as a user runs it: a
 * child process whose last line of standard output is the report. Asserts its shape and values
 * (both parts passed, the oracle agreed, every tool handled every record), never timings.
 */
import { describe, expect, it } from 'vitest';
import { runStocksync } from '../../helpers/cli.ts';
import type { BenchReport } from '../../../dev/bench/bench.ts';
import type { BenchPart } from '../../../dev/bench/report.ts';

const figures = (part: BenchPart, label: string) => {
  const row = part.rows.find((r) => r.label === label);
  expect(row, `${part.part} has a row "${label}"`).toBeDefined();
  return row!.figures;
};

const positive = expect.any(Number);

describe('stocksync bench --short', () => {
  it('runs throughput and snapshot, both pass, and prints the report as JSON on its last line', { timeout: 3_600_000 }, async () => {
    const { code, stdout } = await runStocksync(['bench', 'throughput', 'snapshot', '--short', '--json']);
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines[lines.length - 1]!) as BenchReport;
    // The tables come first, one per part.
    expect(stdout).toContain('bench throughput — PASS');
    expect(stdout).toContain('bench snapshot — PASS');

    expect(report.sizes).toEqual({ products: 2000, rows: 20_000, seed: 42 });
    expect(report.parts.map((p) => p.part)).toEqual(['throughput', 'snapshot']);
    for (const part of report.parts) {
      expect(part.passed, part.notes.join('\n')).toBe(true);
      expect(part.machine.cores).toBeGreaterThan(0);
      for (const load of [part.machine.loadAverage.start, part.machine.loadAverage.end]) {
        expect(load).toHaveLength(3);
        for (const n of load) expect(n).toBeGreaterThanOrEqual(0);
      }
    }
    expect(report.passed).toBe(true);
    expect(code).toBe(0);

    const throughput = report.parts[0]!;
    expect(throughput.rows.map((r) => r.label)).toEqual(['stocksync', 'oracle', 'JDBC sink', 'ceiling insert', 'ceiling update']);
    const ours = figures(throughput, 'stocksync');
    const sink = figures(throughput, 'JDBC sink');
    // Both read every record of the same topics; each snapshot record is one row of the sink's tables.
    expect(ours.records).toBeGreaterThan(0);
    expect(sink.records).toBe(ours.records);
    expect(sink['rows written']).toBe(sink.records);
    const oracle = figures(throughput, 'oracle');
    expect(oracle.mismatches).toBe(0);
    expect(oracle['canonical rows']).toBe(oracle['expected rows']);
    // A canonical row is written at least once (again when a later batch changes its sum); the ceiling upserts each exactly once per pass.
    expect(ours['rows written']).toBeGreaterThanOrEqual(oracle['canonical rows'] as number);
    expect(figures(throughput, 'ceiling insert')['rows written']).toBe(oracle['canonical rows']);
    expect(figures(throughput, 'ceiling update')['rows written']).toBe(oracle['canonical rows']);
    for (const name of ['records/s', 'rows/s', 'CPU s/10k rec, process', 'peak RSS MB', 'batches', 'round trips/1k rec', 'round trips/batch']) {
      expect(ours[name], name).toEqual(positive);
    }
    // A merge transaction is at least BEGIN, one statement and COMMIT.
    expect(ours['round trips/batch']).toBeGreaterThanOrEqual(3);
    expect(throughput.ratios).toEqual({ 'stocksync/JDBC sink records/s': positive, 'stocksync/ceiling canonical rows/s': positive });

    const snapshot = report.parts[1]!;
    expect(snapshot.rows.map((r) => r.label)).toEqual(['Debezium', 'stocksync', 'oracle']);
    const debezium = figures(snapshot, 'Debezium');
    const pipeline = figures(snapshot, 'stocksync');
    expect(pipeline.records).toBe(debezium.records);
    expect(pipeline['lag at Debezium done']).toBeGreaterThanOrEqual(0);
    expect(pipeline['lag at Debezium done']).toBeLessThanOrEqual(debezium.records as number);
    expect(pipeline['s from apply']).toBeGreaterThanOrEqual(debezium['s from apply'] as number);
    const snapshotOracle = figures(snapshot, 'oracle');
    expect(snapshotOracle.mismatches).toBe(0);
    // 20,000 warehouse rows over 10 locations × 5 quants: 4,000 warehouse canonical rows, plus the small POS and ERPNext samples.
    expect(snapshotOracle['canonical rows']).toBe(snapshotOracle['expected rows']);
    expect(snapshotOracle['canonical rows']).toBeGreaterThan(4000);
  });
});
