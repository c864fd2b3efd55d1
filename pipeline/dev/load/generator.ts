/**
 * The load generator: several worker processes (or threads), each with several connections per
 * sample source, stepping through target rates of source changes. One "source change" is one row
 * change Debezium captures (a row of a captured table inserted, updated or deleted); the
 * generator paces operations, converting with the mean changes per operation its workers
 * reported so far (see `LoadOperation.estimatedChanges`), and reports every committed operation
 * with its commit time and source transaction id.
 *
 * Workers write disjoint product parts (sample/shared/part.ts), so the sources stay consistent and
 * the oracles still hold after any run.
 */
import { resolveSampleOptions, type SampleOptions } from '../sample/shared/model.ts';
import type { SampleSource } from '../sample/shared/workload.ts';
import type { FromWorker, LoadOperation } from './messages.ts';
import { spawnWorker, type WorkerHandle, type WorkerKind } from './transport.ts';

/**
 * Default share of the operations per source: mostly POS tickets (the bulk of a retailer's stock
 * changes, and the cheapest to write: one round trip each, against 7–12 for a warehouse or
 * ERPNext operation), a fifth warehouse operations (the marketplace channel sells only those), a
 * twentieth ERPNext documents (their naming series serialize them).
 */
export const DEFAULT_SHARES: Readonly<Record<SampleSource, number>> = { pos: 0.75, warehouse: 0.2, erpnext: 0.05 };

/**
 * Mean captured row changes per operation of the default mix, before any operation reported its
 * own (measured on the sample: POS tickets 2 per line, warehouse quants with their counterparts,
 * ERPNext ledger entries and Bins).
 */
const INITIAL_CHANGES_PER_OPERATION = 2.5;

export interface LoadGeneratorOptions extends SampleOptions {
  /** Worker processes or threads (default 2, one per core). */
  workers?: number;
  /** Connections per source in each worker (default 8). */
  connectionsPerSource?: number;
  /** `process` (default) or `thread`. */
  workerKind?: WorkerKind;
  /** Share of the operations per source (normalized to sum 1; default {@link DEFAULT_SHARES}). */
  shares?: Partial<Record<SampleSource, number>>;
  /** Called with each batch of committed operations, in the order the workers reported them. */
  onCommit?: (operations: LoadOperation[]) => void;
}

/** What one step did. */
export interface LoadStepResult {
  step: number;
  /** Source changes per second asked for. */
  targetChangesPerSecond: number;
  /** Operations per second the pacing aimed at (all workers). */
  plannedOperationsPerSecond: number;
  durationMs: number;
  /** Operations committed, in total and per source. */
  committed: number;
  bySource: Record<SampleSource, number>;
  /** Sum of the operations' estimated changes (the exact count is what Debezium emitted). */
  estimatedChanges: number;
  /** Earliest start and latest end of the workers' runs, ms since epoch. */
  startedAtMs: number;
  endedAtMs: number;
  /** Commit wall time of the first and last operation of the step, ms since epoch (null when none). */
  firstCommitAtMs: number | null;
  lastCommitAtMs: number | null;
}

/** A running generator. */
export interface LoadGenerator {
  readonly workerKind: WorkerKind;
  /** OS process ids of the workers (the coordinator's own for threads). */
  readonly pids: number[];
  /** Runs one step at `changesPerSecond` for `durationMs` on every worker; resolves when all are done. */
  runStep(changesPerSecond: number, durationMs: number): Promise<LoadStepResult>;
  /** Mean estimated changes per operation so far (the pacing's conversion factor). */
  changesPerOperation(): number;
  /** Asks the workers to close their connections, and waits until they exited (kills after 30 s). */
  stop(): Promise<void>;
}

/**
 * Starts the workers and waits until each has its connections open.
 *
 * @throws Error when a worker fails to start (the others are stopped first).
 */
