/**
 * A load worker (a child process or a worker thread started by `transport.ts`): opens
 * `connectionsPerSource` connections to each sample source and, per step, runs that many sample
 * workloads at once (`runWorkload` with the POS, warehouse and ERPNext lanes, each lane on its own
 * connection and product part), paced at the worker's share of the rate. Committed operations go
 * back to the coordinator in batches every 50 ms.
 */
import { setMaxListeners } from 'node:events';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { sampleWriters } from '../stack/accounts.ts';
import { erpnextWorkload, type ErpnextOperation } from '../sample/erpnext/workload.ts';
import { posWorkload } from '../sample/pos/workload.ts';
import { warehouseWorkload } from '../sample/warehouse/workload.ts';
import { deriveSeed } from '../sample/shared/prng.ts';
import { resolveSampleOptions } from '../sample/shared/model.ts';
import { awaitWorkloads, runWorkload, type SampleSource, type WorkloadLane } from '../sample/shared/workload.ts';
import { retryingLockConflicts } from './conflict-retry.ts';
import { applyPosMovementsInOneTrip } from './pos-one-trip.ts';
import type { LoadOperation, ToWorker } from './messages.ts';
import { coordinatorPort } from './transport.ts';

const REPORT_EVERY_MS = 50;

const port = coordinatorPort();
const { setup } = port;
const sample = resolveSampleOptions(setup.sample);
// The load writes as the sample application, as a POS or ERP would; the connector users only read.
const endpoints = sampleWriters(stackEndpoints());
const lanesPerSource = setup.connectionsPerSource;

const pos: mysql.Connection[] = [];
const erpnext: mysql.Connection[] = [];
const warehouse: pg.Client[] = [];
let running: { stop: AbortController; done: Promise<void> } | null = null;
let buffer: LoadOperation[] = [];

const flush = (): void => {
  if (buffer.length === 0) return;
  port.send({ type: 'commits', operations: buffer });
  buffer = [];
};

/** Weights of every kind so that each source gets its share of the operations. */
function sharedMix(lanes: ReadonlyArray<WorkloadLane>): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const lane of lanes) {
    const weights = lane.defaultMix as Record<string, number>;
    const total = Object.values(weights).reduce((a, w) => a + w, 0);
    for (const [kind, w] of Object.entries(weights)) mix[kind] = (w / total) * setup.shares[lane.source];
  }
  return mix;
}

/** Row changes to captured tables, as far as the operation's result tells (see LoadOperation). */
function estimatedChanges(source: SampleSource, op: { touched: unknown[] }): number {
  if (source === 'pos') return 2 * op.touched.length; // a stockdiary row and a stockcurrent row per movement
  if (source === 'erpnext') return (op as ErpnextOperation).ledger.length + op.touched.length; // ledger entries and Bins
  return op.touched.length; // quants
}

async function runStep(step: number, operationsPerSecond: number, durationMs: number, stop: AbortController): Promise<void> {
  const startedAtMs = Date.now();
  let committed = 0;
  // Every lane set listens to the stop signal.
  setMaxListeners(0, stop.signal);
  const runs = Array.from({ length: lanesPerSource }, (_, c) => {
    const part = { index: setup.index * lanesPerSource + c, count: setup.workers * lanesPerSource };
    const lanes = [
      retryingLockConflicts(posWorkload(pos[c] as mysql.Connection, { part, apply: applyPosMovementsInOneTrip })),
      retryingLockConflicts(warehouseWorkload(warehouse[c] as pg.Client, { part })),
      retryingLockConflicts(erpnextWorkload(erpnext[c] as mysql.Connection, { part })),
    ];
    return runWorkload(lanes, {
      ...sample,
      workloadSeed: deriveSeed(sample.seed, `load-${step}-${part.index}`),
      rate: operationsPerSecond / lanesPerSource,
      durationMs,
      mix: sharedMix(lanes),
      keepOperations: false,
      signal: stop.signal,
      onCommit: (op) => {
        committed++;
        buffer.push({
          source: op.source,
          kind: op.kind,
          txId: op.txId,
          committedAtMs: op.committedAtMs,
          scheduledAtMs: op.scheduledAtMs,
          touched: op.touched,
          estimatedChanges: estimatedChanges(op.source, op),
          worker: setup.index,
          step,
        });
      },
    });
  });
  const reporter = setInterval(flush, REPORT_EVERY_MS);
  let results: Awaited<(typeof runs)[number]>[];
  try {
    results = await awaitWorkloads(stop, runs);
  } finally {
    clearInterval(reporter);
    flush();
  }
  // The pacing window: from the first run's start (after its lanes checked their databases) to the last run's end.
  port.send({
    type: 'step-done',
    step,
    committed,
    startedAtMs: Math.min(startedAtMs + durationMs, ...results.map((r) => r.startedAtMs)),
    endedAtMs: Math.max(startedAtMs, ...results.map((r) => r.endedAtMs)),
  });
}

async function close(): Promise<void> {
  running?.stop.abort();
  await running?.done;
  await Promise.allSettled([...pos.map((c) => c.end()), ...erpnext.map((c) => c.end()), ...warehouse.map((c) => c.end())]);
  port.close();
}

function fail(error: unknown): void {
  port.send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  void close().finally(() => {
    process.exitCode = 1;
  });
}

port.onMessage((message: ToWorker) => {
  if (message.type === 'step') {
    if (running) return fail(new Error(`step ${message.step} asked for while a step runs`));
    const stop = new AbortController();
    const done = runStep(message.step, message.operationsPerSecond, message.durationMs, stop).then(
      () => {
        running = null;
      },
      (error: unknown) => fail(error),
    );
    running = { stop, done };
  } else if (message.type === 'abort') {
    running?.stop.abort();
  } else {
    void close();
  }
});

/**
 * A connection that dies between queries (its server was killed) emits `error` on its client: without
 * a listener Node ends the worker with an unhandled 'error' event and a stack trace. Reported as the
 * worker's failure instead, once, naming the source; the coordinator then fails the step.
 */
let lost = false;
const onLost = (source: string) => (error: Error) => {
  if (lost) return;
  lost = true;
  fail(new Error(`${source} connection lost: ${error.message}`));
};

try {
  for (let c = 0; c < lanesPerSource; c++) {
    // trace: false spares capturing a stack trace per query (a fifth of the worker's CPU per ticket).
    const posConnection = await mysql.createConnection({ ...connectionOptions(endpoints.pos), multipleStatements: true, trace: false });
    posConnection.on('error', onLost('POS'));
    pos.push(posConnection);
    const erpnextConnection = await mysql.createConnection({ ...connectionOptions(endpoints.erpnext), trace: false });
    erpnextConnection.on('error', onLost('ERPNext'));
    erpnext.push(erpnextConnection);
    const client = new pg.Client(endpoints.warehouse);
    client.on('error', onLost('warehouse'));
    await client.connect();
    warehouse.push(client);
  }
  port.send({ type: 'ready' });
} catch (error) {
  fail(error);
}
