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
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { canonicalQuery, eventually, freshEnvironment, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
const children: ChildProcess[] = [];

function startPipelineProcess(): ChildProcess {
  const child = spawn(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'run', '--metrics-port', '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

beforeAll(async () => {
  await freshEnvironment();
}, 300_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
});

describe('crash safety', () => {
  it('SIGKILL of the pipeline mid-run, then a restart, loses no change (oracle mismatches = 0)', { timeout: 900_000 }, async () => {
    const first = startPipelineProcess();
    const pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
    const warehouse = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
    await warehouse.connect();
    // The workload runs until stopped, so the kill and the restart fall inside it however slow the machine is.
    const stop = new AbortController();
    let committed = 0;
    let failure: unknown;
    const workload = runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], {
      ...TEST_SAMPLE,
      rate: 40,
      durationMs: 600_000,
      keepOperations: false,
      signal: stop.signal,
      onCommit: () => committed++,
    });
    const outcome = workload.then(
      (result) => ({ result }),
      (error: unknown) => {
        failure = error;
        return { error };
      },
    );
    const committedSoFar = async (): Promise<number> => {
      if (failure !== undefined) throw failure;
      return committed;
    };
    let atRestart = 0;
    try {
      // Kill once the pipeline has merged rows and live changes are flowing.
      await eventually(
        () => canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM stock_level'),
        (rows) => Number(rows[0]!.n) > 0,
        180_000,
      );
      await eventually(committedSoFar, (n) => n >= 40, 120_000);
      first.kill('SIGKILL');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');
      // Changes committed while no pipeline runs, then while the restarted one catches up.
      const atKill = committed;
      await eventually(committedSoFar, (n) => n >= atKill + 40, 120_000);
      startPipelineProcess();
      atRestart = committed;
      await eventually(committedSoFar, (n) => n >= atRestart + 40, 120_000);
    } finally {
      // Stop the workload and wait for its lanes before closing the connections they use.
      stop.abort();
      await outcome;
      await pos.end();
      await warehouse.end();
    }
    const settled = await outcome;
    if ('error' in settled) throw settled.error;
    expect(settled.result.committed).toBeGreaterThanOrEqual(atRestart + 40);
    await waitForLagZero();
    const report = await checkAgainstOracle();
    expect(report.mismatches).toEqual([]);
    // And everything committed was published: the outbox is empty.
    await expect
      .poll(async () => Number((await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM canonical_outbox'))[0]!.n), { timeout: 60_000 })
      .toBe(0);
  });
});
