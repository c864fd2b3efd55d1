/**
 * The one way the product runs a hand-written PostgreSQL transaction (node-postgres): BEGIN, the
 * caller's statements, COMMIT — or ROLLBACK when any of them throws.
 */
import pg from 'pg';

/**
 * Runs `fn` in a transaction on `db` and returns what it returns once COMMIT succeeded.
 *
 * - Given a pool, it checks out a client for the transaction and releases it afterwards.
 * - Given a client, it uses it as is and leaves it checked out (the caller may hold session-level
 *   state on it, e.g. advisory locks, or run statements outside the transaction).
 *
 * Retries are the caller's business (the merge retries deadlocks around this).
 * @throws what `fn` or BEGIN/COMMIT threw, after ROLLBACK (a failing ROLLBACK is ignored, so the
 *   original error is the one reported); the pool's connection error when no client is available.
 */
export async function withTransaction<T>(db: pg.Pool | pg.ClientBase, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (!(db instanceof pg.Pool)) return inTransaction(db, fn);
  const client = await db.connect();
  try {
    return await inTransaction(client, fn);
  } finally {
    client.release();
  }
}

async function inTransaction<T>(client: pg.ClientBase, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
