/**
 * Issue 16 (faults): the schema registry is killed (SIGKILL) while the POS and ERPNext connectors
 * stream, and started again by `stack up`.
 *
 * 1. With the shipped configs, the Apicurio converters keep using the schemas they know when a
 *    refresh fails (`apicurio.registry.fault-tolerant-refresh`): through the outage no task fails,
 *    changes keep reaching Kafka, and after `stack up` the tasks run on — no restart needed.
 * 2. A task that must ask the registry while it is down (here: restarted during the outage, so
 *    its converter knows no schema) FAILs, and Kafka Connect never restarts it. `stack status` says
 *    so, and `stocksync connectors restart` brings it back once the registry is up.
 *
 * Needs a stack whose registry this STOCKSYNC_HOME started (it is killed by its recorded pid).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { applyConnector, connectorsDir, loadConnector } from '../../src/connectors/apply.ts';
import { connectorPath, connectRequest } from '../../src/connectors/connect-rest.ts';
import { connectorHealth } from '../../src/connectors/health.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { components, logFile, pidFile } from '../../dev/stack/components.ts';
import { stackPaths } from '../../dev/stack/paths.ts';
import { isRecordAlive, readPidRecord } from '../../dev/stack/processes.ts';
import { bringUpComponent, stackStatus, stackUp } from '../../dev/stack/stack.ts';
import { waitForRecord } from '../helpers/kafka.ts';
import { eventually } from '../helpers/environment.ts';
import { posConnection, uniqueToken } from '../helpers/sources.ts';

const CONNECTORS = ['stocksync-pos', 'stocksync-erpnext'];
const stockcurrentTopic = `pos.${stackEndpoints().pos.database}.stockcurrent`;
const registryComponent = components.find((c) => c.name === 'schema-registry')!;
let pos: mysql.Connection;

/** Inserts a stockcurrent row at a new location; returns the location id (it appears verbatim in the Avro bytes). */
async function writeStock(): Promise<string> {
  const location = uniqueToken('T-OUT');
  const product = uniqueToken('T-PRD');
  await pos.beginTransaction();
  await pos.query('INSERT INTO locations (id, name) VALUES (?, ?)', [location, location]);
  await pos.query('INSERT INTO products (id, reference, code, name, category) VALUES (?, ?, ?, ?, ?)', [product, product, product, 'outage test', '000']);
  await pos.query('INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES (?, ?, NULL, 1)', [location, product]);
  await pos.commit();
  return location;
}

/** Waits for the stockcurrent record of `location` (matched on the raw bytes: no registry needed). */
const waitForStock = (location: string) => waitForRecord(stockcurrentTopic, (r) => r.value?.includes(Buffer.from(location)) ?? false, 120_000);

/** SIGKILLs the registry this stack started and waits until it is gone. */
async function killRegistry(): Promise<void> {
  const record = readPidRecord(pidFile(stackPaths(), 'schema-registry'));
  if (!isRecordAlive(record)) throw new Error('the schema registry was not started from this STOCKSYNC_HOME: this test kills only its own');
  process.kill(record.pid, 'SIGKILL');
  await eventually(
    async () => isRecordAlive(record),
    (alive) => !alive,
    30_000,
  );
}

