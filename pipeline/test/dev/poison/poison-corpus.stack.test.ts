/**
 * `stocksync poison --short --json` on the local stack, as a user runs it: a child process whose
 * last line of standard output is the report. Asserts the report's values: every kind produced,
 * every malformed record dead-lettered with the reason its variant expects (the dead letters per
 * reason add up to exactly the malformed records per expected reason), no usable or valid record
 * dead-lettered, no stall, no crash, both oracles without a mismatch — never timings.
 */
import { describe, expect, it } from 'vitest';
import { runStocksync } from '../../helpers/cli.ts';
import { DEAD_LETTER_REASONS } from '../../../src/dead-letter/reasons.ts';
import { POISON_KINDS, variantCatalogue } from '../../../dev/poison/kinds.ts';
import { SHORT_POISON } from '../../../dev/poison/poison.ts';
import type { PoisonReport } from '../../../dev/poison/report.ts';

describe('stocksync poison --short', () => {
  it('quarantines every malformed record with its reason; nothing stalls, crashes or drifts', { timeout: 600_000 }, async () => {
    const { code, stdout } = await runStocksync(['poison', '--short', '--json']);
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines[lines.length - 1]!) as PoisonReport;
    expect(stdout).toContain('poison PASS');

    // At least the asked-for records, of every kind.
    expect(report.records).toBeGreaterThanOrEqual(SHORT_POISON.records);
    for (const kind of POISON_KINDS) expect(report.producedByKind[kind], kind).toBeGreaterThan(0);
    expect(Object.values(report.producedByKind).reduce((a, b) => a + b, 0)).toBe(report.records);

    // Every variant the catalogue has ran (the shipped mappings allow them all), with its catalogued expectation.
    const catalogue = variantCatalogue();
    expect(report.variants.map((v) => `${v.kind}: ${v.variant}`).sort()).toEqual(catalogue.map((v) => `${v.kind}: ${v.variant}`).sort());
    for (const v of report.variants) {
      expect(v.expected, `${v.kind}: ${v.variant}`).toBe(catalogue.find((c) => c.kind === v.kind && c.variant === v.variant)!.expected);
      expect(v.produced, `${v.kind}: ${v.variant}`).toBeGreaterThan(0);
      expect({ variant: v.variant, missing: v.missing, unexpected: v.unexpected }).toEqual({ variant: v.variant, missing: 0, unexpected: 0 });
      // Each malformed record once, under its reason; a usable one never.
      expect(v.deadLettered, `${v.kind}: ${v.variant}`).toEqual(v.expected === 'usable' ? {} : { [v.expected]: v.produced });
    }

    // The dead-letter topic holds exactly the malformed records, by reason, and reasons of the table only.
    const expectedByReason: Record<string, number> = {};
    for (const v of report.variants) if (v.expected !== 'usable') expectedByReason[v.expected] = (expectedByReason[v.expected] ?? 0) + v.produced;
    expect(report.deadLettersByReason).toEqual(expectedByReason);
    for (const reason of Object.keys(report.deadLettersByReason)) expect(Object.keys(DEAD_LETTER_REASONS)).toContain(reason);
    expect(report.deadLettersByReason['internal-error']).toBeUndefined();
    expect(report.notDeadLettered).toBe(0);
    expect(report.unexpectedDeadLetters).toBe(0);
    expect(report.validDeadLettered).toBe(0);

    // Valid traffic flowed and arrived; nothing stalled or crashed.
    expect(report.validOperations).toBeGreaterThan(0);
    expect(report.stalledPartitions).toEqual([]);
    expect(report.crashes).toEqual([]);
    expect(report.quiescenceMs).toEqual(expect.any(Number));
    expect(report.oracle.canonicalMismatches).toBe(0);
    expect(report.oracle.channelMismatches).toBe(0);
    expect(report.oracle.canonicalRows).toBeGreaterThan(0);

    expect(report.passed).toBe(true);
    expect(code).toBe(0);
  });
});
