/**
 * Lanes that run again an operation a lock conflict rolled back. Parts keep concurrent lanes off
 * each other's rows, but not off shared rows such as ERPNext's naming series or InnoDB gap locks,
 * so a deadlock can still pick one of our transactions as its victim. Every sample operation rolls
 * its transaction back on an error, so running it again is safe.
 */
import type { LaneRunner, WorkloadLane } from '../sample/shared/workload.ts';

/** MariaDB: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT; PostgreSQL: deadlock_detected, serialization_failure. */
const MARIADB_CONFLICTS = new Set([1213, 1205]);
const POSTGRES_CONFLICTS = new Set(['40P01', '40001']);

/** Attempts per operation before the conflict is thrown. */
const ATTEMPTS = 5;

/** True for an error a lock conflict raised (the transaction was rolled back). */
export function isLockConflict(error: unknown): boolean {
  const e = error as { errno?: unknown; code?: unknown };
  return (typeof e.errno === 'number' && MARIADB_CONFLICTS.has(e.errno)) || (typeof e.code === 'string' && POSTGRES_CONFLICTS.has(e.code));
}

/** `lane`, whose runner runs an operation up to 5 times while lock conflicts roll it back; `onRetry` counts them. */
export function retryingLockConflicts<K extends string, D extends object>(lane: WorkloadLane<K, D>, onRetry: () => void = () => undefined): WorkloadLane<K, D> {
  return {
    ...lane,
    async start(sample, rng) {
      const runner: LaneRunner<K, D> = await lane.start(sample, rng);
      return {
        async run(kind) {
          for (let attempt = 1; ; attempt++) {
            try {
              return await runner.run(kind);
            } catch (error) {
              if (attempt >= ATTEMPTS || !isLockConflict(error)) throw error;
              onRetry();
            }
          }
        },
      };
    },
  };
}
