/**
 * The workload driver: paced, seeded stock operations against the sample sources, each recording
 * when its COMMIT returned, its transaction id and which (sku, location) keys it touched, so that a
 * caller can measure end-to-end latency and check the pipeline's result.
 *
 * Every source contributes a lane ({@link WorkloadLane}: `posWorkload`, `warehouseWorkload`,
 * `erpnextWorkload` in the source folders) — its operation kinds, their default weights and how to
 * run one. The driver runs the lanes in parallel, each strictly sequential on its own connection
 * and with its own PRNG stream, so for a fresh seed of the same options the same workload options
 * yield the same final source state whatever the timing.
 */
import type { CommitStamp } from './commit.ts';
import { resolveSampleOptions, type ResolvedSampleOptions, type SampleOptions } from './model.ts';
import { Rng, deriveSeed } from './prng.ts';

/** A source database of the sample. */
export type SampleSource = 'pos' | 'warehouse' | 'erpnext';

/** One source row key an operation changed. */
export interface TouchedKey {
  source: SampleSource;
  /** POS `products.id`, Odoo `product_product.id` as a decimal string, or ERPNext `item_code`. */
  productId: string;
  /**
   * SKU (`products.reference` / `product_product.default_code` / `item_code`); null for unmapped
   * warehouse products.
   */
  sku: string | null;
  /** POS `locations.id`, Odoo `stock_location.complete_name`, or ERPNext warehouse name. */
  sourceLocation: string;
  /**
   * Canonical location code (e.g. `STORE-01`, `WH1/Stock`, `Stores - ABC`); null for Odoo
   * non-internal locations and warehouses without a code.
   */
  location: string | null;
  /** Signed change of on-hand quantity, exact decimal string. */
  onHandDelta: string;
  /** Signed change of reserved quantity, exact decimal string (always `"0"` on the POS). */
  reservedDelta: string;
}

/**
 * A committed operation of kind `K`. Times: `*Ms` are `Date.now()` values, `committedAtHr` is
 * `process.hrtime.bigint()` ns.
 */
export interface CommittedOperation<K extends string = string> extends CommitStamp {
  /**
   * 0-based order in which the run recorded operations, across all lanes (also the `onCommit`
   * order). Within a lane it is commit order; across lanes sort by `committedAtHr` for commit order,
   * as a POS operation is recorded only after its GTID lookup.
   */
  seq: number;
  source: SampleSource;
  kind: K;
  /** Keys changed, in write order; the same key may appear more than once. */
  touched: TouchedKey[];
  /** When the pacing planned the operation to start. */
  scheduledAtMs: number;
  /** When the operation actually started (first statement). */
  startedAtMs: number;
}

/** What a lane reports for one committed operation. */
export interface LaneCommit<K extends string, D extends object> {
  /** The kind that ran: the one asked for, or the lane's fallback when that one did not apply. */
  kind: K;
  stamp: CommitStamp;
  touched: TouchedKey[];
  /** Source-specific fields added to the recorded operation (e.g. ERPNext's voucher). */
  detail: D;
}

/** A started lane. */
export interface LaneRunner<K extends string, D extends object> {
  /** Runs one operation of `kind` (or the lane's fallback) and resolves once it committed. */
  run(kind: K): Promise<LaneCommit<K, D>>;
}

/**
 * One source's part of a workload: its operation kinds and how to run them on one connection.
 * `D` is what the lane adds to each recorded operation.
 */
export interface WorkloadLane<K extends string = string, D extends object = object> {
  source: SampleSource;
  /** The lane's operation kinds, in the order their weights are drawn. */
  kinds: readonly K[];
  /** Default relative weight of each kind. */
  defaultMix: Readonly<Record<K, number>>;
  /**
   * Checks that the database holds the sample of `sample` and returns the lane's runner, which
   * draws its choices from `rng` (the lane's own stream).
   *
   * @throws Error naming the options when the database was seeded with other ones.
   */
  start(sample: ResolvedSampleOptions, rng: Rng): Promise<LaneRunner<K, D>>;
}

// `any` lets lanes of different kinds travel in one array; the helpers below recover their types.
type AnyLane = WorkloadLane<any, any>;
/** The operation kinds of a lane type (a union for a union of lanes). */
export type LaneKind<L> = L extends WorkloadLane<infer K, any> ? K : never;
/** The recorded operation of a lane type (a union for a union of lanes). */
export type LaneOperation<L> = L extends WorkloadLane<infer K, infer D> ? CommittedOperation<K> & D : never;

/** The end of the message a lane throws when its database holds another sample. */
export const SEEDED_HINT = 'was the database seeded with the same seed and products as the workload options?';

