/**
 * Errors of a database connection that say who: which component (the canonical store, a channel
 * database, a source), where it was looked for, and what to check — instead of pg's bare
 * `connect ECONNREFUSED 127.0.0.1:1`. For pg and mysql2 alike (both raise Node's socket errors, with
 * `code`, `address` and `port`; PostgreSQL errors carry a SQLSTATE `code`).
 */
import { databaseVariables, type DatabaseEndpoint } from '../config/endpoints.ts';

/** Where a component's database is: its endpoint and, when it follows the convention, its name (`canonical`). */
export type DescribedEndpoint = Pick<DatabaseEndpoint, 'host' | 'port' | 'user' | 'database'> & {
  kind?: DatabaseEndpoint['kind'];
  /** The endpoint's name in the convention (`STOCKSYNC_<NAME>_*`, config/endpoints.ts), for the hint. */
  name?: string;
};

/** A connection failure that names the component and its endpoint; `cause` is the driver's error. */
export class ConnectionError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly component: string,
    readonly endpoint: DescribedEndpoint,
    error: unknown,
  ) {
    const { code, message } = (error ?? {}) as { code?: string; message?: string };
    const engine = endpoint.kind === 'mysql' ? 'MariaDB' : 'PostgreSQL';
    const where = `${engine} ${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
    super(`${component} (${where}): cannot connect: ${message ?? String(error)}; ${connectionHint(code, endpoint)}`, { cause: error });
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** What to check for a driver error `code` (Node socket errors, PostgreSQL SQLSTATEs, MariaDB codes). */
function connectionHint(code: string | undefined, endpoint: DescribedEndpoint): string {
  const vars = endpoint.name ? databaseVariables(endpoint.name) : undefined;
  const set = (...keys: Array<'host' | 'port' | 'user' | 'password' | 'database'>) => (vars ? ` (${keys.map((k) => vars[k]).join(', ')})` : '');
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${endpoint.host}:${endpoint.port}: is the server running (npx stocksync stack status for the local stack), and are host and port right${set('host', 'port')}?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host ${endpoint.host} does not resolve: check the host${set('host')}`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no answer from ${endpoint.host}:${endpoint.port}: check the host, port and firewall${set('host', 'port')}`;
    case '28P01':
    case '28000':
    case 'ER_ACCESS_DENIED_ERROR':
      return `the server refused the login: check the user and password${set('user', 'password')}`;
    case '3D000':
    case 'ER_BAD_DB_ERROR':
      return `the database ${endpoint.database} does not exist on that server: check the database name${set('database')}`;
    case '53300':
    case 'ER_CON_COUNT_ERROR':
      return 'the server has no connection slot left: close idle clients or raise its connection limit';
    default:
      return `check that the server is up and that the endpoint is right${set('host', 'port', 'user', 'password', 'database')}`;
  }
}

/**
 * `error` as a {@link ConnectionError} naming `component` and `endpoint`, or unchanged when it is
 * not a connection failure (a query's own error) or already one.
 * @example throw describeConnectionError('canonical store', { ...endpoints.canonical, name: 'canonical' }, error)
 */
export function describeConnectionError(component: string, endpoint: DescribedEndpoint, error: unknown): Error {
  if (error instanceof ConnectionError || !isConnectionFailure(error)) return error as Error;
  return new ConnectionError(component, endpoint, error);
}

/** Server answers that refuse the session: bad login, no such database, no connection slot (PostgreSQL SQLSTATE, MariaDB). */
const SESSION_REFUSED = new Set(['28P01', '28000', '3D000', '53300', 'ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_CON_COUNT_ERROR']);

/** Socket errors (Node's `E…` codes), and the server refusing the session. */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^E[A-Z]+$/.test(code) || SESSION_REFUSED.has(code);
  return /Connection terminated|timeout expired/i.test(String((error as Error | null)?.message));
}

/**
 * True when `error` is a socket-level failure to reach `endpoint` (Node's `address`/`port` match,
 * or the host does not resolve): tells which of several endpoints a bare driver error is about.
 */
export function isFailureToReach(error: unknown, endpoint: Pick<DatabaseEndpoint, 'host' | 'port'>): boolean {
  const e = error as { code?: unknown; address?: unknown; port?: unknown; hostname?: unknown } | null;
  if (typeof e?.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return false;
  if (e.port !== undefined)
    return Number(e.port) === endpoint.port && (e.address === endpoint.host || e.address === undefined || isLoopback(e.address) === isLoopback(endpoint.host));
  return e.hostname === endpoint.host;
}

const isLoopback = (host: unknown) => host === 'localhost' || host === '::1' || (typeof host === 'string' && host.startsWith('127.'));
