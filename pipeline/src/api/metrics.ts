/**
 * The availability API's Prometheus metrics, in the process's one registry (metrics/registry.ts),
 * served at the API's `/metrics`.
 */
import client from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

const requestDuration = new client.Histogram({
  name: 'stocksync_api_request_duration_seconds',
  help: 'Duration of availability API requests by method, route (the path pattern, or "unmatched") and status, seconds (an SSE stream is counted when it ends)',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

const sseEvents = new client.Counter({
  name: 'stocksync_api_sse_connections_total',
  help: 'Server-Sent Events connections opened, by channel',
  labelNames: ['channel'],
  registers: [metricsRegistry],
});

/** Records one finished request; `seconds` is its duration. */
export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  requestDuration.observe({ method, route, status: String(status) }, seconds);
}

/** Counts one SSE connection of a channel. */
export function countSseConnection(channel: string): void {
  sseEvents.inc({ channel });
}
