/**
 * Kafka Connect's REST API (https://kafka.apache.org/documentation/#connect_rest), as the connector
 * commands use it: one request helper and the shapes of the answers read here.
 */
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';

/** An answer of the Connect REST API: HTTP status and parsed JSON body (null when empty). */
export interface ConnectAnswer {
  status: number;
  json: unknown;
}

/**
 * The `Authorization` header of a request to Kafka Connect: HTTP basic authentication (RFC 7617)
 * with the REST user and password (`STOCKSYNC_CONNECT_REST_USER`, `_PASSWORD`; config/endpoints.ts).
 */
export function connectAuthorization(endpoints: StackEndpoints = stackEndpoints()): { authorization: string } {
  const { user, password } = endpoints.connectRest;
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

/**
 * Sends one request to Kafka Connect (`STOCKSYNC_CONNECT_URL`, see config/endpoints.ts), with the
 * REST credentials ({@link connectAuthorization}).
 * @throws Error when Connect does not answer within `timeoutMs` or the body is not JSON.
 */
export async function connectRequest(method: string, urlPath: string, body?: unknown, timeoutMs = 30_000): Promise<ConnectAnswer> {
  const endpoints = stackEndpoints();
  const response = await fetch(`${endpoints.connectUrl}${urlPath}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...connectAuthorization(endpoints) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** The states Connect reports for a connector or a task. */
export type ConnectState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

/** `GET /connectors/{name}/status`. `trace` is Connect's Java stack trace of a FAILED one. */
export interface ConnectorStatusAnswer {
  name: string;
  connector: { state: ConnectState; worker_id?: string; trace?: string };
  tasks: Array<{ id: number; state: ConnectState; worker_id?: string; trace?: string }>;
}

/** The path of one connector's resource: `/connectors/{name}` plus `rest`. */
export const connectorPath = (name: string, rest = '') => `/connectors/${encodeURIComponent(name)}${rest}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks Connect to restart a connector's FAILED parts (`POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`,
 * KIP-745): the connector if it FAILED, and each FAILED task; RUNNING tasks go on untouched.
 * Retries while Connect answers 409 (a rebalance is in progress).
 * @throws Error when Connect refuses otherwise, or keeps answering 409 for `timeoutMs`.
 */
export async function requestRestartOfFailed(name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, json } = await connectRequest('POST', connectorPath(name, '/restart?includeTasks=true&onlyFailed=true'));
    if (status < 300) return;
    if (status !== 409 || Date.now() > deadline) throw new Error(`POST /connectors/${name}/restart answered ${status}: ${JSON.stringify(json)}`);
    await sleep(1000);
  }
}
