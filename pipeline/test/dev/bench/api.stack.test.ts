/**
 * `stocksync bench api --short` end to end, as a user runs it: a child process that starts the
 * pipeline, the channels and `stocksync api` (keys from STOCKSYNC_API_KEYS) as processes of their
 * own, loads the API with autocannon and connects SSE clients during a load-generator run. Asserts
 * the shape of the part and that every request and client succeeded, not how fast anything was.
 */
import { describe, expect, it } from 'vitest';
import { runStocksync } from '../../helpers/cli.ts';
import type { BenchReport } from '../../../dev/bench/bench.ts';

describe('bench api --short', () => {
  it('reports cached GET, batch and commit → SSE figures with every request answered', { timeout: 1_500_000 }, async () => {
    const { code, stdout, stderr } = await runStocksync(['bench', 'api', '--short', '--json']);
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as BenchReport;
    const part = report.parts[0]!;
    expect(
      part.notes.filter((n) => /failed|refused|fewer than/.test(n)),
      stderr.slice(-2000),
    ).toEqual([]);
    expect(part.passed).toBe(true);
    expect(code).toBe(0);
    expect(part.part).toBe('api');
    expect(part.rows.map((r) => r.label)).toEqual([
      'cached GET',
      'batch 1000',
      'commit → channel write',
      'commit → Redis stream',
      'commit → SSE first client',
      'commit → SSE all clients',
    ]);
    for (const row of part.rows.slice(0, 2)) {
      expect(row.figures.requests, row.label).toBeGreaterThan(0);
      expect(row.figures.non_2xx, row.label).toBe(0);
      expect(row.figures.errors, row.label).toBe(0);
      expect(row.figures.p99_ms as number, row.label).toBeGreaterThanOrEqual(row.figures.p50_ms as number);
    }
    for (const row of part.rows.slice(2)) {
      expect(row.figures.sse_clients, row.label).toBe(100);
      expect(row.figures.stream_entries, row.label).toBeGreaterThan(0);
      expect(row.figures.samples, row.label).toBeGreaterThan(0);
      expect(row.figures.p99_ms as number, row.label).toBeGreaterThanOrEqual(row.figures.p50_ms as number);
    }
    // The last client cannot have an entry before the first one did.
    expect(part.rows[5]!.figures.p50_ms as number).toBeGreaterThanOrEqual(part.rows[4]!.figures.p50_ms as number);
  });
});
