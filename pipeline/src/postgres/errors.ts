/**
 * Whether a failed database request is worth retrying as it is, or was refused for what it
 * carried. Used by the merge (canonical PostgreSQL, node-postgres) and the channel stores
 * (MariaDB through mysql2, PostgreSQL through node-postgres): both report SQLSTATEs (PostgreSQL
 * Appendix A "Error Codes"; MariaDB's `sqlState`), whose first two characters are the class.
 *
 * - `transient`: the request may succeed later unchanged — the connection failed or the server is
 *   going down or starting (class 08; socket errors; a client whose connection died; pool and
 *   request timeouts), a transaction rollback (40: deadlock, serialization failure), insufficient
 *   resources (53), operator intervention (57P01–57P03 admin/crash shutdown, cannot connect now;
 *   57014 a cancelled or timed-out statement). So is a database error of any other class not
 *   listed below (42 undefined object, XX internal, 58 system error, ...): that is a fault of the
 *   store or of stocksync that every request meets, not one of the request's rows — retried
 *   (and reported), never dead-lettered.
 * - `rejected`: the request carried something the store refuses for good — a data exception (22,
 *   e.g. a value too long for its column), an integrity violation (23), a program limit exceeded
 *   (54, e.g. `index row requires 100032 bytes, maximum size is 8191`), MariaDB's warnings turned
 *   errors (01, strict mode) and its data errors reported without a class (HY000: incorrect value,
 *   incorrect date); or an error that is not from the database at all (a defect tripped by a
 *   value). The caller isolates the rows that cause it.
 */

/** What a failed database request calls for: retry it as is, or isolate what it carried. */
export type StoreErrorKind = 'transient' | 'rejected';

/** SQLSTATE classes whose errors are about the request's data. */
const REJECTED_CLASSES = new Set(['01', '22', '23', '54']);

/** MariaDB errors reported with the general SQLSTATE HY000 that are about a value (errno). */
const MARIADB_DATA_ERRNOS = new Set([
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: incorrect string/integer value
  1292, // ER_TRUNCATED_WRONG_VALUE: incorrect date/time value
  1265, // WARN_DATA_TRUNCATED (strict mode)
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1406, // ER_DATA_TOO_LONG
  1048, // ER_BAD_NULL_ERROR
]);

/** Messages of client libraries for a connection that failed or could not be had. */
const CONNECTION_MESSAGES =
  /connection terminated|not queryable|timeout exceeded when trying to connect|query read timeout|connection lost|connection is closed|pool is closed|cannot use a pool after calling end|socket hang up|server has gone away|can't add new command when connection is in closed state/i;

/** The SQLSTATE of a database error (node-postgres `code`, mysql2 `sqlState`), or null. */
export function sqlState(error: unknown): string | null {
  const e = error as { code?: unknown; sqlState?: unknown; severity?: unknown };
  if (typeof e?.sqlState === 'string' && /^[0-9A-Z]{5}$/.test(e.sqlState)) return e.sqlState;
  // node-postgres: a server error has a severity; a socket error's `code` (EPIPE) is not a SQLSTATE.
  if (typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return null;
}

/** Classifies a failed database request (see the module comment). */
export function storeErrorKind(error: unknown): StoreErrorKind {
  const e = error as { code?: unknown; errno?: unknown; fatal?: unknown; syscall?: unknown; message?: unknown };
  const state = sqlState(error);
  if (state) {
    const cls = state.slice(0, 2);
    if (REJECTED_CLASSES.has(cls)) return 'rejected';
    if (state === 'HY000' && typeof e.errno === 'number' && MARIADB_DATA_ERRNOS.has(e.errno)) return 'rejected';
    return 'transient';
  }
  // A connection-level failure: a socket error, mysql2's fatal errors and protocol timeouts.
  if (e?.syscall !== undefined || e?.fatal === true) return 'transient';
  if (typeof e?.code === 'string' && (/^E[A-Z]+$/.test(e.code) || e.code.startsWith('PROTOCOL_') || e.code.startsWith('ER_'))) return 'transient';
  if (typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return 'transient';
  return 'rejected';
}

/** A one-line description of a database error for logs and dead letters: SQLSTATE, code and message. */
export function describeStoreError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const state = sqlState(error);
  const code = typeof e?.code === 'string' && e.code !== state ? ` ${e.code}` : '';
  return `${state ? `SQLSTATE ${state}` : 'error'}${code}: ${typeof e?.message === 'string' ? e.message : String(error)}`;
}