/** Lines of the Connect log that say a converter used an expired schema because the registry did not answer. */
const faultTolerantLoads = () =>
  fs
    .readFileSync(logFile(stackPaths(), 'kafka-connect'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('Fault tolerant load using expired value')).length;

/**
 * Waits until the connector of topic prefix `prefix` has written a heartbeat since `sinceMs`, so its
 * converter knows the heartbeat's schema, while POS changes keep the binlog moving (MariaDB
 * connectors write heartbeats as they read it).
 */
async function waitForHeartbeat(prefix: string, sinceMs: number): Promise<void> {
  let done = false;
  const busy = (async () => {
    while (!done) {
      await writeStock();
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();
  try {
    await waitForRecord(`__debezium-heartbeat.${prefix}`, (r) => r.timestamp >= sinceMs, 120_000);
  } finally {
    done = true;
    await busy;
  }
}

beforeAll(async () => {
  pos = await posConnection();
  const since = Date.now();
  for (const file of ['pos.json', 'erpnext.json']) await applyConnector(loadConnector(path.join(connectorsDir, file)));
  // The converters learn the schemas of what they write during the outage before it: a POS change,
  // and each connector's heartbeat (a task restarted by an earlier test may not have written one yet).
  await waitForStock(await writeStock());
  for (const prefix of ['pos', 'erp']) await waitForHeartbeat(prefix, since);
}, 300_000);

afterAll(async () => {
  await pos?.end();
  // Leave the stack as found: registry up, nothing FAILED.
  await stackUp(() => undefined);
});

describe('a schema registry killed while the connectors stream', () => {
  it('is ridden out with the schemas the converters know: no task fails, changes keep flowing, nothing to restart', async () => {
    const loadsBefore = faultTolerantLoads();
    await killRegistry();

    // Keep the source busy until a converter has had to refresh a schema (its cache entries expire
    // after apicurio.registry.check-period-ms, 30 s) and fell back on the one it knew.
    const failedSeen: string[] = [];
    const duringOutage: string[] = [];
    await eventually(
      async () => {
        duringOutage.push(await writeStock());
        for (const h of await connectorHealth(CONNECTORS)) if (h.failed) failedSeen.push(`${h.name}: ${h.summary}`);
        return { loads: faultTolerantLoads() - loadsBefore, failedSeen: failedSeen.length };
      },
      (v) => v.loads > 0 || v.failedSeen > 0,
      180_000,
    );
    expect(failedSeen).toEqual([]);
    // A change committed during the outage reached Kafka.
    await waitForStock(duringOutage[duringOutage.length - 1]!);

    const results = await stackUp(() => undefined);
    expect(results.find((r) => r.component === 'schema-registry')?.action).toBe('started');

    const after = await writeStock();
    const record = await waitForStock(after);
    const value = await createSchemaRegistry(stackEndpoints().registryUrl).decode(record.value!);
    expect(value.after?.location).toBe(after);
    for (const h of await connectorHealth(CONNECTORS)) expect(`${h.name}: ${h.summary}`).toBe(`${h.name}: RUNNING, task 0 RUNNING`);
    expect(failedSeen).toEqual([]);
  });

  it('fails a task that must ask the registry while it is down; stack status reports it and `connectors restart` revives it', async () => {
    await stackUp(() => undefined); // the registry of this stack's own, running (whatever the test before did)
    await killRegistry();
    // A restarted task has fresh converters that know no schema (as after a rebalance or a Connect restart).
    const restart = await connectRequest('POST', connectorPath('stocksync-pos', '/tasks/0/restart'));
    expect(restart.status).toBeLessThan(300);
    const whileFailing: string[] = [];
    const failed = await eventually(
      async () => {
        whileFailing.push(await writeStock());
        return (await connectorHealth(['stocksync-pos']))[0]!;
      },
      (h) => h.failed,
      180_000,
    );
    expect(failed.tasks[0]).toMatchObject({ state: 'FAILED' });
    expect(failed.tasks[0]!.trace).toContain('Tolerance exceeded in error handler');

    const connect = (await stackStatus()).find((s) => s.component === 'kafka-connect')!;
    expect(connect.healthy).toBe(false);
    expect(connect.problem).toContain('stocksync-pos');
    expect(connect.connectors!.find((c) => c.name === 'stocksync-pos')!.tasks[0]!.state).toBe('FAILED');

    // Kafka Connect does not restart it once the registry is back: the operator's command does.
    await bringUpComponent(registryComponent, stackPaths(), () => undefined);
    expect((await connectorHealth(['stocksync-pos']))[0]!.failed).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'connectors', 'restart'], {
      cwd: projectRoot,
      env: process.env,
    });
    expect(stdout).toContain('stocksync-pos: restarted, now RUNNING, task 0 RUNNING');

    // Nothing was lost: the changes written while it was FAILED arrive too (its offset had not moved).
    await waitForStock(whileFailing[whileFailing.length - 1]!);
    await waitForStock(await writeStock());
    expect((await connectorHealth(CONNECTORS)).map((h) => h.summary)).toEqual(['RUNNING, task 0 RUNNING', 'RUNNING, task 0 RUNNING']);
  });
});
