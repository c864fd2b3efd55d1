/**
 * describeConnectionError: a driver's bare connection error becomes one that names the component,
 * its endpoint and what to check; a query's own error passes unchanged. Pure unit test on error
 * objects shaped as pg, mysql2 and Node raise them.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionError, describeConnectionError, isFailureToReach } from '../../src/postgres/connection-errors.ts';

const canonical = { kind: 'postgres' as const, host: '127.0.0.1', port: 5432, user: 'postgres', database: 'stocksync', name: 'canonical' };
const socketError = (code: string, port = 5432) => Object.assign(new Error(`connect ${code} 127.0.0.1:${port}`), { code, address: '127.0.0.1', port });

describe('describeConnectionError', () => {
  it('a refused connection names the component, the endpoint and the variables to check', () => {
    const error = describeConnectionError('canonical store', canonical, socketError('ECONNREFUSED'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe(
      'canonical store (PostgreSQL postgres@127.0.0.1:5432/stocksync): cannot connect: connect ECONNREFUSED 127.0.0.1:5432; nothing accepts connections at 127.0.0.1:5432: is the server running (npx stocksync stack status for the local stack), and are host and port right (STOCKSYNC_CANONICAL_HOST, STOCKSYNC_CANONICAL_PORT)?',
    );
    expect((error as ConnectionError).cause).toBeInstanceOf(Error);
  });

  it('says what to check for a refused login, a missing database, a MariaDB endpoint', () => {
    expect(
      describeConnectionError('canonical store', canonical, Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' }))
        .message,
    ).toMatch(/check the user and password \(STOCKSYNC_CANONICAL_USER, STOCKSYNC_CANONICAL_PASSWORD\)$/);
    expect(
      describeConnectionError('canonical store', canonical, Object.assign(new Error('database "stocksync" does not exist'), { code: '3D000' })).message,
    ).toMatch(/the database stocksync does not exist on that server/);
    const webshop = { kind: 'mysql' as const, host: '127.0.0.1', port: 3306, user: 'root', database: 'channel_webshop', name: 'webshop' };
    expect(describeConnectionError('channel webshop database', webshop, socketError('ECONNREFUSED', 3306)).message).toMatch(
      /^channel webshop database \(MariaDB root@127\.0\.0\.1:3306\/channel_webshop\)/,
    );
  });

  it("leaves a query's own error, and an already described one, as they are", () => {
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(describeConnectionError('canonical store', canonical, syntax)).toBe(syntax);
    const described = describeConnectionError('canonical store', canonical, socketError('ECONNREFUSED'));
    expect(describeConnectionError('other', canonical, described)).toBe(described);
  });

  it('tells which endpoint a socket error is about', () => {
    expect(isFailureToReach(socketError('ECONNREFUSED'), canonical)).toBe(true);
    expect(isFailureToReach(socketError('ECONNREFUSED', 6379), canonical)).toBe(false);
    expect(
      isFailureToReach(Object.assign(new Error('getaddrinfo ENOTFOUND db.example'), { code: 'ENOTFOUND', hostname: 'db.example' }), {
        host: 'db.example',
        port: 5432,
      }),
    ).toBe(true);
  });
});
