/**
 * `stocksync bench`: runs the bench parts given (each a module `bench/<part>.ts` exporting
 * `run<Part>(options): Promise<BenchPart>`) in their fixed order and collects their results.
 */
import { runApiBench } from './api.ts';
import { runLatency } from './latency.ts';
import { runSnapshot } from './snapshot.ts';
import { runThroughput } from './throughput.ts';
import { machineRecorder, type BenchPart } from './report.ts';
import type { Progress } from './capture.ts';

/** Every part, in the order they run. */
export const BENCH_PARTS = ['throughput', 'latency', 'snapshot', 'api'] as const;

/** A part's name. */
export type BenchPartName = (typeof BENCH_PARTS)[number];

/** The parts `stocksync bench` runs when none is named. */
export const DEFAULT_PARTS: BenchPartName[] = [...BENCH_PARTS];

/** Sizes of `--short` (CI): the same code path, small data. */
export const SHORT_SIZES = { products: 2000, rows: 20_000 } as const;

/** Sizes of a full run. */
export const FULL_SIZES = { products: 50_000, rows: 500_000 } as const;

/** Options of {@link runBench}. */
export interface BenchOptions {
  parts: BenchPartName[];
  /** Products of the throughput part's samples. */
  products: number;
  /** Stock rows of the snapshot part's source. */
  rows: number;
  seed: number;
  /** Write a CPU profile of the throughput part's pipeline process into this folder. */
  profileDir?: string;
  /** The CI version: the latency part steps through its short rates, the api part runs short. */
  short?: boolean;
  /** The api part's SSE clients (default 1000; short 100). */
  sseClients?: number;
  progress: Progress;
}

/** What `stocksync bench --json` prints. */
export interface BenchReport {
  passed: boolean;
  sizes: { products: number; rows: number; seed: number };
  parts: BenchPart[];
}

/**
 * Checks part names and puts them in run order (duplicates dropped); no names = {@link DEFAULT_PARTS}.
 * @throws Error naming the unknown part and the known ones.
 */
export function selectParts(names: string[]): BenchPartName[] {
  if (names.length === 0) return [...DEFAULT_PARTS];
  for (const name of names) {
    if (!(BENCH_PARTS as readonly string[]).includes(name)) throw new Error(`unknown bench part "${name}" (parts: ${BENCH_PARTS.join(', ')})`);
  }
  return BENCH_PARTS.filter((part) => names.includes(part));
}

/**
 * Runs the parts in order. A part that throws (a tool missing, the latency placeholder) is reported
 * as failed with the error in its notes, and the next part still runs.
 */
export async function runBench(options: BenchOptions, onPart: (part: BenchPart) => void = () => undefined): Promise<BenchReport> {
  const runners: Record<BenchPartName, () => Promise<BenchPart>> = {
    throughput: () => runThroughput({ products: options.products, seed: options.seed, profileDir: options.profileDir, progress: options.progress }),
    latency: () => runLatency({ seed: options.seed, short: options.short, progress: options.progress }),
    snapshot: () => runSnapshot({ rows: options.rows, seed: options.seed, progress: options.progress }),
    api: () => runApiBench({ short: options.short, seed: options.seed, sseClients: options.sseClients, progress: options.progress }),
  };
  const parts: BenchPart[] = [];
  for (const name of options.parts) {
    const machine = machineRecorder();
    const part = await runners[name]().catch(
      (error: Error): BenchPart => ({ part: name, machine: machine(), rows: [], passed: false, notes: [`${name} failed: ${error.message}`] }),
    );
    parts.push(part);
    onPart(part);
  }
  return {
    passed: parts.every((p) => p.passed),
    sizes: { products: options.products, rows: options.rows, seed: options.seed },
    parts,
  };
}
