/**
 * Counts the merge's database round trips without touching the merge: the pool handed to
 * `mergeBatch` is wrapped so that every client it checks out counts each `query` call in
 * `stocksync_merge_statements_total`. The bench reads that counter (round trips per 1,000 records
 * and per batch); the publisher and the parked sweep use the unwrapped pool and are not counted.
 */
import type pg from 'pg';
import { mergeStatements } from './metrics.ts';

/** A view of `pool` whose checked-out clients count their queries; everything else is the pool's own. */
export function countingStatements(pool: pg.Pool): pg.Pool {
  const countQueries = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(target, property) {
        if (property === 'query') {
          return (...args: Parameters<pg.PoolClient['query']>) => {
            mergeStatements.inc();
            return (target.query as (...a: unknown[]) => unknown)(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return new Proxy(pool, {
    get(target, property) {
      // Only the promise form of connect() is used by the merge.
      if (property === 'connect') return async () => countQueries(await target.connect());
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
