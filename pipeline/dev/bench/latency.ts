/**
 * `stocksync bench latency`: end-to-end latency under a steady load. It comes with the
 * multi-process load generator, built separately; until then this slot only says so.
 */
import type { BenchPart } from './report.ts';
import type { Progress } from './capture.ts';

/** Options of {@link runLatency} (the load generator will add its own). */
export interface LatencyOptions {
  seed: number;
  progress: Progress;
}

/** @throws Error always: the part is not built yet. */
export async function runLatency(_options: LatencyOptions): Promise<BenchPart> {
  throw new Error('the latency part comes with the load generator (not built yet)');
}
