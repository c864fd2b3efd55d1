import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import client from 'prom-client';
import { metricsRegistry } from '../../src/metrics/registry.ts';
import { serveMetrics, type ReadinessReport } from '../../src/metrics/server.ts';
import { freePort } from '../../dev/bench/proc.ts';

let server: http.Server | undefined;
afterEach(() => server?.close());

async function get(path: string): Promise<{ status: number; type: string | null; body: string }> {
  const { port } = server!.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('the operations endpoint', () => {
  it('serves metrics (stocksync and process defaults), liveness, readiness with reasons, and 404 elsewhere', async () => {
    new client.Counter({ name: 'stocksync_test_server_total', help: 'test', registers: [metricsRegistry] }).inc(3);
    let report: ReadinessReport | undefined;
    server = await serveMetrics(await freePort(), '--metrics-port', () => report ?? { ready: false, reasons: ['starting'] });

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^stocksync_test_server_total 3$/m);
    expect(metrics.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(metrics.body).toMatch(/^stocksync_ready 0$/m);

    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });

    const starting = await get('/readyz');
    expect(starting.status).toBe(503);
    expect(starting.type).toBe('application/json');
    expect(JSON.parse(starting.body)).toEqual({ ready: false, reasons: ['starting'] });

    report = { ready: false, reasons: ['canonical store: connect ECONNREFUSED 127.0.0.1:5432'] };
    expect(JSON.parse((await get('/readyz')).body).reasons).toEqual(['canonical store: connect ECONNREFUSED 127.0.0.1:5432']);
    report = { ready: true, reasons: [] };
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/metrics')).body).toMatch(/^stocksync_ready 1$/m);

    expect((await get('/anything')).status).toBe(404);
    expect((await get('/metrics?x=1')).status).toBe(200);
  });

  it('is off on port 0', async () => {
    expect(await serveMetrics(0, '--metrics-port')).toBeUndefined();
  });
});
