/**
 * Issue 16 item 1: `stocksync chaos --short --json` as a child process on the real stack — a
 * pipeline instance, Kafka and the canonical store each killed with SIGKILL under load and
 * restarted as a supervisor would. Every row must have recovered with 0 mismatches, nothing
 * applied twice, no dead letter, and the command must exit 0.
 */
import { describe, expect, it } from 'vitest';
import { runStocksync } from '../../helpers/cli.ts';
import type { ChaosReport } from '../../../dev/chaos/report.ts';

describe('stocksync chaos --short', () => {
  it('kills a pipeline instance, Kafka and the canonical store under load: each recovers with no mismatch, duplicate or dead letter', {
    timeout: 900_000,
  }, async () => {
    const { code, stdout, stderr } = await runStocksync(['chaos', '--short', '--json']);
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last.startsWith('{'), `no JSON report; stderr ends:\n${stderr.slice(-4000)}`).toBe(true);
    const report = JSON.parse(last) as ChaosReport;
    const rows = report.rows.map((r) => ({
      fault: r.fault,
      recovered: r.recoveryS !== null,
      canonicalMismatches: r.canonicalMismatches,
      channelMismatches: r.channelMismatches,
      duplicates: r.duplicates,
      deadLetters: r.deadLetters,
      passed: r.passed,
    }));
    const clean = { recovered: true, canonicalMismatches: 0, channelMismatches: 0, duplicates: 0, deadLetters: 0, passed: true };
    expect(rows, `rows: ${JSON.stringify(report.rows)}`).toEqual([
      { fault: 'pipeline-instance', ...clean },
      { fault: 'kafka', ...clean },
      { fault: 'canonical-postgres', ...clean },
    ]);
    // The load ran during every fault, and each restart finished before recovery.
    for (const r of report.rows) {
      expect(r.changesPerS, r.fault).toBeGreaterThan(0);
      expect(r.restartS, r.fault).not.toBeNull();
      expect(r.recoveryS, r.fault).toBeGreaterThanOrEqual(r.restartS ?? Number.POSITIVE_INFINITY);
    }
    expect(report.passed).toBe(true);
    expect(stdout).toContain('chaos PASS');
    expect(code).toBe(0);
  });
});
