/** The bench's "oracle" row: the canonical table compared with the SQL oracle over the sources. */
import type { StackEndpoints } from '../../src/config/endpoints.ts';
import { checkAgainstOracle } from '../demo/oracle-check.ts';
import type { BenchRow } from './report.ts';

/**
 * Runs the oracle and returns its row (expected rows, canonical rows, mismatches) and, when any
 * row differs, a note naming the first three mismatches; `passed` is false then.
 */
export async function oracleRow(endpoints: StackEndpoints): Promise<{ row: BenchRow; passed: boolean; note?: string }> {
  const oracle = await checkAgainstOracle(endpoints);
  const row = {
    label: 'oracle',
    figures: { 'expected rows': oracle.expectedRows, 'canonical rows': oracle.canonicalRows, mismatches: oracle.mismatches.length },
  };
  if (oracle.mismatches.length === 0) return { row, passed: true };
  const examples = oracle.mismatches
    .slice(0, 3)
    .map((m) => JSON.stringify(m))
    .join('; ');
  return { row, passed: false, note: `oracle: ${oracle.mismatches.length} mismatches, e.g. ${examples}` };
}
