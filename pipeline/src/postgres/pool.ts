/**
 * A node-postgres pool for a long-running process, which must outlive restarts of its server.
 *
 * node-postgres emits an `error` event on a client whose connection fails: the pool listens on
 * idle clients (and re-emits on the pool), but nobody listens on a checked-out one, and an
 * `error` event without a listener terminates the process ("Unhandled 'error' event ...
 * terminating connection due to unexpected postmaster exit"). Here every client gets a listener
 * for its whole life, and so does the pool. The request in flight fails with the error (the
 * caller retries it); on release the pool drops a client whose connection died (node-postgres
 * marks it not queryable), and the next checkout connects afresh.
 */
import pg from 'pg';

/**
 * Creates a pool whose connection failures are reported to `onError` (the same failure may be
 * reported once by the client and once by the pool) instead of terminating the process.
 */
export function createResilientPool(config: pg.PoolConfig, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', (error) => onError(error));
  pool.on('connect', (client) => {
    client.on('error', (error) => onError(error));
  });
  return pool;
}