export async function startLoadGenerator(options: LoadGeneratorOptions): Promise<LoadGenerator> {
  const sample = resolveSampleOptions(options);
  const workers = options.workers ?? 2;
  const connectionsPerSource = options.connectionsPerSource ?? 8;
  const workerKind = options.workerKind ?? 'process';
  for (const [name, v] of [
    ['workers', workers],
    ['connectionsPerSource', connectionsPerSource],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`startLoadGenerator: ${name} must be a positive integer, got ${v}`);
  }
  const raw = { ...DEFAULT_SHARES, ...options.shares };
  const total = raw.pos + raw.warehouse + raw.erpnext;
  if (!(total > 0) || Object.values(raw).some((v) => !(v >= 0)))
    throw new Error(`startLoadGenerator: shares must be non-negative with a positive sum, got ${JSON.stringify(raw)}`);
  const shares = { pos: raw.pos / total, warehouse: raw.warehouse / total, erpnext: raw.erpnext / total };

  let operations = 0;
  let changes = 0;
  let failure: Error | null = null;
  let stopping = false;
  const handles: WorkerHandle[] = [];
  /** Listeners of the current phase (start, then each step). */
  const waiters = new Set<{ onMessage(index: number, m: FromWorker): void; onFailure(error: Error): void }>();
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const w of waiters) w.onFailure(error);
  };

  for (let index = 0; index < workers; index++) {
    const handle = spawnWorker(workerKind, { index, workers, connectionsPerSource, sample, shares });
    handles.push(handle);
    handle.onMessage((m) => {
      if (m.type === 'commits') {
        for (const op of m.operations) changes += op.estimatedChanges;
        operations += m.operations.length;
        options.onCommit?.(m.operations);
      } else if (m.type === 'error') {
        failAll(new Error(`load worker ${index} failed: ${m.message}`));
      }
      for (const w of waiters) w.onMessage(index, m);
    });
    void handle.exited.then((code) => {
      if (!stopping) failAll(new Error(`load worker ${index} exited (code ${code}) before it was stopped`));
    });
  }

  /** Resolves once every worker sent a message `done` accepts; rejects on the first failure. */
  const everyWorker = <T>(done: (index: number, m: FromWorker) => T | undefined): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const results = new Map<number, T>();
      const waiter = {
        onMessage(index: number, m: FromWorker) {
          const r = done(index, m);
          if (r === undefined) return;
          results.set(index, r);
          if (results.size === workers) {
            waiters.delete(waiter);
            resolve([...results.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v));
          }
        },
        onFailure(error: Error) {
          waiters.delete(waiter);
          reject(error);
        },
      };
      waiters.add(waiter);
      if (failure) waiter.onFailure(failure);
    });

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const h of handles) h.send({ type: 'close' });
    const timer = setTimeout(() => {
      for (const h of handles) h.kill();
    }, 30_000);
    await Promise.all(handles.map((h) => h.exited));
    clearTimeout(timer);
  };

  try {
    await everyWorker((_, m) => (m.type === 'ready' ? true : undefined));
  } catch (error) {
    await stop();
    throw error;
  }

  let step = 0;
  return {
    workerKind,
    pids: handles.map((h) => h.pid),
    changesPerOperation: () => (operations > 0 ? changes / operations : INITIAL_CHANGES_PER_OPERATION),
    async runStep(changesPerSecond, durationMs) {
      if (failure) throw failure;
      if (!(changesPerSecond > 0 && durationMs > 0))
        throw new Error(`runStep: rate and duration must be positive, got ${changesPerSecond}/s for ${durationMs} ms`);
      step++;
      const thisStep = step;
      const factor = operations > 0 ? changes / operations : INITIAL_CHANGES_PER_OPERATION;
      const plannedOperationsPerSecond = changesPerSecond / factor;
      const bySource: Record<SampleSource, number> = { pos: 0, warehouse: 0, erpnext: 0 };
      let estimated = 0;
      let first: number | null = null;
      let last: number | null = null;
      const count = {
        onMessage(_: number, m: FromWorker) {
          if (m.type !== 'commits') return;
          for (const op of m.operations) {
            if (op.step !== thisStep) continue;
            bySource[op.source]++;
            estimated += op.estimatedChanges;
            if (first === null || op.committedAtMs < first) first = op.committedAtMs;
            if (last === null || op.committedAtMs > last) last = op.committedAtMs;
          }
        },
        onFailure() {},
      };
      waiters.add(count);
      try {
        const finished = everyWorker((_, m) => (m.type === 'step-done' && m.step === thisStep ? m : undefined));
        for (const h of handles) h.send({ type: 'step', step: thisStep, operationsPerSecond: plannedOperationsPerSecond / workers, durationMs });
        const done = await finished;
        return {
          step: thisStep,
          targetChangesPerSecond: changesPerSecond,
          plannedOperationsPerSecond,
          durationMs,
          committed: done.reduce((a, d) => a + d.committed, 0),
          bySource,
          estimatedChanges: estimated,
          startedAtMs: Math.min(...done.map((d) => d.startedAtMs)),
          endedAtMs: Math.max(...done.map((d) => d.endedAtMs)),
          firstCommitAtMs: first,
          lastCommitAtMs: last,
        };
      } finally {
        waiters.delete(count);
      }
    },
    stop,
  };
}
