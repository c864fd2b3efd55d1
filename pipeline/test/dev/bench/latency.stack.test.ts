/**
 * `stocksync bench latency --short` end to end, as CI runs it: a child process that starts the
 * pipeline, the channels and the load generator as processes of their own. Asserts the shape of
 * the part and that it passed (the oracles held), not how fast anything was.
 */
import { describe, expect, it } from 'vitest';
import { runStocksync } from '../../helpers/cli.ts';
import type { BenchReport } from '../../../dev/bench/bench.ts';

describe('bench latency --short', () => {
  it('steps through 200 and 500 changes/s and reports every stage per rate, the oracles holding', { timeout: 1_500_000 }, async () => {
    const { code, stdout, stderr } = await runStocksync(['bench', 'latency', '--short', '--json']);
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as BenchReport;
    expect(report.parts).toHaveLength(1);
    const part = report.parts[0]!;
    expect(
      part.notes.filter((n) => /mismatch|not found|no operation/.test(n) && !/\(0 mismatches\)/.test(n)),
      stderr.slice(-2000),
    ).toEqual([]);
    expect(part.passed).toBe(true);
    expect(code).toBe(0);
    expect(part.part).toBe('latency');
    expect(part.machine.cores).toBeGreaterThan(0);
    expect(part.machine.loadAverage.start).toHaveLength(3);
    expect(part.machine.loadAverage.end).toHaveLength(3);
    expect(part.rows.map((r) => r.label)).toEqual(['200/s', '500/s']);
    for (const row of part.rows) {
      const f = row.figures;
      expect(f.target_changes_per_s).toBe(Number(row.label.slice(0, -2)));
      expect(f.operations).toBeGreaterThan(0);
      expect(f.achieved_changes_per_s).toBeGreaterThan(0);
      expect(f.uncaptured).toBe(0);
      for (const stage of ['kafka', 'canonical', 'redis', 'webshop', 'marketplace']) {
        expect(f[`${stage}_n`], stage).toBeGreaterThan(0);
        const [p50, p95, p99, max] = ['p50', 'p95', 'p99', 'max'].map((p) => f[`${stage}_${p}_ms`] as number) as [number, number, number, number];
        expect(p50, stage).toBeGreaterThanOrEqual(0);
        expect([p50 <= (p95 as number), (p95 as number) <= (p99 as number), (p99 as number) <= (max as number)], stage).toEqual([true, true, true]);
      }
      expect(['yes', 'no']).toContain(f.lag_grows);
      expect(typeof f.pipeline_lag_end).toBe('number');
      expect(f.cpu_pipeline).toBeTypeOf('number');
      expect(f.cpu_channels).toBeTypeOf('number');
      expect(f.cpu_load_generator ?? f['cpu_load-generator']).toBeTypeOf('number');
    }
    expect(part.notes.some((n) => n.startsWith('source changes per operation kind'))).toBe(true);
  });
});
