import { expect } from 'vitest';
import type { CommittedOperation } from '../../../dev/sample/shared/workload.ts';

/**
 * Asserts the pacer's properties, which hold whatever the machine's speed: lane j of n schedules
 * its operation i at start + (i + j / n) × 1000 / (rate × share) ms and starts none before its time,
 * so the run never gets ahead of `rate`. (How far behind a loaded machine falls is not asserted.)
 *
 * @param lanes - the lanes in the order they were given, with their share of the rate.
 */
export function expectPaced(
  result: { startedAtMs: number; committed: number; operations: readonly CommittedOperation[] },
  rate: number,
  lanes: ReadonlyArray<{ source: string; share: number }>,
): void {
  expect(result.operations).toHaveLength(result.committed);
  lanes.forEach(({ source, share }, j) => {
    const intervalMs = 1000 / (rate * share);
    result.operations
      .filter((op) => op.source === source)
      .forEach((op, i) => {
        expect(op.scheduledAtMs).toBeCloseTo(result.startedAtMs + (i + j / lanes.length) * intervalMs, 3);
        expect(op.startedAtMs).toBeGreaterThanOrEqual(op.scheduledAtMs);
      });
  });
  // Hence at most rate × elapsed operations, plus one per lane for its first, scheduled at the start.
  const lastStartMs = Math.max(result.startedAtMs, ...result.operations.map((op) => op.startedAtMs));
  expect(result.committed).toBeLessThanOrEqual((rate * (lastStartMs - result.startedAtMs)) / 1000 + lanes.length);
}
