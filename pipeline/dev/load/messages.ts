/**
 * What the load generator's coordinator and its workers say to each other (structured-clone
 * values, so the same messages travel over a child process's IPC channel and a worker thread's
 * port).
 */
import type { SampleOptions } from '../sample/shared/model.ts';
import type { SampleSource, TouchedKey } from '../sample/shared/workload.ts';

/** How a worker was started, given to it at start. */
export interface WorkerSetup {
  /** 0-based worker number. */
  index: number;
  /** Workers in the generator. */
  workers: number;
  /** Connections (lanes) per source in each worker; worker w's lane c works product part w × c + c. */
  connectionsPerSource: number;
  /** The seeding options: seed, products, stores, warehouses the databases were seeded with. */
  sample: SampleOptions;
  /** Share of the operations per source (they sum to 1; 0 leaves a source out). */
  shares: Record<SampleSource, number>;
}

/** One committed source transaction, as a worker reports it. */
export interface LoadOperation {
  source: SampleSource;
  /** Operation kind, e.g. `pos.sale`, `wms.delivery`, `erp.cancel`. */
  kind: string;
  /**
   * Source transaction id as Debezium reports it: MariaDB GTID (`source.gtid`, e.g. `0-1-42`) for
   * the POS and ERPNext, PostgreSQL xid (`source.txId`) for the warehouse; null when unknown.
   */
  txId: string | null;
  /** `Date.now()` right after COMMIT returned, ms since epoch. */
  committedAtMs: number;
  /** When the pacing planned the operation to start, ms since epoch. */
  scheduledAtMs: number;
  /** Keys changed, in write order (signed on-hand and reserved deltas, exact decimal strings). */
  touched: TouchedKey[];
  /**
   * Row changes the operation wrote to captured tables, as far as its result tells (a lower bound
   * for ERPNext cancellations, which also rewrite later ledger entries); used for pacing only —
   * the exact count is what Debezium emits.
   */
  estimatedChanges: number;
  /** The worker and step that ran it. */
  worker: number;
  step: number;
}

/** Coordinator to worker. */
export type ToWorker =
  /** Run one step: `operationsPerSecond` (this worker's share) for `durationMs`, then report `step-done`. */
  | { type: 'step'; step: number; operationsPerSecond: number; durationMs: number }
  /** Stop the running step after the operations in flight (it still reports `step-done`). */
  | { type: 'abort' }
  /** Close the connections and exit. */
  | { type: 'close' };

/** Worker to coordinator. */
export type FromWorker =
  /** Connections open and the databases hold the sample of the setup. */
  | { type: 'ready' }
  /** Operations committed since the last report (sent every ~50 ms while a step runs). */
  | { type: 'commits'; operations: LoadOperation[] }
  /** The step ended: operations committed in it by this worker, and its pacing window (ms since epoch). */
  | { type: 'step-done'; step: number; committed: number; startedAtMs: number; endedAtMs: number }
  /** The worker failed (it exits afterwards). */
  | { type: 'error'; message: string };