/** Options of {@link runWorkload} for operations of kinds `K`, recorded as `Op`. */
export interface WorkloadOptions<K extends string = string, Op = CommittedOperation<K>> extends SampleOptions {
  /** Seed of the workload's own PRNG streams; defaults to `seed` (which must be the seeding seed). */
  workloadSeed?: number;
  /** Total operations per second across all lanes; omitted or 0 means as fast as possible. */
  rate?: number;
  /** Stop starting operations after this many milliseconds. */
  durationMs?: number;
  /** Stop after this many operations in total. At least one of `count`, `durationMs` is required. */
  count?: number;
  /** Relative weights per kind (missing kinds keep the lane's default mix; 0 disables a kind). */
  mix?: Partial<Record<K, number>>;
  /** Called synchronously right after each commit is recorded. */
  onCommit?: (op: Op) => void;
  /** Aborting stops every lane after its current operation; the run then resolves. */
  signal?: AbortSignal;
  /** Keep every operation in the result (default true); set false for long runs that use onCommit. */
  keepOperations?: boolean;
}

/** Result of {@link runWorkload}. */
export interface WorkloadResult<K extends string = string, Op = CommittedOperation<K>> {
  /** Committed operations in `seq` order (empty when `keepOperations` is false). */
  operations: Op[];
  /** Operations per kind that committed, for every kind of the lanes given. */
  counts: Record<K, number>;
  /** Operations committed in total. */
  committed: number;
  /** Operations planned (from `count`, or `rate` × `durationMs`); null when open-ended. */
  planned: number | null;
  /** `Date.now()` at start and end of the run, and the achieved rate in operations per second. */
  startedAtMs: number;
  endedAtMs: number;
  achievedRate: number;
}

/** Upper bound of operations per lane when only a duration bounds the run (100 per ms). */
const OPEN_ENDED_CAP_PER_MS = 100;

/**
 * Runs a workload over `lanes` until `count` operations committed, `durationMs` elapsed, or
 * `signal` aborted, whichever comes first; each lane finishes its current operation, then the
 * promise resolves. The rate is split between the lanes by their mix weights (POS and warehouse by
 * default 63 % / 37 %) and each lane is paced evenly at `rate` × share on a fixed schedule: lane j
 * of n schedules its operation i at start + (i + j / n) × 1000 / (`rate` × share) ms and never
 * starts it earlier; a lane that falls behind runs back to back until it has caught up.
 *
 * @param lanes - at most one lane per source, e.g. `[posWorkload(pos), warehouseWorkload(wms)]`.
 *   Each lane's connection must not be used by anyone else meanwhile. A lane whose kinds all
 *   weigh 0 does not run.
 * @param opts - the seeding options (`seed`, `products`, `stores`, `warehouses` must be those the
 *   databases were seeded with) plus pacing. The lanes' PRNG streams derive from `workloadSeed`
 *   (default `seed`).
 * @throws Error on invalid options or a database seeded with other options, before any operation;
 *   otherwise the first database error of any lane, after every lane stopped.
 */
