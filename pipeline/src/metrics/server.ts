/**
 * The operations endpoint of a long-running command (`run`, `channels run`), on 127.0.0.1:
 * - `GET /metrics`: Prometheus text format (every stocksync metric, plus prom-client's default
 *   process metrics: CPU, RSS, heap, event-loop lag, GC);
 * - `GET /healthz`: 200 `ok` while the process serves at all (liveness);
 * - `GET /readyz`: 200 when the process can do its work now, else 503; the body is the readiness
 *   report as JSON (`ready`, `reasons`: one line per part that is not ready, and the parts);
 * - anything else: 404.
 */
import http from 'node:http';
import client from 'prom-client';
import { metricsRegistry } from './registry.ts';

/** What `/readyz` reports: the command's own report, at least these two fields. */
export interface ReadinessReport {
  ready: boolean;
  /** Why not ready, one line per part (empty when ready). */
  reasons: string[];
}

let defaultMetricsOn = false;

/** Adds prom-client's default process metrics (CPU, RSS, heap, event-loop lag, GC) to the registry, once per process. */
export function collectDefaultMetricsOnce(): void {
  if (defaultMetricsOn) return;
  client.collectDefaultMetrics({ register: metricsRegistry });
  defaultMetricsOn = true;
}
/** The readiness `/readyz` and `stocksync_ready` report (the last server started sets it). */
let currentReadiness: (() => ReadinessReport | undefined) | undefined;

// Readiness as a metric too, so Prometheus can alert on it (deploy/observability/alerts.yaml).
new client.Gauge({
  name: 'stocksync_ready',
  help: 'Whether the process can do its work now (1) or not (0): the verdict of /readyz; 0 while starting',
  registers: [metricsRegistry],
  collect() {
    this.set(currentReadiness?.()?.ready ? 1 : 0);
  },
});

/**
 * Serves the endpoints on 127.0.0.1:`port` (0 = off). Resolves once listening.
 * @param option the command-line option that sets the port (named in the error when it is taken).
 * @param readiness the command's readiness now; while it is not given or gives undefined (the
 *   command still starting), `/readyz` answers 503 with the reason `starting`.
 * @throws Error naming the port and the option to change when it is taken.
 */
export function serveMetrics(port: number, option: string, readiness?: () => ReadinessReport | undefined): Promise<http.Server | undefined> {
  if (port <= 0) return Promise.resolve(undefined);
  collectDefaultMetricsOnce();
  currentReadiness = readiness;
  const server = http.createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    if (route === 'GET /metrics') {
      metricsRegistry.metrics().then(
        (text) => {
          res.setHeader('content-type', metricsRegistry.contentType);
          res.end(text);
        },
        (error: Error) => {
          res.statusCode = 500;
          res.end(`collecting metrics failed: ${error.message}\n`);
        },
      );
    } else if (route === 'GET /healthz') {
      res.setHeader('content-type', 'text/plain');
      res.end('ok\n');
    } else if (route === 'GET /readyz') {
      const report: ReadinessReport = currentReadiness?.() ?? { ready: false, reasons: ['starting'] };
      res.statusCode = report.ready ? 200 : 503;
      res.setHeader('content-type', 'application/json');
      res.end(`${JSON.stringify(report)}\n`);
    } else {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain');
      res.end('not found: GET /metrics, /healthz or /readyz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`metrics port ${port} is taken (another stocksync process?): start this one with ${option} <other port>, or 0 for none`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
