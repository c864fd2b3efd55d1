import { describe, expect, it } from 'vitest';
import { isLockConflict, retryingLockConflicts } from '../../../dev/load/conflict-retry.ts';
import type { WorkloadLane } from '../../../dev/sample/shared/workload.ts';
import { Rng } from '../../../dev/sample/shared/prng.ts';
import { resolveSampleOptions } from '../../../dev/sample/shared/model.ts';

/** A lane whose operations fail with `errors` in turn, then commit. */
function failingLane(errors: unknown[]): WorkloadLane<'x.op'> & { attempts: number } {
  const lane = {
    source: 'pos' as const,
    kinds: ['x.op'] as const,
    defaultMix: { 'x.op': 1 },
    attempts: 0,
    async start() {
      return {
        async run() {
          lane.attempts++;
          const error = errors.shift();
          if (error) throw error;
          return { kind: 'x.op' as const, stamp: { committedAtMs: 1, committedAtHr: 1n, txId: 'g' }, touched: [], detail: {} };
        },
      };
    },
  };
  return lane;
}

describe('retryingLockConflicts', () => {
  const sample = resolveSampleOptions({ seed: 1 });

  it('knows MariaDB and PostgreSQL lock conflicts', () => {
    expect(isLockConflict({ errno: 1213 })).toBe(true);
    expect(isLockConflict({ code: '40P01' })).toBe(true);
    expect(isLockConflict({ errno: 1062 })).toBe(false);
    expect(isLockConflict(new Error('boom'))).toBe(false);
  });

  it('runs an operation again after a deadlock, and throws anything else at once', async () => {
    const lane = failingLane([{ errno: 1213 }, { code: '40001' }]);
    let retries = 0;
    const runner = await retryingLockConflicts(lane, () => retries++).start(sample, new Rng(1));
    await expect(runner.run('x.op')).resolves.toMatchObject({ kind: 'x.op' });
    expect([lane.attempts, retries]).toEqual([3, 2]);

    const other = failingLane([{ errno: 1062, message: 'duplicate' }]);
    await expect((await retryingLockConflicts(other).start(sample, new Rng(1))).run('x.op')).rejects.toMatchObject({ errno: 1062 });
    expect(other.attempts).toBe(1);
  });

  it('gives up after 5 attempts', async () => {
    const lane = failingLane(Array.from({ length: 9 }, () => ({ errno: 1205 })));
    await expect((await retryingLockConflicts(lane).start(sample, new Rng(1))).run('x.op')).rejects.toMatchObject({ errno: 1205 });
    expect(lane.attempts).toBe(5);
  });
});
