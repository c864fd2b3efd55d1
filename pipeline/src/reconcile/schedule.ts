/**
 * Reconciliation on a schedule inside a long-running process (`stocksync run --reconcile-every 1h`):
 * one run at a time, the next one `every` ms after the previous one finished; a failed run is
 * logged and counted (`stocksync_reconcile_runs_total{outcome="failed"}`) and the schedule goes on.
 */
import { reconcile, type ReconcileOptions, type ReconcileReport } from './reconcile.ts';

/**
 * An interval as written on a command line: a whole number with a unit, `s`, `m`, `h` or `d`
 * (`90s`, `15m`, `1h`, `1d`), in ms.
 * @throws Error for anything else, or less than 10 s.
 */
export function parseInterval(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`not an interval (a whole number with s, m, h or d, e.g. 1h): ${JSON.stringify(text)}`);
  const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  if (ms < 10_000) throw new Error(`interval ${text} is shorter than 10 s`);
  return ms;
}

export interface ScheduledReconcile {
  /** Stops the schedule; waits for a run in progress. */
  stop(): Promise<void>;
}

/** Runs {@link reconcile} every `everyMs` (first run after one interval). */
export function scheduleReconcile(
  everyMs: number,
  options: ReconcileOptions,
  onRun: (report: ReconcileReport) => void,
  onError: (error: Error) => void,
): ScheduledReconcile {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = reconcile(options)
        .then(onRun, onError)
        .finally(() => {
          running = undefined;
          next();
        });
    }, everyMs);
    timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
