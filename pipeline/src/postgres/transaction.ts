/**
 * The one way the product runs a hand-written PostgreSQL transaction (node-postgres): BEGIN, the
 * caller's statements, COMMIT — or ROLLBACK when any of them throws.
 */
import pg from 'pg';

/** How a transaction starts. */
export interface TransactionOptions {
  /**
   * A statement without parameters sent in the same round trip as BEGIN (PostgreSQL's simple query
   * protocol runs several statements in one message), e.g. taking advisory locks. Only text the
   * product builds itself: never a value from configuration or data.
   */
  begin?: string | null;
}

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
export async function withTransaction<T>(db: pg.Pool | pg.ClientBase, fn: (client: pg.ClientBase) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  if (!(db instanceof pg.Pool)) return inTransaction(db, fn, options);
  const client = await db.connect();
  try {
    return await inTransaction(client, fn, options);
  } finally {
    client.release();
  }
}

async function inTransaction<T>(client: pg.ClientBase, fn: (client: pg.ClientBase) => Promise<T>, options: TransactionOptions): Promise<T> {
  try {
    await client.query(options.begin ? `BEGIN; ${options.begin}` : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
