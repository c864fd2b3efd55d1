/** The Prometheus metrics endpoint of a long-running command. */
import http from 'node:http';
import { metricsRegistry } from './registry.ts';

/**
 * Serves Prometheus metrics on 127.0.0.1:`port` (0 = off). Resolves once listening.
 * @throws Error naming the port and the option to change when it is taken.
 */
export function serveMetrics(port: number, option: string): Promise<http.Server | undefined> {
  if (port <= 0) return Promise.resolve(undefined);
  const server = http.createServer(async (_req, res) => {
    res.setHeader('content-type', metricsRegistry.contentType);
    res.end(await metricsRegistry.metrics());
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
