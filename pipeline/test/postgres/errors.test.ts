/**
 * Issue 16: which failed database requests are retried as they are and which are isolated, by
 * SQLSTATE class (PostgreSQL Appendix A; MariaDB's sqlState). The errors are built with the fields
 * node-postgres and mysql2 give them (the stack tests meet the real ones). Pure unit test.
 */
import { describe, expect, it } from 'vitest';
import { describeStoreError, sqlState, storeErrorKind } from '../../src/postgres/errors.ts';

/** A node-postgres server error: severity, SQLSTATE in `code`. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { severity: 'ERROR', code });
/** A mysql2 server error: `code` is the symbol, `errno` the number, `sqlState` the SQLSTATE. */
const mysqlError = (code: string, errno: number, state: string, message: string) =>
  Object.assign(new Error(message), { code, errno, sqlState: state, fatal: false });
/** A Node.js socket error. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe('storeErrorKind', () => {
  it('retries connection failures, rollbacks, lack of resources and shutdowns', () => {
    for (const error of [
      pgError('08006', 'connection failure'),
      pgError('40P01', 'deadlock detected'),
      pgError('40001', 'could not serialize access'),
      pgError('53300', 'sorry, too many clients already'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('42P01', 'relation "stock_level" does not exist'),
      socketError('ECONNREFUSED'),
      socketError('EPIPE'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      mysqlError('ER_LOCK_DEADLOCK', 1213, '40001', 'Deadlock found when trying to get lock'),
      mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205, 'HY000', 'Lock wait timeout exceeded'),
    ]) {
      expect(storeErrorKind(error), error.message).toBe('transient');
    }
  });

  it('isolates data exceptions, integrity violations and program limits', () => {
    for (const error of [
      pgError('54000', 'index row requires 100032 bytes, maximum size is 8191'),
      pgError('22001', 'value too long for type character varying(191)'),
      pgError('22P02', 'invalid input syntax for type numeric'),
      pgError('23505', 'duplicate key value violates unique constraint'),
      mysqlError('ER_DATA_TOO_LONG', 1406, '22001', "Data too long for column 'sku' at row 1"),
      mysqlError('ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 1366, 'HY000', "Incorrect string value: '\\xF0\\x9F' for column 'sku'"),
      new TypeError("Cannot read properties of undefined (reading 'text')"),
    ]) {
      expect(storeErrorKind(error), error.message).toBe('rejected');
    }
  });

  it('reads the SQLSTATE of either library, never a socket error code', () => {
    expect(sqlState(pgError('54000', 'x'))).toBe('54000');
    expect(sqlState(mysqlError('ER_DATA_TOO_LONG', 1406, '22001', 'x'))).toBe('22001');
    expect(sqlState(socketError('EPIPE'))).toBeNull();
    expect(describeStoreError(mysqlError('ER_DATA_TOO_LONG', 1406, '22001', "Data too long for column 'sku' at row 1"))).toBe(
      "SQLSTATE 22001 ER_DATA_TOO_LONG: Data too long for column 'sku' at row 1",
    );
  });
});
