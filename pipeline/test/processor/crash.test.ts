/**
 * Design invariant 2 on the real stack: a pipeline process killed with SIGKILL in the middle of a
 * live workload and started again loses nothing — at quiescence the canonical table equals the
 * SQL oracle over the sources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { canonicalQuery, freshEnvironment, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';

const endpoints = stackEndpoints();
const children: ChildProcess[] = [];

function startPipelineProcess(): ChildProcess {
  const child = spawn(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'run', '--metrics-port', '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

beforeAll(async () => {
  await freshEnvironment();
}, 300_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
});

describe('crash safety', () => {
  it('SIGKILL of the pipeline mid-run, then a restart, loses no change (oracle mismatches = 0)', async () => {
    const first = startPipelineProcess();
    const pos = await mysql.createConnection(endpoints.pos);
    const warehouse = new pg.Client(endpoints.warehouse);
    await warehouse.connect();
    try {
      const workload = runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], { ...TEST_SAMPLE, rate: 40, durationMs: 12_000, keepOperations: false });
      // Kill once the pipeline is busy merging live changes.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const merged = await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM stock_level');
      expect(Number(merged[0]!.n)).toBeGreaterThan(0);
      first.kill('SIGKILL');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      startPipelineProcess();
      const result = await workload;
      expect(result.committed).toBeGreaterThan(300);
    } finally {
      await pos.end();
      await warehouse.end();
    }
    await waitForLagZero();
    const report = await checkAgainstOracle();
    expect(report.mismatches).toEqual([]);
    // And everything committed was published: the outbox is empty.
    await expect
      .poll(async () => Number((await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM canonical_outbox'))[0]!.n), { timeout: 20_000 })
      .toBe(0);
  });
});