export async function runWorkload<L extends AnyLane>(
  lanes: readonly L[],
  opts: WorkloadOptions<LaneKind<L>, LaneOperation<L>>,
): Promise<WorkloadResult<LaneKind<L>, LaneOperation<L>>> {
  type K = LaneKind<L>;
  type Op = LaneOperation<L>;
  const sample = resolveSampleOptions(opts);
  if (opts.count === undefined && opts.durationMs === undefined) throw new Error('runWorkload: give count or durationMs');
  for (const [k, v] of [
    ['count', opts.count],
    ['durationMs', opts.durationMs],
    ['rate', opts.rate],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`runWorkload: ${k} must be a non-negative number, got ${v}`);
  }
  const sources = lanes.map((l) => l.source);
  const twice = sources.find((s, i) => sources.indexOf(s) !== i);
  if (twice !== undefined) throw new Error(`runWorkload: two lanes for the ${twice} source`);
  const mix: Record<string, number> = Object.assign({}, ...lanes.map((l) => l.defaultMix), opts.mix);
  const rate = opts.rate ?? 0;
  const workloadSeed = opts.workloadSeed ?? sample.seed;
  if (!Number.isInteger(workloadSeed)) throw new Error(`runWorkload: workloadSeed must be an integer, got ${workloadSeed}`);

  const active = lanes
    .map((lane) => ({ lane, kinds: (lane.kinds as readonly K[]).filter((k) => (mix[k] ?? 0) > 0), share: 0 }))
    .filter((l) => l.kinds.length > 0);
  if (active.length === 0) throw new Error('runWorkload: no lane with a positive mix weight');
  const laneWeight = (kinds: readonly K[]): number => kinds.reduce((a, k) => a + (mix[k] as number), 0);
  const total = active.reduce((a, l) => a + laneWeight(l.kinds), 0);
  for (const l of active) l.share = laneWeight(l.kinds) / total;

  const planned = opts.count ?? (rate > 0 && opts.durationMs !== undefined ? Math.floor((rate * opts.durationMs) / 1000) : null);
  // Split a planned total exactly: every lane but the last rounds, the last takes the rest.
  const laneCounts = active.map((l, i) => (planned === null ? null : i < active.length - 1 ? Math.round(planned * l.share) : 0));
  if (planned !== null) laneCounts[active.length - 1] = planned - laneCounts.slice(0, -1).reduce<number>((a, c) => a + (c ?? 0), 0);

  // Starting a lane checks its database first, so a wrongly seeded one fails before anything runs.
  const rngs = active.map((l) => new Rng(deriveSeed(workloadSeed, `workload-${l.lane.source}`)));
  const runners: LaneRunner<K, object>[] = [];
  for (const [i, l] of active.entries()) runners.push(await l.lane.start(sample, rngs[i] as Rng));

  const startedAtMs = Date.now();
  const deadline = opts.durationMs !== undefined ? startedAtMs + opts.durationMs : Number.POSITIVE_INFINITY;
  const operations: Op[] = [];
  const counts = Object.fromEntries(lanes.flatMap((l) => l.kinds as readonly K[]).map((k) => [k, 0])) as Record<K, number>;
  let seq = 0;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();

  const runLane = async (laneIndex: number): Promise<void> => {
    const { lane, kinds, share } = active[laneIndex] as (typeof active)[number];
    const rng = rngs[laneIndex] as Rng;
    const runner = runners[laneIndex] as LaneRunner<K, object>;
    const weights = kinds.map((k) => mix[k] as number);
    const intervalMs = rate > 0 ? 1000 / (rate * share) : 0;
    const phase = laneIndex / active.length; // interleave the lanes' ticks
    const cap = laneCounts[laneIndex] ?? Math.ceil((opts.durationMs as number) * OPEN_ENDED_CAP_PER_MS);
    for (let i = 0; i < cap; i++) {
      const scheduledAtMs = startedAtMs + (i + phase) * intervalMs;
      if (stop.signal.aborted || scheduledAtMs >= deadline) return;
      await sleepUntil(scheduledAtMs, stop.signal);
      const startedAt = Date.now();
      if (stop.signal.aborted || startedAt >= deadline) return;
      const done = await runner.run(kinds[rng.weighted(weights)] as K);
      const op = {
        seq: seq++,
        source: lane.source,
        kind: done.kind,
        touched: done.touched,
        scheduledAtMs,
        startedAtMs: startedAt,
        committedAtMs: done.stamp.committedAtMs,
        committedAtHr: done.stamp.committedAtHr,
        txId: done.stamp.txId,
        ...done.detail,
      } as Op;
      counts[done.kind]++;
      if (opts.keepOperations !== false) operations.push(op);
      opts.onCommit?.(op);
    }
  };

  const results = await Promise.allSettled(
    active.map((_, i) =>
      runLane(i).catch((err: unknown) => {
        stop.abort(); // one lane failing stops the others too
        throw err;
      }),
    ),
  );
  opts.signal?.removeEventListener('abort', onAbort);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const endedAtMs = Date.now();
  return {
    operations,
    counts,
    committed: seq,
    planned,
    startedAtMs,
    endedAtMs,
    achievedRate: endedAtMs > startedAtMs ? (seq * 1000) / (endedAtMs - startedAtMs) : 0,
  };
}

/**
 * Waits for workloads started together, all with `stop.signal`: when one fails, aborts `stop` so
 * the others stop after their current operation, waits until every one has stopped, then throws
 * the first failure. So no workload still runs when the caller then closes the connections.
 *
 * @returns the results, in the order of `runs`.
 */
export async function awaitWorkloads<T extends readonly Promise<unknown>[]>(
  stop: AbortController,
  runs: [...T],
): Promise<{ -readonly [I in keyof T]: Awaited<T[I]> }> {
  const settled = await Promise.allSettled(
    runs.map((run) =>
      run.catch((err: unknown) => {
        stop.abort();
        throw err;
      }),
    ),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [I in keyof T]: Awaited<T[I]> };
}

/**
 * Resolves once `Date.now()` reaches `atMs`, or as soon as `signal` aborts. A timer may fire a
 * little early by `Date.now()`; then it waits again, so an operation never starts before its time.
 */
async function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  for (let delay = atMs - Date.now(); delay > 0 && !signal.aborted; delay = atMs - Date.now()) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
