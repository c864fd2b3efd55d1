/**
 * Issue 13, dashboards and alerts as files: the alerting rules under deploy/observability/ pass
 * `promtool check rules` and their own unit tests (`promtool test rules`), and a real Prometheus
 * (Debian's package) scraping a `stocksync run` with the shipped rules sees its metrics: readiness,
 * consumer lag, freshness.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.ts';
import { freePort } from '../../dev/bench/proc.ts';
import { eventually } from '../helpers/environment.ts';
import { startProductProcess, type ProductProcess } from '../helpers/processes.ts';

const observability = path.join(projectRoot, 'deploy', 'observability');
const run = promisify(execFile);
let pipeline: ProductProcess | undefined;
let prometheus: ChildProcess | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-prometheus-'));

afterAll(async () => {
  prometheus?.kill('SIGKILL');
  await pipeline?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('deploy/observability', () => {
  it('the alert rules are valid and pass their unit tests', async () => {
    const check = await run('promtool', ['check', 'rules', 'alerts.yaml'], { cwd: observability });
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tests = await run('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: observability });
    expect(tests.stdout).toContain('SUCCESS');
  });

  it('a real Prometheus scraping `stocksync run` with the shipped rules sees its metrics', { timeout: 300_000 }, async () => {
    const metricsPort = await freePort();
    const prometheusPort = await freePort();
    // Its own group: a member of the stack's pipeline group would take partitions from other tests.
    pipeline = startProductProcess(['run', '--group', 'stocksync-test-observability', '--metrics-port', String(metricsPort)]);
    fs.copyFileSync(path.join(observability, 'alerts.yaml'), path.join(dir, 'alerts.yaml'));
    const shipped = fs.readFileSync(path.join(observability, 'prometheus.yml'), 'utf8');
    expect(shipped).toContain('host.docker.internal:9464');
    const config = shipped
      .replace(/scrape_interval: \d+s/, 'scrape_interval: 1s')
      .replace(/evaluation_interval: \d+s/, 'evaluation_interval: 1s')
      .replace('host.docker.internal:9464', `127.0.0.1:${metricsPort}`)
      .replace('host.docker.internal:9465', '127.0.0.1:1');
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { stdio: 'ignore' },
    );
    const query = async (promql: string) => {
      try {
        const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await response.json()) as { data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        return body.data?.result ?? [];
      } catch {
        return []; // Prometheus still starting
      }
    };
    const ready = await eventually(
      () => query('stocksync_ready{job="stocksync-pipeline"}'),
      (r) => r.length === 1 && r[0]!.value[1] === '1',
      240_000,
    );
    expect(ready[0]!.metric.instance).toBe(`127.0.0.1:${metricsPort}`);
    const lag = await eventually(
      () => query('stocksync_consumer_lag_records'),
      (r) => r.length > 0,
      60_000,
    );
    expect(lag.map((r) => r.metric.topic)).toContain('pos.pos.stockcurrent');
    expect((await query('process_resident_memory_bytes{job="stocksync-pipeline"}')).length).toBe(1);
    // The rules loaded and evaluated: the channels target is down, so StocksyncDown is pending for it.
    const rules = (await (await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> };
    };
    const loaded = rules.data.groups.find((g) => g.name === 'stocksync')!.rules;
    expect(loaded.map((r) => r.name)).toContain('StocksyncNotReady');
    expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  });
});
